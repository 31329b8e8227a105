// Feeds thousands of mutated real models to the loader (and the planner and executor
// when a mutant still loads): bit flips, truncations, shuffled and overwritten byte
// ranges. Then the same models with their weights moved to an external data file, and
// the external_data entries (offsets, lengths, locations: links, FIFOs, escapes, huge
// declared sizes) and the data file (truncation) mutated. Every outcome must be a
// model or a Status with a message — never a crash, a hang, an exception or bytes
// from outside the model's folder. Run under -DTOP_SANITIZE=address;undefined as well.
//   top_fuzz_tests MODELS_DIR [--mutations N] [--external-mutations N]
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>

#include "hostile_files.h"
#include "ir/graph.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace fs = std::filesystem;

namespace {

fs::path g_models_dir;
int g_mutations = 3000;
int g_external_mutations = 400;

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string mutate(const std::string& src, std::mt19937_64& rng) {
  std::string s = src;
  auto pos = [&](size_t n) { return static_cast<size_t>(rng() % std::max<size_t>(n, 1)); };
  switch (rng() % 5) {
    case 0: {  // a few bit flips
      int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; ++i) s[pos(s.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    }
    case 1:  // truncation
      s.resize(pos(s.size()));
      break;
    case 2: {  // shuffle a byte range
      size_t b = pos(s.size()), len = std::min<size_t>(s.size() - b, 1 + rng() % 256);
      std::shuffle(s.begin() + static_cast<long>(b), s.begin() + static_cast<long>(b + len), rng);
      break;
    }
    case 3: {  // overwrite a range with random bytes
      size_t b = pos(s.size()), len = std::min<size_t>(s.size() - b, 1 + rng() % 64);
      for (size_t i = b; i < b + len; ++i) s[i] = static_cast<char>(rng());
      break;
    }
    default: {  // flips in the first 4 KiB, where the graph structure usually sits
      size_t lim = std::min<size_t>(s.size(), 4096);
      for (int i = 0; i < 4; ++i) s[pos(lim)] ^= static_cast<char>(1u << (rng() % 8));
      break;
    }
  }
  return s;
}

// Small random inputs for a loaded mutant; symbolic dims become 1.
std::vector<top::Tensor> inputs_for(const top::Model& m, std::mt19937_64& rng) {
  std::vector<top::Tensor> v;
  std::normal_distribution<float> nd;
  for (const auto& in : m.inputs()) {
    top::Shape s = in.shape;
    for (auto& d : s) d = d < 0 ? 1 : d;
    if (top::shape_numel(s) > (1 << 24)) return {};
    top::Tensor t = top::Tensor::zeros(in.dtype, s);
    if (in.dtype == top::DataType::kFloat32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
    v.push_back(t);
  }
  return v;
}

// The zoo's models under 8 MiB, in a fixed order.
std::vector<fs::path> small_models() {
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(g_models_dir))
    if (e.path().extension() == ".onnx" && fs::file_size(e.path()) < (8u << 20)) models.push_back(e.path());
  std::sort(models.begin(), models.end());
  return models;
}

TEST(MutatedModels, LoaderPlannerAndExecutorNeverCrash) {
  std::vector<fs::path> models = small_models();
  ASSERT_FALSE(models.empty()) << "no small .onnx models in " << g_models_dir << " (run scripts/zoo --small-only)";
  std::mt19937_64 rng(20261126);
  int loaded = 0, ran = 0, failed_runs = 0;
  for (int i = 0; i < g_mutations; ++i) {
    const fs::path& p = models[static_cast<size_t>(i) % models.size()];
    static std::map<fs::path, std::string> cache;
    auto it = cache.find(p);
    if (it == cache.end()) it = cache.emplace(p, read_file(p)).first;
    std::string bytes = mutate(it->second, rng);
    auto model = top::Model::load_from_memory(bytes.data(), bytes.size(), p.parent_path().string());
    if (!model.ok()) {
      ASSERT_FALSE(model.status().message().empty()) << "mutation " << i << " of " << p;
      continue;
    }
    ++loaded;
    if (loaded % 8 != 0) continue;  // running every loadable mutant would take minutes
    auto session = top::Session::create(*model, {});
    ASSERT_TRUE(session.ok());
    auto inputs = inputs_for(*model, rng);
    if (inputs.empty()) continue;
    std::vector<top::Shape> shapes;
    for (const auto& t : inputs) shapes.push_back(t.shape());
    auto info = (*session)->plan_info(shapes);
    if (!info.ok()) {
      ASSERT_FALSE(info.status().message().empty());
      continue;
    }
    if (info->activation_bytes > (1u << 30)) continue;  // a mutant asking for GiBs is planned, not run
    auto out = (*session)->run(inputs);
    ++ran;
    if (!out.ok()) {
      ++failed_runs;
      ASSERT_FALSE(out.status().message().empty());
    }
  }
  std::cout << "mutations " << g_mutations << ", still loadable " << loaded << ", executed " << ran
            << " (of which failed cleanly " << failed_runs << ")\n";
}


// One zoo model with its weights in an external file, and what it must load as.
struct ExternalCase {
  onnx::ModelProto proto;    // initializers point at data_file
  std::string data_file;     // file name in the folder
  std::string data;          // its bytes
  std::map<std::string, std::string> weights;  // initializer name -> its bytes, from the inline model
};

// Bytes of every initializer of a loaded model.
std::map<std::string, std::string> initializer_bytes(const top::Model& m) {
  std::map<std::string, std::string> r;
  for (const auto& v : m.graph()->values)
    if (v.initializer.defined())
      r[v.name] = std::string(static_cast<const char*>(v.initializer.raw_data()), v.initializer.nbytes());
  return r;
}

// A mutation of the external_data entries of one random external tensor, or of the
// folder's data file, or of the tensor's dims.
void mutate_external(onnx::ModelProto& m, const top::testing::TempDir& dir, const ExternalCase& c,
                     std::mt19937_64& rng) {
  std::vector<onnx::TensorProto*> ext;
  for (auto& t : *m.mutable_graph()->mutable_initializer())
    if (t.data_location() == onnx::TensorProto::EXTERNAL) ext.push_back(&t);
  if (ext.empty()) return;
  onnx::TensorProto& t = *ext[rng() % ext.size()];
  auto entry = [&](const std::string& key) -> onnx::StringStringEntryProto* {
    for (auto& e : *t.mutable_external_data())
      if (e.key() == key) return &e;
    auto* e = t.add_external_data();
    e->set_key(key);
    return e;
  };
  static const char* kNumbers[] = {"-1", "-2", "12abc", "", " 8", "+8", "0x10", "1e3", "99999999999999999999",
                                   "9223372036854775807", "9223372036854775808", "18446744073709551615", "4096"};
  static const char* kLocations[] = {"link.bin", "linkdir/secret.bin", "fifo.bin", "../secret.bin", "/etc/passwd",
                                     "folder.bin", "sub/../weights.bin", "missing.bin", "", ".", "sub/", "sub/inner.bin",
                                     "sub/up/secret.bin", "//", "trunc.bin"};
  const uint64_t size = c.data.size();
  switch (rng() % 8) {
    case 0:  // an offset anywhere around the file, or past it
      entry("offset")->set_value(std::to_string(rng() % (2 * size + 2)));
      break;
    case 1:  // a length that may not match
      entry("length")->set_value(std::to_string(rng() % 2 ? rng() % (2 * size + 2) : rng() % 64));
      break;
    case 2:  // a malformed or extreme number
      entry(rng() % 2 ? "offset" : "length")->set_value(kNumbers[rng() % (sizeof(kNumbers) / sizeof(*kNumbers))]);
      break;
    case 3:  // a location that must be refused (or a legitimate one elsewhere)
      entry("location")->set_value(kLocations[rng() % (sizeof(kLocations) / sizeof(*kLocations))]);
      break;
    case 4: {  // huge declared dims: the file cannot hold them
      const int64_t huge[] = {3000000000LL, 1LL << 40, INT64_MAX, -1, 0};
      if (t.dims_size() == 0) t.add_dims(1);
      t.set_dims(static_cast<int>(rng() % static_cast<uint64_t>(t.dims_size())), huge[rng() % 5]);
      break;
    }
    case 5:  // unknown or repeated keys
      if (rng() % 2) {
        entry("basepath")->set_value("/");
      } else {
        auto* e = t.add_external_data();
        e->set_key("location");
        e->set_value(c.data_file);
      }
      break;
    case 6: {  // every tensor reads a truncated copy of the data file
      std::string cut = c.data.substr(0, static_cast<size_t>(rng() % (size + 1)));
      top::testing::write_file(dir / "trunc.bin", cut);
      for (auto* e : ext)
        for (auto& kv : *e->mutable_external_data())
          if (kv.key() == "location") kv.set_value("trunc.bin");
      break;
    }
    default:  // the protobuf itself mutated as well, external entries included
      m.ParseFromString(mutate(m.SerializeAsString(), rng));
      break;
  }
}

TEST(MutatedModels, ExternalDataNeverEscapesCrashesOrHangs) {
  std::vector<fs::path> models = small_models();
  ASSERT_FALSE(models.empty()) << "no small .onnx models in " << g_models_dir;
  top::testing::TempDir dir, outside;
  // What a hostile folder may hold: links out, a FIFO, a folder, a link back up.
  const std::string secret(4096, '\xa5');
  top::testing::write_file(outside / "secret.bin", secret);
  ASSERT_EQ(::symlink((outside / "secret.bin").c_str(), (dir / "link.bin").c_str()), 0);
  ASSERT_EQ(::symlink(outside.str().c_str(), (dir / "linkdir").c_str()), 0);
  ASSERT_EQ(::mkfifo((dir / "fifo.bin").c_str(), 0600), 0);
  fs::create_directories(dir / "folder.bin");
  top::testing::write_file(dir / "sub/inner.bin", std::string(1 << 16, '\x11'));
  ASSERT_EQ(::symlink("..", (dir / "sub/up").c_str()), 0);
  ASSERT_EQ(::symlink(outside.str().c_str(), (dir / "sub/up_out").c_str()), 0);

  std::vector<ExternalCase> cases;
  for (size_t i = 0; i < models.size(); ++i) {
    auto inline_model = top::Model::load(models[i].string());
    ASSERT_TRUE(inline_model.ok()) << inline_model.status().to_string();
    ExternalCase c;
    ASSERT_TRUE(c.proto.ParseFromString(read_file(models[i])));
    c.data_file = "weights_" + std::to_string(i) + ".bin";
    c.data = top::testing::move_weights_to_external(c.proto, c.data_file);
    c.weights = initializer_bytes(*inline_model);
    top::testing::write_file(dir / c.data_file, c.data);
    // Unmutated, it loads with exactly the inline model's weights.
    top::testing::write_file(dir / "model.onnx", c.proto.SerializeAsString());
    auto loaded = top::Model::load(dir / "model.onnx");
    ASSERT_TRUE(loaded.ok()) << models[i] << ": " << loaded.status().to_string();
    EXPECT_TRUE(initializer_bytes(*loaded) == c.weights) << models[i];
    cases.push_back(std::move(c));
  }

  std::mt19937_64 rng(20261127);
  int loaded = 0;
  std::map<std::string, int> refusals;  // first words of each refusal, for the summary
  for (int i = 0; i < g_external_mutations; ++i) {
    const ExternalCase& c = cases[static_cast<size_t>(i) % cases.size()];
    onnx::ModelProto m = c.proto;
    mutate_external(m, dir, c, rng);
    top::testing::write_file(dir / "model.onnx", m.SerializeAsString());
    const std::string path = dir / "model.onnx";
    auto r = top::testing::load_within([path] { return top::Model::load(path); });
    if (!r) {
      top::testing::release_fifo(dir / "fifo.bin");
      FAIL() << "mutation " << i << " of " << c.data_file << " did not finish";
    }
    if (!r->ok()) {
      ASSERT_FALSE(r->status().message().empty()) << "mutation " << i;
      ++refusals[top::status_code_name(r->status().code())];
      continue;
    }
    ++loaded;
    // Whatever loaded came from inside the folder: never the secret's bytes.
    for (const auto& [name, bytes] : initializer_bytes(**r))
      ASSERT_EQ(bytes.find(secret.substr(0, 64)), std::string::npos) << "mutation " << i << ": '" << name
                                                                       << "' holds bytes from outside the folder";
  }
  std::cout << "external mutations " << g_external_mutations << ", still loadable " << loaded << ", refused:";
  for (const auto& [code, count] : refusals) std::cout << " " << code << " " << count;
  std::cout << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::cerr << "usage: top_fuzz_tests MODELS_DIR [--mutations N] [--external-mutations N]\n";
    return 2;
  }
  g_models_dir = argv[1];
  for (int i = 2; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--mutations") g_mutations = std::stoi(argv[i + 1]);
    if (std::string(argv[i]) == "--external-mutations") g_external_mutations = std::stoi(argv[i + 1]);
  }
  return RUN_ALL_TESTS();
}

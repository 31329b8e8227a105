// Feeds thousands of mutated real models to the loader (and the planner and executor
// when a mutant still loads): bit flips, truncations, shuffled and overwritten byte
// ranges. Every outcome must be a model or a Status with a message — never a crash,
// a hang or an exception. Run under -DTOP_SANITIZE=address;undefined as well.
//   top_fuzz_tests MODELS_DIR [--mutations N]
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>

#include "top/model.h"
#include "top/session.h"

namespace fs = std::filesystem;

namespace {

fs::path g_models_dir;
int g_mutations = 3000;

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

TEST(MutatedModels, LoaderPlannerAndExecutorNeverCrash) {
  std::vector<fs::path> models;
  for (const auto& e : fs::directory_iterator(g_models_dir))
    if (e.path().extension() == ".onnx" && fs::file_size(e.path()) < (8u << 20)) models.push_back(e.path());
  std::sort(models.begin(), models.end());
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

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::cerr << "usage: top_fuzz_tests MODELS_DIR [--mutations N]\n";
    return 2;
  }
  g_models_dir = argv[1];
  for (int i = 2; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--mutations") g_mutations = std::stoi(argv[i + 1]);
  return RUN_ALL_TESTS();
}

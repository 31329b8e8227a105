// Loading models from a hostile author: external data that escapes the model's folder
// (symbolic links, "..", absolute paths), FIFOs and devices that would block or flood
// the loader, malformed offsets and lengths, tiny files declaring huge tensors, and
// int64 versions that would be truncated. Every case must end promptly in a Status.
// Files live in a fresh mkdtemp folder per test.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "hostile_files.h"
#include "ir/onnx_import.h"
#include "test_models.h"
#include "top/limits.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

namespace fs = std::filesystem;
using Entries = std::vector<std::pair<std::string, std::string>>;
using testing::load_within;
using testing::release_fifo;
using testing::TempDir;
using testing::write_file;

std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> random_floats(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = nd(rng);
  return v;
}

void add_entries(onnx::TensorProto* t, const Entries& entries) {
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [k, v] : entries) {
    auto* e = t->add_external_data();
    e->set_key(k);
    e->set_value(v);
  }
}

onnx::TensorProto* add_float_initializer(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  return t;
}

// y[1,n] = x[1,n] + w[n], with w described by the external_data `entries`.
onnx::ModelProto add_model(int64_t n, const Entries& entries) {
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, n});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, n});
  add_entries(add_float_initializer(g, "w", {n}), entries);
  testing::add_node(g, "Add", {"x", "w"}, {"y"});
  return m;
}

std::optional<Result<Model>> load_path_within(const std::string& path) {
  return load_within([path] { return Model::load(path); });
}

// Writes `m` as model.onnx into `dir` and loads it from that path.
Result<Model> save_and_load(const TempDir& dir, const onnx::ModelProto& m) {
  write_file(dir / "model.onnx", m.SerializeAsString());
  auto r = load_path_within(dir / "model.onnx");
  if (!r) return Internal("did not finish");
  return std::move(*r);
}

void expect_refused(const Result<Model>& r, StatusCode code, const std::string& needle) {
  ASSERT_FALSE(r.ok()) << "expected a refusal mentioning '" << needle << "'";
  EXPECT_EQ(r.status().code(), code) << r.status().to_string();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().to_string();
}

long max_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Restores the allocation limit a test changed.
struct AllocationLimit {
  explicit AllocationLimit(size_t bytes) { set_max_allocation_bytes(bytes); }
  ~AllocationLimit() { set_max_allocation_bytes(0); }
};

TEST(ModelLoadingSecurity, ExternalDataInTheFolderAndASubfolderLoadsTheRightValues) {
  TempDir dir;
  const int64_t n = 37;
  const auto w1 = random_floats(n, 1), w2 = random_floats(n, 2), w3 = random_floats(n, 3);
  // w1 and w3 share one file (w3 at a page-aligned offset), w2 is in a sub-subfolder.
  std::string shared = float_bytes(w1);
  shared.resize(4096, '\x7f');
  shared += float_bytes(w3);
  write_file(dir / "weights.bin", shared);
  write_file(dir / "sub/deeper/w2.bin", float_bytes(w2));

  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, n});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, n});
  add_entries(add_float_initializer(g, "w1", {n}), {{"location", "weights.bin"}, {"length", std::to_string(4 * n)}});
  add_entries(add_float_initializer(g, "w2", {n}), {{"location", "./sub//deeper/w2.bin"}, {"checksum", "ignored"}});
  add_entries(add_float_initializer(g, "w3", {n}), {{"location", "weights.bin"}, {"offset", "4096"}});
  testing::add_node(g, "Add", {"x", "w1"}, {"a"});
  testing::add_node(g, "Add", {"a", "w2"}, {"b"});
  testing::add_node(g, "Add", {"b", "w3"}, {"y"});

  auto model = save_and_load(dir, m);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  // The same bytes through load_from_memory with the folder as base_dir.
  std::string bytes = m.SerializeAsString();
  ASSERT_TRUE(Model::load_from_memory(bytes.data(), bytes.size(), dir.str()).ok());

  const auto x = random_floats(n, 4);
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  auto out = (*session)->run({Tensor::from_vector<float>({1, n}, x)});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  for (int64_t i = 0; i < n; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], x[i] + w1[i] + w2[i] + w3[i]) << i;
}

TEST(ModelLoadingSecurity, SymbolicLinksAreNeverFollowed) {
  TempDir dir, outside;
  const std::string secret = float_bytes(random_floats(8, 5));
  write_file(outside / "secret.bin", secret);
  write_file(dir / "real.bin", secret);
  ASSERT_EQ(::symlink((outside / "secret.bin").c_str(), (dir / "escape.bin").c_str()), 0);
  ASSERT_EQ(::symlink("/etc/passwd", (dir / "passwd").c_str()), 0);
  ASSERT_EQ(::symlink(outside.str().c_str(), (dir / "linked_dir").c_str()), 0);
  ASSERT_EQ(::symlink("real.bin", (dir / "inner_link.bin").c_str()), 0);  // even one that stays inside
  fs::create_directories(dir / "sub");
  ASSERT_EQ(::symlink("..", (dir / "sub/up").c_str()), 0);

  for (const char* location : {"escape.bin", "passwd", "linked_dir/secret.bin", "inner_link.bin", "sub/up/real.bin"}) {
    SCOPED_TRACE(location);
    auto r = save_and_load(dir, add_model(8, {{"location", location}}));
    expect_refused(r, StatusCode::kInvalidModel, "symbolic link");
  }
  // The real file itself loads.
  EXPECT_TRUE(save_and_load(dir, add_model(8, {{"location", "real.bin"}})).ok());
}

TEST(ModelLoadingSecurity, AbsoluteAndDotDotLocationsAreRefused) {
  TempDir dir;
  write_file(dir / "sub/w.bin", std::string(32, '\1'));
  write_file(dir / "w.bin", std::string(32, '\1'));
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/etc/passwd", "absolute"},          {dir / "w.bin", "absolute"},   {"../w.bin", "'..'"},
      {"sub/../w.bin", "'..'"},             {"sub/../../etc/passwd", "'..'"}, {"", "empty"},
      {".", "names no file"},               {"sub/", "directory"},         {std::string("w.bin\0x", 7), "NUL"},
      {"missing.bin", "does not exist"},    {"w.bin/x", "not a folder"},
  };
  for (const auto& [location, needle] : cases) {
    SCOPED_TRACE(location);
    std::string bytes = add_model(8, {{"location", location}}).SerializeAsString();
    for (bool checker : {true, false}) {  // ours must answer before libonnx's checker
      ir::ImportOptions opts;
      opts.run_checker = checker;
      auto r = ir::import_onnx_bytes(bytes.data(), bytes.size(), dir.str(), opts);
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel) << r.status().to_string();
      EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().to_string();
    }
  }
}

// The answer must not tell a probing author whether a path outside the folder exists.
TEST(ModelLoadingSecurity, RefusalsDoNotRevealWhetherOutsidePathsExist) {
  TempDir dir;
  ASSERT_EQ(::symlink("/", (dir / "root").c_str()), 0);
  auto message = [&](const std::string& location) {
    std::string bytes = add_model(8, {{"location", location}}).SerializeAsString();
    auto r = Model::load_from_memory(bytes.data(), bytes.size(), dir.str());
    EXPECT_FALSE(r.ok());
    std::string m = r.status().message();
    size_t at = m.find(location);  // the location itself differs, the rest must not
    return at == std::string::npos ? m : m.erase(at, location.size());
  };
  EXPECT_EQ(message("root/etc/passwd"), message("root/etc/no-such-file"));
  EXPECT_EQ(message("../../../../etc/passwd"), message("../../../../etc/no-such-file"));
}

TEST(ModelLoadingSecurity, FifoAsExternalDataReturnsPromptly) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "w.bin").c_str(), 0600), 0);
  write_file(dir / "model.onnx", add_model(8, {{"location", "w.bin"}}).SerializeAsString());
  auto r = load_path_within(dir / "model.onnx");
  if (!r) release_fifo(dir / "w.bin");
  ASSERT_TRUE(r.has_value());
  expect_refused(*r, StatusCode::kInvalidModel, "FIFO");
}

TEST(ModelLoadingSecurity, SpecialFilesAsModelPathAreRefusedAtOnce) {
  TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.onnx").c_str(), 0600), 0);
  fs::create_directories(dir / "folder.onnx");
  write_file(dir / "empty.onnx", "");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {dir / "fifo.onnx", "FIFO"},         {dir / "folder.onnx", "directory"},
      {"/dev/zero", "character device"},   {"/dev/null", "character device"},
      {"/proc/self/mem", "no size"},       {dir / "empty.onnx", "empty"},
  };
  for (const auto& [path, needle] : cases) {
    SCOPED_TRACE(path);
    if (!fs::exists(path)) continue;  // /proc may be absent in a sandbox
    auto r = load_path_within(path);
    if (!r && path == dir / "fifo.onnx") release_fifo(path);
    ASSERT_TRUE(r.has_value());
    ASSERT_FALSE(r->ok());
    EXPECT_NE(r->status().message().find(needle), std::string::npos) << r->status().to_string();
    EXPECT_NE(r->status().message().find(path), std::string::npos) << r->status().to_string();
  }
  EXPECT_EQ(Model::load(dir / "missing.onnx").status().code(), StatusCode::kNotFound);
}

TEST(ModelLoadingSecurity, MalformedOffsetsAndLengthsAreRefused) {
  TempDir dir;
  write_file(dir / "w.bin", float_bytes(random_floats(8, 6)));  // 32 bytes; the tensor needs 12
  const std::vector<std::pair<Entries, std::string>> cases = {
      {{{"offset", "12abc"}}, "not a non-negative decimal"},
      {{{"offset", "-2"}}, "not a non-negative decimal"},
      {{{"offset", "+4"}}, "not a non-negative decimal"},
      {{{"offset", " 4"}}, "not a non-negative decimal"},
      {{{"offset", ""}}, "not a non-negative decimal"},
      {{{"offset", "99999999999999999999"}}, "not a non-negative decimal"},
      {{{"offset", "9223372036854775808"}}, "not a non-negative decimal"},  // 2^63
      {{{"length", "-2"}}, "not a non-negative decimal"},
      {{{"length", "12abc"}}, "not a non-negative decimal"},
      {{{"length", "16"}}, "does not match its shape"},
      {{{"offset", "9223372036854775807"}, {"length", "12"}}, "too short"},  // offset + length past 2^63
      {{{"offset", "24"}}, "too short"},                                       // 24 + 12 > 32
      {{{"offset", "4"}, {"offset", "8"}}, "given twice"},
      {{{"location", "w.bin"}}, "given twice"},
      {{{"basepath", "/etc"}}, "unknown external_data key"},
  };
  for (const auto& [extra, needle] : cases) {
    Entries entries = {{"location", "w.bin"}};
    entries.insert(entries.end(), extra.begin(), extra.end());
    SCOPED_TRACE(extra.front().first + "=" + extra.front().second);
    expect_refused(save_and_load(dir, add_model(3, entries)), StatusCode::kInvalidModel, needle);
  }
  // In bounds, right at the end of the file: loads.
  EXPECT_TRUE(save_and_load(dir, add_model(3, {{"location", "w.bin"}, {"offset", "20"}, {"length", "12"}})).ok());
}

TEST(ModelLoadingSecurity, HugeDeclaredTensorsAreRefusedBeforeAllocating) {
  TempDir dir;
  write_file(dir / "w.bin", std::string(16, '\2'));
  const long before = max_rss_kib();
  // The case: ~100 bytes declaring 3e9 floats, whatever this machine's limit.
  {
    onnx::ModelProto m = add_model(3000000000LL, {});
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_external_data();
    w->set_data_location(onnx::TensorProto::DEFAULT);
    w->set_raw_data(std::string(4, '\0'));
    std::string bytes = m.SerializeAsString();
    EXPECT_LT(bytes.size(), 200u);
    auto r = load_within([bytes] { return Model::load_from_memory(bytes.data(), bytes.size()); });
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(r->ok());
  }
  // With a limit that admits 12 GB, the data actually present must refuse it first:
  // raw_data, the typed field and the external file are all too short.
  AllocationLimit generous(size_t(1) << 40);
  {
    onnx::ModelProto m = add_model(3000000000LL, {});
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_external_data();
    w->set_data_location(onnx::TensorProto::DEFAULT);
    w->set_raw_data(std::string(4, '\0'));
    expect_refused(save_and_load(dir, m), StatusCode::kInvalidModel, "holds 4 bytes");
    w->clear_raw_data();
    w->add_float_data(1.f);
    expect_refused(save_and_load(dir, m), StatusCode::kInvalidModel, "has 1 values");
  }
  expect_refused(save_and_load(dir, add_model(3000000000LL, {{"location", "w.bin"}})), StatusCode::kInvalidModel,
                 "too short");
  const long grown_kib = max_rss_kib() - before;
  EXPECT_LT(grown_kib, 100 * 1024) << "peak RSS grew by " << grown_kib << " KiB";

  // Dimensions whose product overflows, that are negative, or too many of them.
  for (std::vector<int64_t> dims : {std::vector<int64_t>{INT64_MAX, 4}, {1LL << 32, 1LL << 32}, {-1, 3},
                                    std::vector<int64_t>(1000, 1)}) {
    onnx::ModelProto m = add_model(3, {{"location", "w.bin"}});
    auto* w = m.mutable_graph()->mutable_initializer(0);
    w->clear_dims();
    for (int64_t d : dims) w->add_dims(d);
    auto r = save_and_load(dir, m);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel) << r.status().to_string();
  }
}

// Many tensors may name the same external bytes: each is present and small, but
// together they would allocate far more than the file holds.
TEST(ModelLoadingSecurity, TensorsSharingExternalBytesAreHeldToATotal) {
  TempDir dir;
  const int64_t n = 16 * 1024;  // 64 KiB per tensor
  write_file(dir / "w.bin", float_bytes(random_floats(static_cast<size_t>(n), 7)));
  onnx::ModelProto m = add_model(n, {{"location", "w.bin"}});
  for (int i = 0; i < 20; ++i)
    add_entries(add_float_initializer(m.mutable_graph(), "alias" + std::to_string(i), {n}), {{"location", "w.bin"}});
  std::string bytes = m.SerializeAsString();
  ir::ImportOptions opts;
  opts.max_total_tensor_bytes = size_t(1) << 20;  // 16 tensors of 64 KiB
  auto r = ir::import_onnx_bytes(bytes.data(), bytes.size(), dir.str(), opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfMemory) << r.status().to_string();
  EXPECT_NE(r.status().message().find("total limit"), std::string::npos) << r.status().to_string();
  opts.max_total_tensor_bytes = size_t(2) << 20;
  EXPECT_TRUE(ir::import_onnx_bytes(bytes.data(), bytes.size(), dir.str(), opts).ok());
}

TEST(ModelLoadingSecurity, OpsetAndIrVersionsAreCheckedBeforeNarrowing) {
  auto load = [](const onnx::ModelProto& m, bool checker) {
    std::string bytes = m.SerializeAsString();
    ir::ImportOptions opts;
    opts.run_checker = checker;
    return ir::import_onnx_bytes(bytes.data(), bytes.size(), ".", opts);
  };
  for (bool checker : {true, false}) {
    SCOPED_TRACE(checker ? "with checker" : "without checker");
    onnx::ModelProto m = testing::branchy_model(4);
    ASSERT_TRUE(load(m, checker).ok());
    m.mutable_opset_import(0)->set_version((int64_t(1) << 32) + 13);  // was truncated to 13
    auto big = load(m, checker);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.status().code(), StatusCode::kUnsupported) << big.status().to_string();
    EXPECT_NE(big.status().message().find("4294967309"), std::string::npos) << big.status().to_string();
    m.mutable_opset_import(0)->set_version(-13);
    EXPECT_EQ(load(m, checker).status().code(), StatusCode::kUnsupported);

    onnx::ModelProto other = testing::branchy_model(4);
    auto* imp = other.add_opset_import();
    imp->set_domain("com.example");
    imp->set_version((int64_t(1) << 32) + 1);
    auto dom = load(other, checker);
    ASSERT_FALSE(dom.ok());
    EXPECT_NE(dom.status().message().find("4294967297"), std::string::npos) << dom.status().to_string();

    for (int64_t ir : {int64_t(0), int64_t(-1), int64_t(11), (int64_t(1) << 32) + 7}) {
      onnx::ModelProto v = testing::branchy_model(4);
      v.set_ir_version(ir);
      auto r = load(v, checker);
      ASSERT_FALSE(r.ok()) << ir;
      EXPECT_NE(r.status().message().find(ir > 0 ? "IR version " + std::to_string(ir) : "ir_version"),
                std::string::npos)
          << r.status().to_string();
    }
  }
}

}  // namespace
}  // namespace top

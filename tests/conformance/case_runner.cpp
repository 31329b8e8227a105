// Conformance against ONNX Runtime: every folder under the directory given on the
// command line is one case — model.onnx (or model_path.txt naming the model),
// inputs/<name>.npy, and expected/<output>.npy written by ONNX Runtime
// (scripts/ort_reference.js). Each case becomes one GoogleTest test, run through the
// public Model/Session API on the CPU backend.
//
// Tolerance: max|out - ref| / max(max|ref|, 1e-6) <= 1e-4 for floating outputs
// (tolerance.txt in a case folder may set another bound, with the reason in the file),
// exact equality for integer and bool outputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "top/model.h"
#include "top/session.h"
#include "util/npy.h"

namespace fs = std::filesystem;

namespace {

int g_threads = 2;

std::string read_first_line(const fs::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

class CaseTest : public ::testing::Test {
 public:
  explicit CaseTest(fs::path dir) : dir_(std::move(dir)) {}
  void TestBody() override {
    fs::path model_path = dir_ / "model.onnx";
    if (!fs::exists(model_path)) model_path = read_first_line(dir_ / "model_path.txt");
    auto model = top::Model::load(model_path.string());
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    top::SessionOptions so;
    so.num_threads = g_threads;
    auto session = top::Session::create(*model, so);
    ASSERT_TRUE(session.ok()) << session.status().to_string();

    std::vector<top::Tensor> inputs;
    for (const auto& info : model->inputs()) {
      auto t = top::npy::load((dir_ / "inputs" / (top::npy::file_stem(info.name) + ".npy")).string());
      ASSERT_TRUE(t.ok()) << t.status().to_string();
      inputs.push_back(*t);
    }
    double tol = 1e-4;
    if (fs::exists(dir_ / "tolerance.txt")) tol = std::stod(read_first_line(dir_ / "tolerance.txt"));

    auto outs = (*session)->run(inputs);
    ASSERT_TRUE(outs.ok()) << outs.status().to_string();
    auto out_infos = model->outputs();
    ASSERT_EQ(outs->size(), out_infos.size());
    for (size_t i = 0; i < out_infos.size(); ++i) {
      auto ref = top::npy::load((dir_ / "expected" / (top::npy::file_stem(out_infos[i].name) + ".npy")).string());
      ASSERT_TRUE(ref.ok()) << ref.status().to_string();
      const top::Tensor& got = (*outs)[i];
      ASSERT_EQ(top::shape_str(got.shape()), top::shape_str(ref->shape())) << "output " << out_infos[i].name;
      bool floating = ref->dtype() == top::DataType::kFloat32 || ref->dtype() == top::DataType::kFloat64 ||
                      ref->dtype() == top::DataType::kFloat16;
      if (!floating) {
        ASSERT_EQ(top::dtype_name(got.dtype()), std::string(top::dtype_name(ref->dtype())));
        for (int64_t k = 0; k < ref->numel(); ++k)
          ASSERT_EQ(got.item_as_int(k), ref->item_as_int(k)) << "output " << out_infos[i].name << " element " << k;
        continue;
      }
      double max_ref = 0, max_err = 0;
      int64_t worst = 0;
      for (int64_t k = 0; k < ref->numel(); ++k) {
        double r = ref->item_as_double(k), g = got.item_as_double(k);
        max_ref = std::max(max_ref, std::fabs(r));
        double e = std::isnan(r) && std::isnan(g) ? 0 : std::fabs(g - r);
        if (!(e <= max_err)) {
          max_err = std::isnan(e) ? INFINITY : e;
          worst = k;
        }
      }
      double rel = max_err / std::max(max_ref, 1e-6);
      EXPECT_LE(rel, tol) << "output " << out_infos[i].name << ": max|err| " << max_err << " at element " << worst
                          << " (got " << got.item_as_double(worst) << ", ref " << ref->item_as_double(worst)
                          << "), max|ref| " << max_ref;
    }
  }

 private:
  fs::path dir_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::cerr << "usage: top_case_tests CASES_DIR [--threads N]\n";
    return 2;
  }
  fs::path root = argv[1];
  for (int i = 2; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--threads") g_threads = std::stoi(argv[i + 1]);
  if (!fs::is_directory(root)) {
    std::cerr << "cases directory '" << root << "' does not exist: run scripts/test (it generates the cases)\n";
    return 1;
  }
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_directory() && fs::exists(e.path() / "expected")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) {
    std::cerr << "no cases with expected outputs under '" << root << "'\n";
    return 1;
  }
  std::string suite = root.filename().string();
  for (const fs::path& d : dirs) {
    ::testing::RegisterTest(suite.c_str(), d.filename().string().c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [d]() -> ::testing::Test* { return new CaseTest(d); });
  }
  return RUN_ALL_TESTS();
}

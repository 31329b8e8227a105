// Backend consistency: every operator conformance case (build/testdata/ops/<case>/:
// model.onnx or model_path.txt, inputs/<name>.npy) runs on the CUDA backend and on the
// CPU reference, twice: with the case's own inputs and with random float inputs of the
// same shapes (integer and bool inputs — indices, shapes, masks — are kept).
//
// Tolerance per operator (the case takes the loosest of its plan's steps, and at least
// the case's tolerance.txt, which documents ORT-vs-CPU slack):
//   0     data movement, selection and comparison (Reshape, Gather, MaxPool, Relu, ...):
//         the GPU must produce the very same values
//   1e-4  reductions in another order (Conv, Gemm, MatMul, Softmax, the norms, average
//         pooling, Reduce*, Resize, ...): cuDNN/cuBLAS sum in other orders and may pick
//         Winograd-like algorithms whose float32 error is ~1e-5 of max|out|
//   1e-5  everything else (elementwise float math: GPU expf/tanhf/powf are within a few
//         ulp of glibc's)
// An operator without a GPU kernel must fail cleanly (Unsupported naming the node); the
// test reports it as missing coverage, not as a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "backend/cuda/cuda_op.h"
#include "gpu_test_util.h"
#include "util/npy.h"

namespace top::gputest {
namespace {

namespace fs = std::filesystem;

double op_tolerance(const std::string& op_type) {
  static const std::set<std::string> exact = {
      "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "QLinearMatMul", "ConvInteger",
      "QLinearConv",
      "Identity", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Concat", "Split", "Slice", "Gather",
      "GatherElements", "GatherND", "Tile", "Expand", "Pad", "DepthToSpace",
      "SpaceToDepth", "Shape", "Size", "Where", "Cast", "CastLike", "MaxPool", "GlobalMaxPool", "ReduceMax",
      "ReduceMin", "ArgMax", "ArgMin", "Max", "Min", "Abs", "Neg", "Relu", "Sign", "Not", "And", "Or", "Xor",
      "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Floor", "Ceil", "Round", "Clip", "TopK",
      "NonZero", "OneHot", "ConstantOfShape", "EyeLike", "Trilu", "IsNaN", "IsInf", "Dropout"};
  static const std::set<std::string> reordered = {
      "Conv", "ConvTranspose", "Gemm", "MatMul", "Einsum", "Softmax", "LogSoftmax", "Hardmax", "BatchNormalization",
      "LayerNormalization", "InstanceNormalization", "GroupNormalization", "LpNormalization",
      "MeanVarianceNormalization", "LRN", "AveragePool", "GlobalAveragePool", "LpPool", "GlobalLpPool", "ReduceSum",
      "ReduceMean", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare",
      "Resize", "Upsample", "CumSum", "Mean", "Sum",
      // Scatter reduction=add sums duplicates with atomics, in any order.
      "Scatter", "ScatterElements", "ScatterND", "NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss",
      // RNNs: the same sums in the same order, but a few ulp of GPU tanhf/expf carried
      // through every step.
      "RNN", "GRU", "LSTM"};
  if (exact.count(op_type)) return 0.0;
  if (reordered.count(op_type)) return 1e-4;
  return 1e-5;
}

std::string first_line(const fs::path& p) {
  std::ifstream f(p);
  std::string s;
  std::getline(f, s);
  return s;
}

struct Case {
  fs::path dir;
  fs::path model_path() const {
    return fs::exists(dir / "model.onnx") ? dir / "model.onnx" : fs::path(first_line(dir / "model_path.txt"));
  }
  double extra_tolerance() const {
    return fs::exists(dir / "tolerance.txt") ? std::stod(first_line(dir / "tolerance.txt")) : 0.0;
  }
};

std::vector<Case> find_cases(const fs::path& root) {
  std::vector<Case> cases;
  if (!fs::is_directory(root)) return cases;
  const char* filter = std::getenv("TOP_GPU_TEST_CASES");  // substring, for debugging one case
  for (const auto& e : fs::directory_iterator(root)) {
    if (!e.is_directory() || !fs::is_directory(e.path() / "inputs")) continue;
    if (filter && *filter && e.path().filename().string().find(filter) == std::string::npos) continue;
    cases.push_back({e.path()});
  }
  std::sort(cases.begin(), cases.end(), [](const Case& a, const Case& b) { return a.dir < b.dir; });
  return cases;
}

// Tally over all cases, printed at the end (scripts/gpu-check puts it in its summary).
struct Tally {
  int compared = 0, agreed = 0, skipped = 0;
  std::vector<std::string> failures;
  std::map<std::string, std::vector<std::string>> missing;  // op type -> cases
  std::vector<std::string> skips;
};

std::string unsupported_step(const exec::ExecutionPlan& plan, std::string* node_name) {
  for (const exec::Step& s : plan.steps) {
    const ir::Node& n = plan.graph->nodes[static_cast<size_t>(s.node)];
    if (!cuda::CudaOpRegistry::builtin().supports(n.op_type)) {
      *node_name = n.name;
      return n.op_type;
    }
  }
  return "";
}

// A case's model, its own inputs (inputs/<name>.npy) and its plan for them; *why says
// what failed when the result is false (the CPU conformance test reports such cases).
struct LoadedCase {
  std::optional<Model> model;
  std::vector<Tensor> own;
  std::shared_ptr<const exec::ExecutionPlan> plan;
};
bool load_case(const Case& c, LoadedCase* lc, std::string* why) {
  auto model = Model::load(c.model_path().string());
  if (!model.ok()) {
    *why = "CPU load: " + model.status().to_string();
    return false;
  }
  lc->model = std::move(*model);
  for (const TensorInfo& info : lc->model->inputs()) {
    auto x = npy::load((c.dir / "inputs" / (npy::file_stem(info.name) + ".npy")).string());
    if (!x.ok()) {
      *why = "input " + info.name + ": " + x.status().to_string();
      return false;
    }
    lc->own.push_back(std::move(*x));
  }
  auto plan = plan_for(*lc->model, lc->own);
  if (!plan.ok()) {
    *why = "CPU plan: " + plan.status().to_string();
    return false;
  }
  lc->plan = *plan;
  return true;
}

uint32_t random_seed(const Case& c) {
  return static_cast<uint32_t>(std::hash<std::string>{}(c.dir.filename().string()));
}

void check_case(const Case& c, Tally& t) {
  const std::string name = c.dir.filename().string();
  LoadedCase lc;
  std::string why;
  if (!load_case(c, &lc, &why)) {
    t.skips.push_back(name + " (" + why + ")");
    return;
  }
  const std::vector<Tensor>& own = lc.own;
  std::string node;
  std::string missing = unsupported_step(*lc.plan, &node);
  if (!missing.empty()) {
    auto gpu = run_cuda(*lc.plan, own);
    t.missing[missing].push_back(name);
    if (gpu.ok() || gpu.status().code() != StatusCode::kUnsupported ||
        gpu.status().message().find(node) == std::string::npos)
      t.failures.push_back(name + ": op " + missing + " has no GPU kernel, yet the run gave " +
                           (gpu.ok() ? std::string("OK") : gpu.status().to_string()) +
                           " instead of Unsupported naming node '" + node + "'");
    return;
  }
  double tol = c.extra_tolerance();
  for (const exec::Step& s : lc.plan->steps)
    tol = std::max(tol, op_tolerance(lc.plan->graph->nodes[static_cast<size_t>(s.node)].op_type));

  const std::vector<std::pair<std::string, std::vector<Tensor>>> variants = {
      {"case inputs", own}, {"random inputs", randomize_floats(own, random_seed(c))}};
  for (const auto& [what, inputs] : variants) {
    auto cpu = run_cpu(*lc.plan, inputs);
    if (!cpu.ok()) {  // e.g. random values outside an op's domain: not the GPU's concern
      t.skips.push_back(name + " with " + what + " (CPU: " + cpu.status().to_string() + ")");
      continue;
    }
    ++t.compared;
    auto gpu = run_cuda(*lc.plan, inputs);
    std::string diff = gpu.ok() ? compare_all(*gpu, *cpu, tol) : "run failed: " + gpu.status().to_string();
    if (diff.empty())
      ++t.agreed;
    else
      t.failures.push_back(name + " with " + what + ": " + diff);
  }
}

TEST(GpuOpCases, AgreeWithCpu) {
  TOP_SKIP_WITHOUT_GPU();
  const std::vector<Case> cases = find_cases(op_cases_dir());
  ASSERT_FALSE(cases.empty()) << "no operator cases under '" << op_cases_dir()
                              << "': generate them with tests/ops/gen_op_cases.py --out DIR "
                                 "(or scripts/gen-testdata), or set TOP_GPU_TEST_OPS_DIR";
  Tally t;
  for (const Case& c : cases) check_case(c, t);

  std::string missing_ops;
  for (const auto& [op, names] : t.missing)
    missing_ops += (missing_ops.empty() ? "" : ", ") + op + " (" + std::to_string(names.size()) + " cases)";
  std::printf("[gpu op cases] %zu cases: %d runs compared, %d agree, %zu differ or fail, %zu cases without a GPU "
              "kernel%s%s, %zu skipped\n",
              cases.size(), t.compared, t.agreed, t.failures.size(),
              static_cast<size_t>(std::accumulate(t.missing.begin(), t.missing.end(), size_t(0),
                                                  [](size_t n, const auto& kv) { return n + kv.second.size(); })),
              missing_ops.empty() ? "" : ": ", missing_ops.c_str(), t.skips.size());
  for (const std::string& s : t.skips) std::printf("  skipped: %s\n", s.c_str());
  for (const std::string& f : t.failures) ADD_FAILURE() << f;
  EXPECT_TRUE(t.missing.empty()) << "operators without a GPU kernel: " << missing_ops;
}

bool has_nan(const std::vector<Tensor>& ts) {
  for (const Tensor& t : ts)
    if (t.dtype() == DataType::kFloat32 || t.dtype() == DataType::kFloat64)
      for (int64_t k = 0; k < t.numel(); ++k)
        if (std::isnan(t.item_as_double(k))) return true;
  return false;
}

// Needs no GPU: the random-input runs of AgreeWithCpu stay in each op's domain (a case
// whose own inputs give no NaN on the CPU gives none with random ones either), so they
// compare numbers, not NaN against NaN.
TEST(GpuOpCases, RandomInputsStayInTheOpsDomain) {
  const std::vector<Case> cases = find_cases(op_cases_dir());
  if (cases.empty()) GTEST_SKIP() << "no operator cases under '" << op_cases_dir() << "'";
  int checked = 0;
  for (const Case& c : cases) {
    LoadedCase lc;
    std::string why;
    if (!load_case(c, &lc, &why)) continue;
    auto own = run_cpu(*lc.plan, lc.own);
    if (!own.ok() || has_nan(*own)) continue;
    auto random = run_cpu(*lc.plan, randomize_floats(lc.own, random_seed(c)));
    ASSERT_TRUE(random.ok()) << c.dir << ": " << random.status().to_string();
    EXPECT_FALSE(has_nan(*random)) << c.dir << ": NaN with random inputs, none with the case's own";
    ++checked;
  }
  EXPECT_GT(checked, 100) << "too few operator cases could be loaded from " << op_cases_dir();
}

// The CPU operators the GPU lacks (if any) fail cleanly: Unsupported, naming the node.
// (AgreeWithCpu checks this for every such case too; this test states it on its own.)
TEST(GpuOpCases, MissingKernelIsUnsupportedNamingTheNode) {
  TOP_SKIP_WITHOUT_GPU();
  for (const Case& c : find_cases(op_cases_dir())) {
    auto model = Model::load(c.model_path().string());
    if (!model.ok()) continue;
    std::vector<Tensor> inputs = random_model_inputs(*model, 1, 1);
    auto plan = plan_for(*model, inputs);
    std::string node;
    if (!plan.ok() || unsupported_step(**plan, &node).empty()) continue;
    auto gpu = run_cuda(**plan, inputs);
    ASSERT_FALSE(gpu.ok()) << c.dir << ": ran although node '" << node << "' has no GPU kernel";
    EXPECT_EQ(gpu.status().code(), StatusCode::kUnsupported) << gpu.status().to_string();
    EXPECT_NE(gpu.status().message().find(node), std::string::npos)
        << "the error does not name node '" << node << "': " << gpu.status().to_string();
    return;
  }
  GTEST_SKIP() << "every operator of the cases under " << op_cases_dir() << " has a GPU kernel";
}

}  // namespace
}  // namespace top::gputest

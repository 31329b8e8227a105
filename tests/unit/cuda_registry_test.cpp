// The CUDA op registry covers the CPU registry: every operator type the CPU backend
// runs has a GPU factory, and factories refuse what their kernels cannot do with a
// Status naming the node. Factories do not touch the device, so this runs without a GPU.
#ifdef TOP_WITH_CUDA

#include <gtest/gtest.h>

#include <set>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_op.h"
#include "ops/op.h"

namespace top {
namespace {

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Operators that run on the CPU backend only, each with its reason; the list may only
// shrink (a listed type that gains a factory fails the test below too).
const std::set<std::string> kCpuOnly = {
    // Control flow runs its bodies with the CPU planner and executor (exec/control_flow.cpp);
    // on the GPU it needs the per-node CPU fallback inside CUDA plans (issue 13 must-have 9).
    "If", "Loop", "Scan",
    // Output shapes that depend on input values: planned only when those values are
    // known, and then the planner folds NonZero, Unique and NonMaxSuppression on the CPU
    // (they never run as steps). Compress with a known condition and a run-time input
    // does run: no GPU kernel yet.
    "NonZero", "Unique", "NonMaxSuppression", "Compress",
    // No GPU kernel yet; inside a CUDA plan they need the per-node CPU fallback.
    "Det", "ReverseSequence", "MeanVarianceNormalization", "TfIdfVectorizer", "DFT", "STFT",
    "MelWeightMatrix", "RoiAlign", "MaxUnpool",
    // Sequences and optionals: their values are not tensors, so a model holding them is
    // interpreted node by node on the CPU (exec/interpreter.h), never planned.
    "SequenceEmpty", "SequenceConstruct", "SequenceInsert", "SequenceAt", "SequenceErase", "SequenceLength",
    "SplitToSequence", "ConcatFromSequence", "SequenceMap", "Optional", "OptionalHasElement",
    "OptionalGetElement",
    // Training optimisers (ai.onnx.preview.training): not inference work.
    "Adagrad", "Momentum", "Adam"};

TEST(CudaRegistry, EveryCpuOperatorHasAGpuFactory) {
  const cuda::CudaOpRegistry& gpu = cuda::CudaOpRegistry::builtin();
  std::vector<std::string> missing;
  for (const std::string& type : ops::OpRegistry::builtin().op_types()) {
    if (kCpuOnly.count(type)) {
      EXPECT_FALSE(gpu.supports(type)) << type << " has a CUDA factory now: remove it from kCpuOnly";
      continue;
    }
    if (!gpu.supports(type)) missing.push_back(type);
  }
  EXPECT_TRUE(missing.empty()) << missing.size() << " CPU operator types have no CUDA factory: " << joined(missing);
}

TEST(CudaRegistry, EveryGpuOperatorIsKnownToTheCpuRegistry) {
  const std::vector<std::string> cpu = ops::OpRegistry::builtin().op_types();
  std::vector<std::string> unknown;
  for (const std::string& type : cuda::CudaOpRegistry::builtin().op_types())
    if (std::find(cpu.begin(), cpu.end(), type) == cpu.end()) unknown.push_back(type);
  EXPECT_TRUE(unknown.empty()) << "CUDA factories for types the CPU registry lacks (typos?): " << joined(unknown);
}

// A node and its prepare context, kept together (the context points into the node).
struct Prepared {
  ir::Node node;
  cuda::PrepareContext ctx;
};

std::unique_ptr<Prepared> prepared(const std::string& type, std::vector<ops::ValueInfo> inputs,
                                   std::vector<ops::ValueInfo> outputs, int opset = 17) {
  auto p = std::make_unique<Prepared>();
  p->node.name = "gpu_node";
  p->node.op_type = type;
  p->node.opset = opset;
  p->ctx.node = &p->node;
  p->ctx.attrs = &p->node.attrs;
  p->ctx.inputs = std::move(inputs);
  p->ctx.outputs = std::move(outputs);
  return p;
}

TEST(CudaRegistry, FactoriesBuildOpsForSupportedDtypes) {
  const ops::ValueInfo f{DataType::kFloat32, {2, 3, 4}, nullptr};
  const ops::ValueInfo row{DataType::kFloat32, {4}, nullptr};
  for (const char* type : {"Add", "Relu", "Softmax", "Identity", "Sigmoid"}) {
    auto p = prepared(type, {f, row}, {f});
    Result<std::unique_ptr<cuda::CudaOp>> op = cuda::CudaOpRegistry::builtin().create(p->ctx);
    ASSERT_TRUE(op.ok()) << type << ": " << op.status().to_string();
    EXPECT_NE(op->get(), nullptr);
  }
}

TEST(CudaRegistry, FactoriesRefuseUnsupportedDtypesNamingTheNode) {
  const ops::ValueInfo i32{DataType::kInt32, {2, 3}, nullptr};
  for (const char* type : {"Softmax", "Sigmoid", "Exp", "LayerNormalization"}) {
    auto p = prepared(type, {i32, i32}, {i32});
    Result<std::unique_ptr<cuda::CudaOp>> op = cuda::CudaOpRegistry::builtin().create(p->ctx);
    ASSERT_FALSE(op.ok()) << type << " accepted int32";
    EXPECT_NE(op.status().to_string().find("gpu_node"), std::string::npos) << op.status().to_string();
  }
}

TEST(CudaRegistry, UnknownOperatorTypeIsUnsupported) {
  auto p = prepared("NoSuchOp", {}, {});
  Result<std::unique_ptr<cuda::CudaOp>> op = cuda::CudaOpRegistry::builtin().create(p->ctx);
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.status().to_string().find("NoSuchOp"), std::string::npos);
}

}  // namespace
}  // namespace top

#endif  // TOP_WITH_CUDA

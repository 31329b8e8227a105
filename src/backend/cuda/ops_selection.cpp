// TopK on the GPU (kernels/topk.cu; CPU: src/ops/selection.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/topk.h"
#include "ops/topk.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_topk(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(
      require_input(ctx, 0, {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64}));
  const ir::Attributes& a = attrs_of(ctx);
  int64_t k = a.get_int("k", -1);
  if (ctx.node->opset >= 10) {
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> ks, constant_ints(ctx, 1, "K"));
    if (ks.size() != 1) return InvalidArgument(node_label(ctx) + ": K must hold one element");
    k = ks[0];
  }
  TOP_ASSIGN_OR_RETURN(ops::TopKPlan plan,
                       ops::topk_plan(ctx.inputs[0].shape, a.get_int("axis", -1), k, node_label(ctx) + ": "));
  if (plan.out != ctx.outputs.at(0).shape)
    return InvalidArgument(node_label(ctx) + ": output shape mismatch");
  const bool largest = a.get_int("largest", 1) != 0;
  const DataType dt = ctx.inputs[0].dtype;
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* values, launch_output(lc, 0, node));
    DeviceTensor* indices = lc.outputs.size() > 1 ? lc.outputs[1] : nullptr;  // a model may omit Indices
    const cudaError_t e = kernels::topk(dt, x->data, values->data, indices ? indices->as<int64_t>() : nullptr, plan.outer, plan.d,
                                        plan.inner, plan.k, largest, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, "kernels::topk", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_selection_ops(CudaOpRegistry& r) { r.add("TopK", make_topk); }

}  // namespace top::cuda

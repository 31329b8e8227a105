// OneHot on the GPU (kernels/one_hot.cu; CPU: src/ops/encoding.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/one_hot.h"
#include "ops/one_hot.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_one_hot(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(
      require_input(ctx, 0, {DataType::kInt32, DataType::kInt64, DataType::kFloat32, DataType::kFloat64}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 2));
  const Tensor* depth = ctx.inputs.at(1).constant;
  if (depth == nullptr || depth->numel() != 1) return ctx.unsupported("depth is not a constant at plan time");
  TOP_ASSIGN_OR_RETURN(ops::OneHotPlan plan, ops::one_hot_plan(ctx.inputs[0].shape, depth->item_as_double(0),
                                                               attrs_of(ctx).get_int("axis", -1), node_label(ctx) + ": "));
  if (plan.out != ctx.outputs.at(0).shape) return InvalidArgument(node_label(ctx) + ": output shape mismatch");
  const size_t esize = dtype_size(ctx.inputs[2].dtype);
  const DataType index_dtype = ctx.inputs[0].dtype;
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* idx, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* values, launch_input(lc, 2, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    const cudaError_t e = kernels::one_hot(esize, idx->data, index_dtype, values->data, out->data, plan.outer,
                                           plan.depth, plan.inner, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, "kernels::one_hot", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_encoding_ops(CudaOpRegistry& r) { r.add("OneHot", make_one_hot); }

}  // namespace top::cuda

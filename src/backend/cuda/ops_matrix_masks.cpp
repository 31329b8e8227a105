// Trilu and EyeLike on the GPU (kernels/matrix_masks.cu; CPU: src/ops/matrix_masks.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/matrix_masks.h"
#include "ops/op_util.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_trilu(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 2) return InvalidArgument(node_label(ctx) + ": input must have rank >= 2");
  const int64_t rows = x[x.size() - 2], cols = x[x.size() - 1];
  const int64_t matrices = rows * cols == 0 ? 0 : shape_numel(x) / (rows * cols);
  const bool upper = attrs_of(ctx).get_int("upper", 1) != 0;
  // k: the plan-time value when constant, else read on the device at launch.
  int64_t k_host = 0;
  bool k_on_device = false;
  if (ctx.has_input(1)) {
    TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kInt64}));
    if (shape_numel(ctx.inputs[1].shape) != 1) return InvalidArgument(node_label(ctx) + ": k must be a scalar");
    if (ctx.inputs[1].constant) k_host = ctx.inputs[1].constant->data<int64_t>()[0];
    else k_on_device = true;
  }
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* in, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    const int64_t* k_device = nullptr;
    if (k_on_device) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* k, launch_input(lc, 1, node));
      k_device = k->as<const int64_t>();
    }
    const cudaError_t e =
        kernels::trilu(esize, in->data, out->data, matrices, rows, cols, upper, k_host, k_device, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, "kernels::trilu", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_eye_like(const PrepareContext& ctx) {
  const ops::ValueInfo& y = ctx.outputs.at(0);
  if (y.shape.size() != 2) return InvalidArgument(node_label(ctx) + ": output must be 2-D");
  uint64_t one = 0;
  if (!ops::put_scalar(y.dtype, 1.0, reinterpret_cast<uint8_t*>(&one)))
    return ctx.unsupported(std::string("output dtype ") + dtype_name(y.dtype));
  const int64_t rows = y.shape[0], cols = y.shape[1], k = attrs_of(ctx).get_int("k", 0);
  const size_t esize = dtype_size(y.dtype);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    const cudaError_t e = kernels::eye_like(esize, out->data, rows, cols, k, one, lc.stream());
    if (e != cudaSuccess)
      return cuda_status(e, "kernels::eye_like", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_matrix_mask_ops(CudaOpRegistry& r) {
  r.add("Trilu", make_trilu);
  r.add("EyeLike", make_eye_like);
}

}  // namespace top::cuda

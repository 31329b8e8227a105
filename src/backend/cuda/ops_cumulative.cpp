// CumSum on the GPU (kernels/cumulative.cu; CPU: src/ops/cumulative.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/cumulative.h"
#include "ops/op_util.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_cumsum(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(
      require_input(ctx, 0, {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64}));
  // The axis decides the kernel's [outer, d, inner] view, so it must be known here.
  TOP_ASSIGN_OR_RETURN(std::vector<int64_t> axis, constant_ints(ctx, 1, "axis"));
  if (axis.size() != 1) return InvalidArgument(node_label(ctx) + ": axis must be a scalar");
  const Shape& x = ctx.inputs[0].shape;
  TOP_ASSIGN_OR_RETURN(int64_t a, normalized_axis(ctx, axis[0], static_cast<int64_t>(x.size())));
  const ops::SoftmaxSplit s = ops::softmax_split(x, a, false);
  const bool exclusive = attrs_of(ctx).get_int("exclusive", 0) != 0;
  const bool reverse = attrs_of(ctx).get_int("reverse", 0) != 0;
  const DataType dt = ctx.inputs[0].dtype;
  return xy_op(ctx, "kernels::cumsum", [=](const DeviceTensor& in, DeviceTensor& out, cudaStream_t stream) {
    return kernels::cumsum(dt, in.data, out.data, s.outer, s.d, s.inner, exclusive, reverse, stream);
  });
}

}  // namespace

void register_cuda_cumulative_ops(CudaOpRegistry& r) { r.add("CumSum", make_cumsum); }

}  // namespace top::cuda

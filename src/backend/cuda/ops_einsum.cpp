// Einsum on the GPU (kernels/einsum.cu; CPU: src/ops/einsum.cpp): the equation resolved
// once by the CPU's rule (ops/einsum.h), one thread per output element.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/einsum.h"
#include "ops/einsum.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_einsum(const PrepareContext& ctx) {
  const std::string node = node_label(ctx);
  std::vector<Shape> shapes;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    TOP_RETURN_IF_ERROR(require_input(ctx, i, {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64}));
    shapes.push_back(ctx.inputs[i].shape);
  }
  TOP_ASSIGN_OR_RETURN(ops::EinsumResolved r,
                       ops::einsum_resolve(attrs_of(ctx).get_string("equation", ""), shapes, node + ": "));
  if (r.out != ctx.outputs.at(0).shape) return InvalidArgument(node + ": output shape mismatch");
  const DataType dt = ctx.inputs[0].dtype;
  const ops::EinsumPlan plan = r.plan;
  const int64_t n = shape_numel(r.out);
  return function_op([=](const LaunchContext& lc) -> Status {
    const void* operands[ops::kMaxEinsumOperands] = {};
    for (int o = 0; o < plan.operands; ++o) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* t, launch_input(lc, static_cast<size_t>(o), node));
      operands[o] = t->data;
    }
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    const cudaError_t e = kernels::einsum(dt, plan, operands, y->data, n, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, "kernels::einsum", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_einsum_ops(CudaOpRegistry& r) { r.add("Einsum", make_einsum); }

}  // namespace top::cuda

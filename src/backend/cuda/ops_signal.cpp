// Signal windows on the GPU (kernels/signal.cu; CPU: src/ops/signal.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/signal.h"
#include "ops/window.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_window(const PrepareContext& ctx) {
  const std::string node = node_label(ctx);
  TOP_ASSIGN_OR_RETURN(ops::WindowKind kind, ops::window_kind(ctx.op_type()));
  TOP_ASSIGN_OR_RETURN(DataType dt, ops::window_dtype(attrs_of(ctx), node + ": "));
  const bool periodic = attrs_of(ctx).get_int("periodic", 1) != 0;
  const int64_t n = shape_numel(ctx.outputs.at(0).shape);  // the size the plan read
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    const cudaError_t e = kernels::window(kind, dt, y->data, n, periodic, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, "kernels::window", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_signal_ops(CudaOpRegistry& r) {
  for (const char* type : {"HannWindow", "HammingWindow", "BlackmanWindow"}) r.add(type, make_window);
}

}  // namespace top::cuda

// ScatterElements, Scatter and ScatterND on the GPU (kernels/scatter.cu; CPU:
// src/ops/scatter.cpp): a device copy of data, then one kernel writing the updates.
// Reductions: none and add (atomics); mul, max and min run on the CPU backend only.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/scatter.h"
#include "ops/scatter.h"

namespace top::cuda {
namespace {

const std::vector<DataType> kScatterTypes = {DataType::kFloat32, DataType::kFloat64, DataType::kInt32,
                                             DataType::kInt64};

Result<bool> reduction_is_add(const PrepareContext& ctx) {
  TOP_ASSIGN_OR_RETURN(ops::ScatterReduction r, ops::parse_scatter_reduction(attrs_of(ctx).get_string("reduction", "none"),
                                                                              node_label(ctx) + ": "));
  if (r != ops::ScatterReduction::kNone && r != ops::ScatterReduction::kAdd)
    return ctx.unsupported("reduction other than none or add");
  return r == ops::ScatterReduction::kAdd;
}

// Copies data into the output, then runs `scatter` on the stream.
using ScatterLaunch = std::function<cudaError_t(const DeviceTensor& idx, const DeviceTensor& upd, DeviceTensor& out,
                                                cudaStream_t)>;
Result<std::unique_ptr<CudaOp>> scatter_op(const PrepareContext& ctx, const char* kernel, ScatterLaunch scatter) {
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* data, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* idx, launch_input(lc, 1, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* upd, launch_input(lc, 2, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    cudaError_t e = cudaMemcpyAsync(out->data, data->data, data->nbytes(), cudaMemcpyDeviceToDevice, lc.stream());
    if (e == cudaSuccess) e = scatter(*idx, *upd, *out, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, kernel, __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_scatter_elements(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, kScatterTypes));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kInt64, DataType::kInt32}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 2, kScatterTypes));
  TOP_ASSIGN_OR_RETURN(bool add, reduction_is_add(ctx));
  const Shape& data = ctx.inputs[0].shape;
  const Shape& ind = ctx.inputs[1].shape;
  TOP_ASSIGN_OR_RETURN(int64_t axis, ops::scatter_elements_axis(data, ind, ctx.inputs[2].shape,
                                                                attrs_of(ctx).get_int("axis", 0), node_label(ctx) + ": "));
  TOP_ASSIGN_OR_RETURN(AlongAxisIndex along, along_axis_index(ctx, data, ind, axis));
  const kernels::StridedIndex<1> index = along.index;
  const int64_t dim = along.axis_dim, axis_stride = along.axis_stride;
  const bool i64 = ctx.inputs[1].dtype == DataType::kInt64;
  const DataType dt = ctx.inputs[0].dtype;
  return scatter_op(ctx, "kernels::scatter_elements",
                    [=](const DeviceTensor& idx, const DeviceTensor& upd, DeviceTensor& out, cudaStream_t s) {
                      return kernels::scatter_elements(dt, out.data, idx.data, i64, upd.data, index, dim, axis_stride,
                                                       add, s);
                    });
}

Result<std::unique_ptr<CudaOp>> make_scatter_nd(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, kScatterTypes));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kInt64}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 2, kScatterTypes));
  TOP_ASSIGN_OR_RETURN(bool add, reduction_is_add(ctx));
  TOP_ASSIGN_OR_RETURN(ops::GatherNdPlan g, ops::scatter_nd_plan(ctx.inputs[0].shape, ctx.inputs[1].shape,
                                                                 ctx.inputs[2].shape, node_label(ctx) + ": "));
  TOP_ASSIGN_OR_RETURN(kernels::GatherNdIndex index, gather_nd_index(ctx, g));
  const DataType dt = ctx.inputs[0].dtype;
  return scatter_op(ctx, "kernels::scatter_nd",
                    [=](const DeviceTensor& idx, const DeviceTensor& upd, DeviceTensor& out, cudaStream_t s) {
                      return kernels::scatter_nd(dt, out.data, idx.as<const int64_t>(), upd.data, index, add, s);
                    });
}

}  // namespace

void register_cuda_scatter_ops(CudaOpRegistry& r) {
  r.add("Scatter", make_scatter_elements);
  r.add("ScatterElements", make_scatter_elements);
  r.add("ScatterND", make_scatter_nd);
}

}  // namespace top::cuda

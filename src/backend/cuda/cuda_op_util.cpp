#include "backend/cuda/cuda_op_util.h"

#include <algorithm>

#include "ops/broadcast.h"

namespace top::cuda {

std::vector<int64_t> dense_strides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

std::string node_label(const PrepareContext& ctx) { return ctx.op_type() + " node '" + ctx.node->name + "'"; }

template <int N>
Result<kernels::StridedIndex<N>> strided_index(const PrepareContext& ctx, const Shape& dims,
                                               const std::vector<std::vector<int64_t>>& strides,
                                               const std::vector<int64_t>& offsets) {
  if (strides.size() != static_cast<size_t>(N))
    return Internal(node_label(ctx) + ": index space built with " + std::to_string(strides.size()) +
                    " operands, expected " + std::to_string(N));
  const int64_t* st[N];
  for (int k = 0; k < N; ++k) {
    if (strides[k].size() != dims.size())
      return Internal(node_label(ctx) + ": operand " + std::to_string(k) + " has " + std::to_string(strides[k].size()) +
                      " strides for " + std::to_string(dims.size()) + " dims");
    st[k] = strides[k].data();
  }
  kernels::StridedIndex<N> index;
  if (!kernels::make_strided_index<N>(static_cast<int>(dims.size()), dims.data(), st,
                                      offsets.empty() ? nullptr : offsets.data(), &index))
    return ctx.unsupported("shape " + shape_str(dims) + " keeps more than " + std::to_string(kernels::kMaxDims) +
                           " dims after merging, the most a GPU kernel walks");
  return index;
}

template <int N>
Result<kernels::StridedIndex<N>> broadcast_index(const PrepareContext& ctx, const std::vector<Shape>& inputs,
                                                 const Shape& out) {
  std::vector<std::vector<int64_t>> strides;
  for (const Shape& in : inputs) {
    if (in.size() > out.size())
      return InvalidArgument(node_label(ctx) + ": input " + shape_str(in) + " cannot broadcast to " + shape_str(out));
    for (size_t d = 0; d < in.size(); ++d) {
      const int64_t o = out[out.size() - in.size() + d];
      if (in[d] != o && in[d] != 1)
        return InvalidArgument(node_label(ctx) + ": input " + shape_str(in) + " cannot broadcast to " + shape_str(out));
    }
    strides.push_back(ops::broadcast_strides(in, out));
  }
  strides.push_back(dense_strides(out));
  return strided_index<N>(ctx, out, strides);
}

template Result<kernels::StridedIndex<1>> strided_index<1>(const PrepareContext&, const Shape&,
                                                           const std::vector<std::vector<int64_t>>&,
                                                           const std::vector<int64_t>&);
template Result<kernels::StridedIndex<2>> strided_index<2>(const PrepareContext&, const Shape&,
                                                           const std::vector<std::vector<int64_t>>&,
                                                           const std::vector<int64_t>&);
template Result<kernels::StridedIndex<2>> broadcast_index<2>(const PrepareContext&, const std::vector<Shape>&,
                                                             const Shape&);
template Result<kernels::StridedIndex<3>> broadcast_index<3>(const PrepareContext&, const std::vector<Shape>&,
                                                             const Shape&);
template Result<kernels::StridedIndex<4>> broadcast_index<4>(const PrepareContext&, const std::vector<Shape>&,
                                                             const Shape&);

Result<std::unique_ptr<CudaOp>> xy_op(const PrepareContext& ctx, const char* kernel, XYLaunch launch) {
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    const cudaError_t e = launch(*x, *y, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, kernel, __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

Result<const DeviceTensor*> launch_input(const LaunchContext& ctx, size_t i, const std::string& node) {
  if (i >= ctx.inputs.size() || ctx.inputs[i] == nullptr)
    return InvalidArgument("CUDA backend: " + node + ": input " + std::to_string(i) + " is missing at launch");
  return ctx.inputs[i];
}

Result<DeviceTensor*> launch_output(const LaunchContext& ctx, size_t i, const std::string& node) {
  if (i >= ctx.outputs.size() || ctx.outputs[i] == nullptr)
    return InvalidArgument("CUDA backend: " + node + ": output " + std::to_string(i) + " is missing at launch");
  return ctx.outputs[i];
}

Status require_input(const PrepareContext& ctx, size_t i, const std::vector<DataType>& dtypes) {
  if (!ctx.has_input(i)) return InvalidArgument(node_label(ctx) + ": input " + std::to_string(i) + " is missing");
  const DataType dt = ctx.inputs[i].dtype;
  if (!dtypes.empty() && std::find(dtypes.begin(), dtypes.end(), dt) == dtypes.end())
    return ctx.unsupported(std::string("input ") + std::to_string(i) + " has dtype " + dtype_name(dt) +
                           ", which this GPU kernel does not support");
  return Status::Ok();
}

Result<std::unique_ptr<CudaOp>> make_unary_op(const PrepareContext& ctx, kernels::UnaryKind kind,
                                              const kernels::UnaryParams& params) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const DataType dt = ctx.inputs[0].dtype;
  if (!kernels::unary_supports(kind, dt)) return ctx.unsupported(std::string("dtype ") + dtype_name(dt));
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::unary(kind, dt, x->data, y->data, x->numel(), params, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_binary_op(const PrepareContext& ctx, kernels::BinaryKind kind,
                                               const std::vector<DataType>& dtypes) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, dtypes));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, dtypes));
  const DataType a_dt = ctx.inputs[0].dtype, b_dt = ctx.inputs[1].dtype;
  if (a_dt != b_dt && kind != kernels::BinaryKind::kPow)
    return InvalidArgument(node_label(ctx) + ": inputs are " + dtype_name(a_dt) + " and " + dtype_name(b_dt));
  TOP_ASSIGN_OR_RETURN(auto index,
                       broadcast_index<3>(ctx, {ctx.inputs[0].shape, ctx.inputs[1].shape}, ctx.outputs.at(0).shape));
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* a, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* b, launch_input(lc, 1, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::binary(kind, a_dt, b_dt, a->data, b->data, out->data, index, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_copy_op(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const ops::ValueInfo& in = ctx.inputs[0];
  const ops::ValueInfo& out = ctx.outputs.at(0);
  const size_t bytes = static_cast<size_t>(shape_numel(in.shape)) * dtype_size(in.dtype);
  if (bytes != static_cast<size_t>(shape_numel(out.shape)) * dtype_size(out.dtype))
    return InvalidArgument(node_label(ctx) + ": output " + shape_str(out.shape) + " does not hold the input " +
                           shape_str(in.shape));
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    if (bytes > 0) TOP_CUDA_CHECK(cudaMemcpyAsync(y->data, x->data, bytes, cudaMemcpyDeviceToDevice, lc.stream()));
    return Status::Ok();
  });
}

Result<std::vector<int64_t>> constant_ints(const PrepareContext& ctx, size_t i, const char* what, bool* present) {
  if (present) *present = ctx.has_input(i);
  if (!ctx.has_input(i)) {
    if (present) return std::vector<int64_t>{};
    return InvalidArgument(node_label(ctx) + ": input '" + what + "' is missing");
  }
  const Tensor* t = ctx.inputs[i].constant;
  if (t == nullptr) return ctx.unsupported(std::string("input '") + what + "' is not constant at plan time");
  if (t->dtype() != DataType::kInt64 && t->dtype() != DataType::kInt32)
    return InvalidArgument(node_label(ctx) + ": input '" + what + "' must be int64 or int32, got " +
                           dtype_name(t->dtype()));
  return t->to_int_vector();
}

Result<int64_t> normalized_axis(const PrepareContext& ctx, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return InvalidArgument(node_label(ctx) + ": axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  return axis < 0 ? axis + rank : axis;
}

Result<AlongAxisIndex> along_axis_index(const PrepareContext& ctx, const Shape& data, const Shape& indices,
                                        int64_t axis) {
  std::vector<int64_t> strides = dense_strides(data);
  AlongAxisIndex a;
  a.axis_stride = strides[static_cast<size_t>(axis)];
  a.axis_dim = data[static_cast<size_t>(axis)];
  strides[static_cast<size_t>(axis)] = 0;
  TOP_ASSIGN_OR_RETURN(a.index, strided_index<1>(ctx, indices, {strides}));
  return a;
}

Result<kernels::GatherNdIndex> gather_nd_index(const PrepareContext& ctx, const ops::GatherNdPlan& g) {
  if (g.k > kernels::kMaxGatherNdCoords)
    return ctx.unsupported("index tuples of " + std::to_string(g.k) + " coordinates (at most " +
                           std::to_string(kernels::kMaxGatherNdCoords) + ")");
  kernels::GatherNdIndex index;
  index.k = static_cast<int>(g.k);
  for (int64_t t = 0; t < g.k; ++t) {
    index.dims[t] = g.dims[static_cast<size_t>(t)];
    index.strides[t] = g.strides[static_cast<size_t>(t)];
  }
  index.slice_elems = g.slice_elems;
  index.slices = g.slices;
  index.slices_per_batch = g.slices_per_batch;
  index.batch_stride = g.batch_stride;
  return index;
}

}  // namespace top::cuda

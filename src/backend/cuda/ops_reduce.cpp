// GPU reductions (src/ops/reduce.cpp on the CPU): Reduce* with axes from the attribute
// or (from opset 13 for ReduceSum, 18 for the others) a plan-time constant input,
// keepdims, noop_with_empty_axes; ArgMax/ArgMin. Kernels: kernels/reduce.cu.
#include "backend/cuda/cuda_op_util.h"
#include "backend/cuda/op_index.h"
#include "kernels/reduce.h"

namespace top::cuda {
namespace {

using kernels::ReduceKind;

// Which dims are reduced; empty axes reduce everything unless noop_with_empty_axes
// (which only exists where axes are an input).
Result<std::vector<bool>> reduce_mask(const PrepareContext& ctx, int axes_input_since) {
  const ir::Attributes& a = attrs_of(ctx);
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  const bool axes_from_input = ctx.node->opset >= axes_input_since;
  std::vector<int64_t> axes = axes_from_input ? std::vector<int64_t>{} : a.get_ints("axes");
  if (axes_from_input) {
    bool present = false;
    TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 1, "axes", &present));
  }
  std::vector<bool> mask(static_cast<size_t>(rank), false);
  if (axes.empty()) {
    if (!(axes_from_input && a.get_int("noop_with_empty_axes", 0) != 0)) mask.assign(mask.size(), true);
    return mask;
  }
  for (int64_t ax : axes) {
    TOP_ASSIGN_OR_RETURN(int64_t d, normalized_axis(ctx, ax, rank));
    mask[static_cast<size_t>(d)] = true;
  }
  return mask;
}

}  // namespace

Result<kernels::ReduceIndex> reduce_index(const PrepareContext& ctx, int axes_input_since) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  TOP_ASSIGN_OR_RETURN(std::vector<bool> mask, reduce_mask(ctx, axes_input_since));
  const Shape& in = ctx.inputs[0].shape;
  const std::vector<int64_t> strides = dense_strides(in);
  Shape kept, reduced;
  std::vector<int64_t> kept_strides, reduced_strides;
  kernels::ReduceIndex index;
  index.reduce_count = 1;
  for (size_t d = 0; d < in.size(); ++d) {
    (mask[d] ? reduced : kept).push_back(in[d]);
    (mask[d] ? reduced_strides : kept_strides).push_back(strides[d]);
    if (mask[d]) index.reduce_count *= in[d];
  }
  index.out_count = shape_numel(kept);
  if (index.out_count != shape_numel(ctx.outputs.at(0).shape))
    return InvalidArgument(node_label(ctx) + ": output " + shape_str(ctx.outputs[0].shape) +
                           " does not match the reduction of " + shape_str(in));
  TOP_ASSIGN_OR_RETURN(index.kept, strided_index<1>(ctx, kept, {kept_strides}));
  TOP_ASSIGN_OR_RETURN(index.reduced, strided_index<1>(ctx, reduced, {reduced_strides}));
  return index;
}

namespace {

Result<std::unique_ptr<CudaOp>> make_reduce(const PrepareContext& ctx, ReduceKind kind, int axes_input_since) {
  const bool float_only = kind == ReduceKind::kL2 || kind == ReduceKind::kLogSum || kind == ReduceKind::kLogSumExp;
  TOP_RETURN_IF_ERROR(require_input(
      ctx, 0,
      float_only ? std::vector<DataType>{DataType::kFloat32, DataType::kFloat64}
                 : std::vector<DataType>{DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64}));
  TOP_ASSIGN_OR_RETURN(kernels::ReduceIndex index, reduce_index(ctx, axes_input_since));
  const DataType dt = ctx.inputs[0].dtype;
  return xy_op(ctx, "kernels::reduce", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::reduce(kind, dt, x.data, y.data, index, s);
  });
}

Result<std::unique_ptr<CudaOp>> make_arg(const PrepareContext& ctx, bool max) {
  TOP_RETURN_IF_ERROR(require_input(
      ctx, 0,
      {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64, DataType::kInt8, DataType::kUint8}));
  const Shape& s = ctx.inputs[0].shape;
  if (s.empty()) return InvalidArgument(node_label(ctx) + ": needs an input of rank >= 1");
  const ir::Attributes& a = attrs_of(ctx);
  TOP_ASSIGN_OR_RETURN(int64_t axis, normalized_axis(ctx, a.get_int("axis", 0), static_cast<int64_t>(s.size())));
  const bool last = a.get_int("select_last_index", 0) != 0;
  int64_t outer = 1, inner = 1;
  const int64_t d = s[static_cast<size_t>(axis)];
  for (int64_t i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
  for (size_t i = static_cast<size_t>(axis) + 1; i < s.size(); ++i) inner *= s[i];
  if (d == 0 && outer * inner > 0) return InvalidArgument(node_label(ctx) + ": reduction over an empty axis");
  const DataType dt = ctx.inputs[0].dtype;
  return xy_op(ctx, "kernels::arg_reduce", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::arg_reduce(max, last, dt, x.data, y.as<int64_t>(), outer, d, inner, s);
  });
}

}  // namespace

void register_cuda_reduce_ops(CudaOpRegistry& r) {
  // ReduceSum took axes as an input from opset 13, the others from opset 18.
  auto red = [&r](const char* name, ReduceKind k, int axes_input_since) {
    r.add(name, [k, axes_input_since](const PrepareContext& ctx) { return make_reduce(ctx, k, axes_input_since); });
  };
  red("ReduceSum", ReduceKind::kSum, 13);
  red("ReduceMean", ReduceKind::kMean, 18);
  red("ReduceMax", ReduceKind::kMax, 18);
  red("ReduceMin", ReduceKind::kMin, 18);
  red("ReduceProd", ReduceKind::kProd, 18);
  red("ReduceL1", ReduceKind::kL1, 18);
  red("ReduceL2", ReduceKind::kL2, 18);
  red("ReduceSumSquare", ReduceKind::kSumSquare, 18);
  red("ReduceLogSum", ReduceKind::kLogSum, 18);
  red("ReduceLogSumExp", ReduceKind::kLogSumExp, 18);
  r.add("ArgMax", [](const PrepareContext& ctx) { return make_arg(ctx, true); });
  r.add("ArgMin", [](const PrepareContext& ctx) { return make_arg(ctx, false); });
}

}  // namespace top::cuda

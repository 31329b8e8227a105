// GPU data movement and shape operators (src/ops/shape.cpp, tensor.cpp, resize.cpp on
// the CPU). Reshape-like ops are device copies; Slice, Transpose, Tile, Expand, Concat
// and Split are strided copies (kernels/copy.cu) whose index spaces are built here once;
// ops whose outputs are known at plan time (Shape, Size, Constant, Range) upload the
// values the CPU operator computes from the plan-time inputs.
#include <algorithm>
#include <cstring>

#include "backend/cuda/cuda_op_util.h"
#include "backend/cuda/cuda_resources.h"
#include "backend/cuda/device_plan.h"
#include "backend/cuda/op_index.h"
#include "kernels/copy.h"
#include "kernels/fill.h"
#include "kernels/resize.h"
#include "ops/gather_nd.h"
#include "ops/grid_sample.h"
#include "ops/op_util.h"
#include "ops/space_depth.h"
#include "ops/pad_params.h"
#include "ops/resize_plan.h"
#include "ops/slice_params.h"

namespace top::cuda {
namespace {

using kernels::StridedIndex;

// A strided copy of input 0 into output 0 over the given index space.
Result<std::unique_ptr<CudaOp>> strided_copy_op(const PrepareContext& ctx, const StridedIndex<2>& index) {
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  return xy_op(ctx, "kernels::strided_copy", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::strided_copy(esize, x.data, y.data, index, s);
  });
}

// ---- values known at plan time -------------------------------------------------------------

// The outputs of the node's CPU operator, computed once from the plan-time inputs: Shape
// and Size give them from the input shape (infer), Constant and Range from constants.
Result<std::vector<Tensor>> plan_time_outputs(const PrepareContext& ctx) {
  const ops::Op* op = ctx.node->op.get();
  if (op == nullptr) return Internal(node_label(ctx) + ": the node has no parsed operator");
  ops::InferContext ic(ctx.node->name, ctx.inputs, ctx.outputs.size());
  TOP_RETURN_IF_ERROR(op->infer(ic));
  std::vector<Tensor> values(ctx.outputs.size());
  bool all_known = true;
  for (size_t i = 0; i < values.size(); ++i) {
    if (const Tensor* v = ic.output_value(i))
      values[i] = *v;
    else
      all_known = false;
  }
  if (all_known) return values;
  std::vector<const Tensor*> inputs;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    if (!ctx.has_input(i)) {
      inputs.push_back(nullptr);
      continue;
    }
    if (ctx.inputs[i].constant == nullptr)
      return ctx.unsupported("input " + std::to_string(i) + " is not constant at plan time");
    inputs.push_back(ctx.inputs[i].constant);
  }
  std::vector<Tensor*> outputs;
  for (size_t i = 0; i < values.size(); ++i) {
    TOP_ASSIGN_OR_RETURN(values[i], Tensor::allocate(ctx.outputs[i].dtype, ctx.outputs[i].shape));
    outputs.push_back(&values[i]);
  }
  TOP_RETURN_IF_ERROR(op->compute(ops::KernelContext(inputs, outputs, nullptr)));
  return values;
}

Result<std::unique_ptr<CudaOp>> make_plan_time_value(const PrepareContext& ctx) {
  TOP_ASSIGN_OR_RETURN(std::vector<Tensor> values, plan_time_outputs(ctx));
  // Uploaded once here, copied device to device at launch: a copy from pageable host
  // memory at launch would be illegal inside CUDA graph capture (and re-send the bytes
  // every run; large Constant nodes are weights).
  std::vector<size_t> bytes, offsets;
  for (const Tensor& v : values) bytes.push_back(v.nbytes());
  const size_t total = pack_offsets(bytes, offsets);
  auto device = std::make_shared<DeviceBuffer>();
  TOP_ASSIGN_OR_RETURN(*device, DeviceBuffer::create(total));
  for (size_t i = 0; i < values.size(); ++i)
    if (bytes[i] > 0)
      TOP_CUDA_CHECK(cudaMemcpy(static_cast<uint8_t*>(device->get()) + offsets[i], values[i].raw_data(), bytes[i],
                                cudaMemcpyHostToDevice));
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    for (size_t i = 0; i < bytes.size(); ++i) {
      if (i >= lc.outputs.size() || lc.outputs[i] == nullptr || bytes[i] == 0) continue;
      if (lc.outputs[i]->nbytes() != bytes[i])
        return InvalidArgument(node + ": output " + std::to_string(i) + " does not match the plan-time value");
      TOP_CUDA_CHECK(cudaMemcpyAsync(lc.outputs[i]->data, static_cast<const uint8_t*>(device->get()) + offsets[i],
                                     bytes[i], cudaMemcpyDeviceToDevice, lc.stream()));
    }
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_constant_of_shape(const PrepareContext& ctx) {
  const DataType dt = ctx.outputs.at(0).dtype;
  uint64_t value = 0;
  const Tensor* v = attrs_of(ctx).get_tensor("value");
  if (v != nullptr && v->defined()) {
    if (v->numel() != 1 || v->dtype() != dt || dtype_size(dt) > sizeof(value))
      return InvalidArgument(node_label(ctx) + ": attribute 'value' must hold one element of the output dtype");
    std::memcpy(&value, v->raw_data(), dtype_size(dt));
  }  // else float 0: all-zero bytes
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::fill(y->data, &value, dtype_size(dt), y->numel(), lc.stream()));
    return Status::Ok();
  });
}

// ---- Concat, Split -------------------------------------------------------------------------

Result<std::unique_ptr<CudaOp>> make_concat(const PrepareContext& ctx) {
  const Shape& out = ctx.outputs.at(0).shape;
  TOP_ASSIGN_OR_RETURN(int64_t axis,
                       normalized_axis(ctx, attrs_of(ctx).get_int("axis", 1), static_cast<int64_t>(out.size())));
  const std::vector<int64_t> out_strides = dense_strides(out);
  std::vector<StridedIndex<2>> parts;
  int64_t at = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    TOP_RETURN_IF_ERROR(require_input(ctx, i, {ctx.outputs[0].dtype}));
    const Shape& in = ctx.inputs[i].shape;
    TOP_ASSIGN_OR_RETURN(auto index, strided_index<2>(ctx, in, {dense_strides(in), out_strides},
                                                      {0, at * out_strides[static_cast<size_t>(axis)]}));
    parts.push_back(index);
    at += in[static_cast<size_t>(axis)];
  }
  if (at != out[static_cast<size_t>(axis)])
    return InvalidArgument(node_label(ctx) + ": inputs do not fill the output " + shape_str(out));
  const size_t esize = dtype_size(ctx.outputs[0].dtype);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    for (size_t i = 0; i < parts.size(); ++i) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, i, node));
      TOP_CUDA_CHECK(kernels::strided_copy(esize, x->data, y->data, parts[i], lc.stream()));
    }
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_split(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  const ir::Attributes& a = attrs_of(ctx);
  TOP_ASSIGN_OR_RETURN(int64_t axis, normalized_axis(ctx, a.get_int("axis", 0), static_cast<int64_t>(in.size())));
  const int64_t dim = in[static_cast<size_t>(axis)];
  const size_t n = ctx.outputs.size();
  std::vector<int64_t> sizes = a.get_ints("split");
  if (ctx.node->opset >= 13 || (ctx.node->opset < 2 && !a.has("split"))) {  // as the CPU's SplitOp
    bool present = false;
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> given, constant_ints(ctx, 1, "split", &present));
    if (present) sizes = given;
  }
  if (sizes.empty() && n > 0) {  // equal chunks, the last one smaller (opset 18)
    const int64_t chunk = (dim + static_cast<int64_t>(n) - 1) / static_cast<int64_t>(n);
    for (size_t i = 0; i < n; ++i) sizes.push_back(std::max<int64_t>(0, std::min(chunk, dim - chunk * int64_t(i))));
  }
  if (sizes.size() != n) return InvalidArgument(node_label(ctx) + ": split sizes do not match the outputs");
  const std::vector<int64_t> in_strides = dense_strides(in);
  std::vector<StridedIndex<2>> parts(n);
  std::vector<bool> wired(n, false);
  int64_t at = 0;
  for (size_t i = 0; i < n; ++i) {
    if (ctx.outputs[i].present()) {
      const Shape& out = ctx.outputs[i].shape;
      if (out.size() != in.size() || out[static_cast<size_t>(axis)] != sizes[i])
        return InvalidArgument(node_label(ctx) + ": output " + std::to_string(i) + " " + shape_str(out) +
                               " does not match split size " + std::to_string(sizes[i]));
      TOP_ASSIGN_OR_RETURN(parts[i], strided_index<2>(ctx, out, {in_strides, dense_strides(out)},
                                                      {at * in_strides[static_cast<size_t>(axis)], 0}));
      wired[i] = true;
    }
    at += sizes[i];
  }
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    for (size_t i = 0; i < n; ++i) {
      if (!wired[i] || i >= lc.outputs.size() || lc.outputs[i] == nullptr) continue;
      TOP_CUDA_CHECK(kernels::strided_copy(esize, x->data, lc.outputs[i]->data, parts[i], lc.stream()));
    }
    return Status::Ok();
  });
}

}  // namespace

// ---- Slice, Transpose, Expand, Tile ------------------------------------------------------------

Result<kernels::StridedIndex<2>> slice_index(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  const Shape& out = ctx.outputs.at(0).shape;
  const ir::Attributes& a = attrs_of(ctx);
  std::vector<int64_t> starts, ends, axes, steps;
  bool has_axes = false, has_steps = false;
  if (ctx.node->opset >= 10) {
    TOP_ASSIGN_OR_RETURN(starts, constant_ints(ctx, 1, "starts"));
    TOP_ASSIGN_OR_RETURN(ends, constant_ints(ctx, 2, "ends"));
    TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "axes", &has_axes));
    TOP_ASSIGN_OR_RETURN(steps, constant_ints(ctx, 4, "steps", &has_steps));
  } else {
    starts = a.get_ints("starts");
    ends = a.get_ints("ends");
    has_axes = a.has("axes");
    axes = a.get_ints("axes");
  }
  TOP_ASSIGN_OR_RETURN(ops::SliceParams sp, ops::slice_params(in, starts, ends, has_axes ? &axes : nullptr,
                                                              has_steps ? &steps : nullptr, node_label(ctx) + ": "));
  if (sp.out != out)
    return InvalidArgument(node_label(ctx) + ": the slice gives " + shape_str(sp.out) + " but the output is " +
                           shape_str(out));
  ops::SliceView view = ops::slice_view(in, sp);
  return strided_index<2>(ctx, out, {view.strides, dense_strides(out)}, {view.offset, 0});
}

Result<kernels::StridedIndex<2>> transpose_index(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm = attrs_of(ctx).get_ints("perm");
  if (!attrs_of(ctx).has("perm"))
    for (int64_t i = rank - 1; i >= 0; --i) perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return InvalidArgument(node_label(ctx) + ": perm does not match the input rank");
  const std::vector<int64_t> in_strides = dense_strides(in);
  Shape out;
  std::vector<int64_t> src;
  for (int64_t p : perm) {
    TOP_ASSIGN_OR_RETURN(int64_t d, normalized_axis(ctx, p, rank));
    out.push_back(in[static_cast<size_t>(d)]);
    src.push_back(in_strides[static_cast<size_t>(d)]);
  }
  if (out != ctx.outputs.at(0).shape) return InvalidArgument(node_label(ctx) + ": output shape mismatch");
  return strided_index<2>(ctx, out, {src, dense_strides(out)});
}

// The output seen as [r0, d0, r1, d1, ...], reading the input with stride 0 on each r.
Result<kernels::StridedIndex<2>> tile_index(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  TOP_ASSIGN_OR_RETURN(std::vector<int64_t> reps, constant_ints(ctx, 1, "repeats"));
  if (reps.size() != in.size()) return InvalidArgument(node_label(ctx) + ": repeats must have one entry per dim");
  const std::vector<int64_t> in_strides = dense_strides(in);
  Shape dims;
  std::vector<int64_t> src;
  for (size_t d = 0; d < in.size(); ++d) {
    dims.insert(dims.end(), {reps[d], in[d]});
    src.insert(src.end(), {0, in_strides[d]});
  }
  return strided_index<2>(ctx, dims, {src, dense_strides(dims)});
}

namespace {

Result<std::unique_ptr<CudaOp>> make_strided(const PrepareContext& ctx,
                                             Result<kernels::StridedIndex<2>> (*index_of)(const PrepareContext&)) {
  TOP_ASSIGN_OR_RETURN(auto index, index_of(ctx));
  return strided_copy_op(ctx, index);
}

// DepthToSpace / SpaceToDepth: one strided copy through the view ops/space_depth.h
// defines for both backends.
Result<std::unique_ptr<CudaOp>> make_space_depth(const PrepareContext& ctx, bool to_space) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const ir::Attributes& a = attrs_of(ctx);
  const int64_t b = a.get_int("blocksize", 0);
  const std::string p = node_label(ctx) + ": ";
  TOP_ASSIGN_OR_RETURN(ops::SpaceDepthView v,
                       to_space ? ops::depth_to_space_view(ctx.inputs[0].shape, b, a.get_string("mode", "DCR") == "CRD", p)
                                : ops::space_to_depth_view(ctx.inputs[0].shape, b, p));
  if (v.out != ctx.outputs.at(0).shape) return InvalidArgument(p + "output shape mismatch");
  TOP_ASSIGN_OR_RETURN(auto index, strided_index<2>(ctx, v.dims, {v.src_strides, dense_strides(v.dims)}));
  return strided_copy_op(ctx, index);
}

Result<std::unique_ptr<CudaOp>> make_expand(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  TOP_ASSIGN_OR_RETURN(auto index, broadcast_index<2>(ctx, {ctx.inputs[0].shape}, ctx.outputs.at(0).shape));
  return strided_copy_op(ctx, index);
}

// ---- Gather, GatherElements ----------------------------------------------------------------------

const std::vector<DataType> kIndexTypes = {DataType::kInt64, DataType::kInt32};

// An op reading data (input 0) and indices (input 1) into output 0.
using GatherLaunch =
    std::function<cudaError_t(const DeviceTensor& data, const DeviceTensor& indices, DeviceTensor& out, cudaStream_t)>;

Result<std::unique_ptr<CudaOp>> gather_op(const PrepareContext& ctx, const char* kernel, GatherLaunch launch) {
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* idx, launch_input(lc, 1, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    const cudaError_t e = launch(*x, *idx, *y, lc.stream());
    if (e != cudaSuccess) return cuda_status(e, kernel, __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_gather(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, kIndexTypes));
  const Shape& data = ctx.inputs[0].shape;
  TOP_ASSIGN_OR_RETURN(int64_t axis,
                       normalized_axis(ctx, attrs_of(ctx).get_int("axis", 0), static_cast<int64_t>(data.size())));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= data[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < data.size(); ++d) inner *= data[d];
  const int64_t dim = data[static_cast<size_t>(axis)];
  const int64_t count = shape_numel(ctx.inputs[1].shape);
  const bool i64 = ctx.inputs[1].dtype == DataType::kInt64;
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  return gather_op(ctx, "kernels::gather",
                   [=](const DeviceTensor& x, const DeviceTensor& idx, DeviceTensor& y, cudaStream_t s) {
                     return kernels::gather(esize, x.data, idx.data, i64, y.data, outer, dim, count, inner, s);
                   });
}

Result<std::unique_ptr<CudaOp>> make_gather_elements(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, kIndexTypes));
  const Shape& data = ctx.inputs[0].shape;
  const Shape& ind = ctx.inputs[1].shape;
  if (ind.size() != data.size()) return InvalidArgument(node_label(ctx) + ": indices and data differ in rank");
  TOP_ASSIGN_OR_RETURN(int64_t axis,
                       normalized_axis(ctx, attrs_of(ctx).get_int("axis", 0), static_cast<int64_t>(data.size())));
  TOP_ASSIGN_OR_RETURN(AlongAxisIndex along, along_axis_index(ctx, data, ind, axis));
  const kernels::StridedIndex<1> index = along.index;
  const int64_t dim = along.axis_dim, axis_stride = along.axis_stride;
  const bool i64 = ctx.inputs[1].dtype == DataType::kInt64;
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  return gather_op(ctx, "kernels::gather_elements",
                   [=](const DeviceTensor& x, const DeviceTensor& idx, DeviceTensor& y, cudaStream_t s) {
                     return kernels::gather_elements(esize, x.data, idx.data, i64, y.data, index, dim, axis_stride, s);
                   });
}

Result<std::unique_ptr<CudaOp>> make_grid_sample(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32, DataType::kFloat64}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {ctx.inputs[0].dtype}));
  const std::string p = node_label(ctx) + ": ";
  TOP_ASSIGN_OR_RETURN(ops::GridSampleAttrs g, ops::parse_grid_sample(attrs_of(ctx), p));
  TOP_ASSIGN_OR_RETURN(Shape out, ops::grid_sample_shape(ctx.inputs[0].shape, ctx.inputs[1].shape, p));
  const Shape& x = ctx.inputs[0].shape;
  const DataType dt = ctx.inputs[0].dtype;
  return gather_op(ctx, "kernels::grid_sample",
                   [=](const DeviceTensor& in, const DeviceTensor& grid, DeviceTensor& y, cudaStream_t s) {
                     return kernels::grid_sample(dt, in.data, grid.data, y.data, x[0], x[1], x[2], x[3], out[2], out[3],
                                                 static_cast<int>(g.mode), static_cast<int>(g.padding), g.align_corners,
                                                 s);
                   });
}

Result<std::unique_ptr<CudaOp>> make_gather_nd(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kInt64}));
  TOP_ASSIGN_OR_RETURN(ops::GatherNdPlan g, ops::gather_nd_plan(ctx.inputs[0].shape, ctx.inputs[1].shape,
                                                                attrs_of(ctx).get_int("batch_dims", 0),
                                                                node_label(ctx) + ": "));
  TOP_ASSIGN_OR_RETURN(kernels::GatherNdIndex index, gather_nd_index(ctx, g));
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  return gather_op(ctx, "kernels::gather_nd",
                   [=](const DeviceTensor& x, const DeviceTensor& idx, DeviceTensor& y, cudaStream_t s) {
                     return kernels::gather_nd(esize, x.data, idx.as<const int64_t>(), y.data, index, s);
                   });
}

}  // namespace

// ---- Pad ----------------------------------------------------------------------------------------------

Result<PadPlan> pad_plan(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const DataType dt = ctx.inputs[0].dtype;
  const Shape& in = ctx.inputs[0].shape;
  const Shape& out = ctx.outputs.at(0).shape;
  const ir::Attributes& a = attrs_of(ctx);
  const std::string prefix = node_label(ctx) + ": ";
  PadPlan plan;
  kernels::PadIndex& p = plan.index;
  TOP_ASSIGN_OR_RETURN(p.mode, ops::parse_pad_mode(a.get_string("mode", "constant"), prefix));
  std::vector<int64_t> pads, axes;
  bool has_axes = false;
  if (ctx.node->opset >= 11) {
    TOP_ASSIGN_OR_RETURN(pads, constant_ints(ctx, 1, "pads"));
    TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 3, "axes", &has_axes));
    if (ctx.has_input(2) && shape_numel(ctx.inputs[2].shape) > 0) {
      TOP_RETURN_IF_ERROR(require_input(ctx, 2, {dt}));
      plan.device_value = true;
    }
  } else {
    pads = a.has("pads") ? a.get_ints("pads") : a.get_ints("paddings");
    const float v = a.get_float("value", 0.0f);
    if (!ops::put_scalar(dt, v, reinterpret_cast<uint8_t*>(&plan.value)) && v != 0)
      return ctx.unsupported(std::string("constant value for dtype ") + dtype_name(dt));
  }
  TOP_ASSIGN_OR_RETURN(ops::PadParams pp, ops::pad_params(in, pads, has_axes ? &axes : nullptr, prefix));
  if (pp.out != out)
    return InvalidArgument(prefix + "the padding gives " + shape_str(pp.out) + " but the output is " + shape_str(out));
  if (in.size() > static_cast<size_t>(kernels::kMaxDims))
    return ctx.unsupported("rank " + std::to_string(in.size()) + " (at most 8)");
  p.rank = static_cast<int>(in.size());
  const std::vector<int64_t> in_strides = dense_strides(in);
  for (size_t d = 0; d < in.size(); ++d) {
    p.in_dims[d] = in[d];
    p.out_dims[d] = out[d];
    p.in_strides[d] = in_strides[d];
    p.begin[d] = pp.begin[d];
  }
  return plan;
}

namespace {

Result<std::unique_ptr<CudaOp>> make_pad(const PrepareContext& ctx) {
  TOP_ASSIGN_OR_RETURN(PadPlan plan, pad_plan(ctx));
  const size_t esize = dtype_size(ctx.inputs[0].dtype);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    const void* value_device = nullptr;
    if (plan.device_value) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* v, launch_input(lc, 2, node));
      value_device = v->data;
    }
    TOP_CUDA_CHECK(
        kernels::pad(esize, x->data, y->data, plan.index, y->numel(), plan.value, value_device, lc.stream()));
    return Status::Ok();
  });
}

// ---- Resize / Upsample ------------------------------------------------------------------------------

// Input `i` as the CPU operator's planning sees it: null when absent or empty; it must
// be constant at plan time otherwise.
Result<const Tensor*> plan_time_input(const PrepareContext& ctx, int i, const char* what) {
  if (i < 0 || !ctx.has_input(static_cast<size_t>(i)) || shape_numel(ctx.inputs[static_cast<size_t>(i)].shape) == 0)
    return static_cast<const Tensor*>(nullptr);
  const Tensor* t = ctx.inputs[static_cast<size_t>(i)].constant;
  if (t == nullptr) return ctx.unsupported(std::string("input '") + what + "' is not constant at plan time");
  return t;
}

}  // namespace

Result<ResizePlan> resize_plan(const PrepareContext& ctx, bool upsample) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0));
  const Shape& in = ctx.inputs[0].shape;
  const Shape& out = ctx.outputs.at(0).shape;
  const std::string prefix = node_label(ctx) + ": ";
  Result<ops::ResizeAttrs> parsed = ops::parse_resize_attrs(attrs_of(ctx), ctx.node->opset, upsample);
  if (!parsed.ok()) return parsed.status().with_context("CUDA backend: " + node_label(ctx));
  const ops::ResizeAttrs& ra = *parsed;
  const bool crop = ra.sampling.coord == ops::ResizeCoord::kTfCropAndResize;
  TOP_ASSIGN_OR_RETURN(const Tensor* roi, plan_time_input(ctx, crop ? ra.roi_idx : -1, "roi"));
  TOP_ASSIGN_OR_RETURN(const Tensor* scales, plan_time_input(ctx, ra.scales_idx, "scales"));
  TOP_ASSIGN_OR_RETURN(const Tensor* sizes, plan_time_input(ctx, ra.sizes_idx, "sizes"));
  TOP_ASSIGN_OR_RETURN(ops::ResizePlan rp, ops::plan_resize(ra, in, roi, scales, sizes, prefix));
  if (rp.out != out)
    return InvalidArgument(prefix + "the resize gives " + shape_str(rp.out) + " but the output is " + shape_str(out));
  ResizePlan plan;
  plan.copy = in == out;  // nothing to resize (the CPU copies too)
  if (plan.copy) return plan;
  if (static_cast<int64_t>(in.size()) > kernels::kMaxDims)
    return ctx.unsupported("rank " + std::to_string(in.size()) + " (at most 8)");
  const DataType dt = ctx.inputs[0].dtype;
  if (ra.sampling.mode != ops::ResizeMode::kNearest && dt != DataType::kFloat32 && dt != DataType::kFloat64)
    return ctx.unsupported(std::string("linear and cubic modes need float32/float64, got ") + dtype_name(dt));
  kernels::ResizeParams& p = plan.params;
  p.rank = static_cast<int>(in.size());
  p.sampling = ra.sampling;
  const std::vector<ops::ResizeAxis> axes = rp.axes(in);
  std::copy(axes.begin(), axes.end(), p.axes);
  plan.extrapolation = ra.extrapolation;
  ops::put_scalar(dt, plan.extrapolation, reinterpret_cast<uint8_t*>(&plan.extrapolation_bytes));
  return plan;
}

namespace {

Result<std::unique_ptr<CudaOp>> make_resize(const PrepareContext& ctx, bool upsample) {
  TOP_ASSIGN_OR_RETURN(ResizePlan plan, resize_plan(ctx, upsample));
  if (plan.copy) return make_copy_op(ctx);
  const DataType dt = ctx.inputs[0].dtype;
  if (plan.params.sampling.mode == ops::ResizeMode::kNearest)
    return xy_op(ctx, "kernels::resize_nearest", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
      return kernels::resize_nearest(dtype_size(dt), x.data, y.data, plan.params, y.numel(), plan.extrapolation_bytes,
                                     s);
    });
  return xy_op(ctx, "kernels::resize_interpolate", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::resize_interpolate(dt, x.data, y.data, plan.params, y.numel(), plan.extrapolation, s);
  });
}

}  // namespace

void register_cuda_tensor_ops(CudaOpRegistry& r) {
  for (const char* name : {"Reshape", "Flatten", "Squeeze", "Unsqueeze"}) r.add(name, make_copy_op);
  for (const char* name : {"Shape", "Size", "Constant", "Range"}) r.add(name, make_plan_time_value);
  r.add("ConstantOfShape", make_constant_of_shape);
  r.add("Concat", make_concat);
  r.add("Split", make_split);
  r.add("Slice", [](const PrepareContext& ctx) { return make_strided(ctx, slice_index); });
  r.add("Transpose", [](const PrepareContext& ctx) { return make_strided(ctx, transpose_index); });
  r.add("Tile", [](const PrepareContext& ctx) { return make_strided(ctx, tile_index); });
  r.add("Expand", make_expand);
  r.add("Gather", make_gather);
  r.add("GatherElements", make_gather_elements);
  r.add("GatherND", make_gather_nd);
  r.add("GridSample", make_grid_sample);
  r.add("DepthToSpace", [](const PrepareContext& ctx) { return make_space_depth(ctx, true); });
  r.add("SpaceToDepth", [](const PrepareContext& ctx) { return make_space_depth(ctx, false); });
  r.add("Pad", make_pad);
  r.add("Resize", [](const PrepareContext& ctx) { return make_resize(ctx, false); });
  r.add("Upsample", [](const PrepareContext& ctx) { return make_resize(ctx, true); });
}

}  // namespace top::cuda

// GPU normalisation (src/ops/norm.cpp on the CPU): BatchNormalization (inference),
// InstanceNormalization and LayerNormalization, float32. Kernels: kernels/norm.cu.
#include "backend/cuda/cuda_op_util.h"
#include "kernels/norm.h"
#include "ops/broadcast.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_batch_norm(const PrepareContext& ctx) {
  const ir::Attributes& a = attrs_of(ctx);
  if (a.get_int("training_mode", 0) != 0) return ctx.unsupported("training_mode=1 (inference only)");
  if (ctx.node->opset < 9 && a.get_int("spatial", 1) == 0) return ctx.unsupported("spatial=0");  // as the CPU
  for (size_t i = 0; i < 5; ++i) TOP_RETURN_IF_ERROR(require_input(ctx, i, {DataType::kFloat32}));
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 2) return InvalidArgument(node_label(ctx) + ": X must have rank >= 2");
  const int64_t n = x[0], c = x[1];
  for (size_t i = 1; i < 5; ++i)
    if (shape_numel(ctx.inputs[i].shape) != c)
      return InvalidArgument(node_label(ctx) + ": input " + std::to_string(i) + " must have " + std::to_string(c) +
                             " elements");
  const int64_t plane = n * c == 0 ? 0 : shape_numel(x) / (n * c);
  const float eps = a.get_float("epsilon", 1e-5f);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    for (size_t i = 1; i < lc.outputs.size(); ++i)
      if (lc.outputs[i] != nullptr)
        return Unsupported("CUDA backend: " + node + ": output " + std::to_string(i) +
                           " (running/saved statistics) exists only in training mode");
    const DeviceTensor* in[5];
    for (size_t i = 0; i < 5; ++i) {
      TOP_ASSIGN_OR_RETURN(in[i], launch_input(lc, i, node));
    }
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::batch_norm(in[0]->as<float>(), in[1]->as<float>(), in[2]->as<float>(), in[3]->as<float>(),
                                       in[4]->as<float>(), y->as<float>(), n, c, plane, eps, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_layer_norm(const PrepareContext& ctx) {
  const ir::Attributes& a = attrs_of(ctx);
  const int64_t stash = a.get_int("stash_type", 1);
  if (stash != 1) return ctx.unsupported("stash_type " + std::to_string(stash) + " (only 1, float32)");
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kFloat32}));
  const bool has_bias = ctx.has_input(2);
  if (has_bias) TOP_RETURN_IF_ERROR(require_input(ctx, 2, {DataType::kFloat32}));
  const Shape& x = ctx.inputs[0].shape;
  TOP_ASSIGN_OR_RETURN(int64_t axis, normalized_axis(ctx, a.get_int("axis", -1), static_cast<int64_t>(x.size())));
  const Shape norm(x.begin() + axis, x.end());
  const int64_t cols = shape_numel(norm);
  const int64_t rows = cols == 0 ? 0 : shape_numel(x) / cols;
  // Scale and B broadcast onto the normalised shape (unidirectionally).
  const Shape& scale_shape = ctx.inputs[1].shape;
  const Shape& bias_shape = has_bias ? ctx.inputs[2].shape : scale_shape;
  for (const Shape* s : {&scale_shape, &bias_shape}) {
    Result<Shape> b = ops::broadcast_shapes({*s, norm});
    if (!b.ok() || *b != norm)
      return InvalidArgument(node_label(ctx) + ": Scale/B " + shape_str(*s) + " does not broadcast to " +
                             shape_str(norm));
  }
  TOP_ASSIGN_OR_RETURN(auto params,
                       strided_index<2>(ctx, norm.empty() ? Shape{1} : norm,
                                        {ops::broadcast_strides(scale_shape, norm.empty() ? Shape{1} : norm),
                                         ops::broadcast_strides(bias_shape, norm.empty() ? Shape{1} : norm)}));
  const float eps = a.get_float("epsilon", 1e-5f);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* xt, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* scale, launch_input(lc, 1, node));
    const float* bias = nullptr;
    if (has_bias) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* b, launch_input(lc, 2, node));
      bias = b->as<float>();
    }
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    float* mean = lc.outputs.size() > 1 && lc.outputs[1] ? lc.outputs[1]->as<float>() : nullptr;
    float* inv = lc.outputs.size() > 2 && lc.outputs[2] ? lc.outputs[2]->as<float>() : nullptr;
    TOP_CUDA_CHECK(kernels::layer_norm(xt->as<float>(), scale->as<float>(), bias, y->as<float>(), mean, inv, rows, cols,
                                       params, eps, lc.stream()));
    return Status::Ok();
  });
}

// InstanceNormalization: each (n, c) plane normalised, then scale[c] and B[c].
Result<std::unique_ptr<CudaOp>> make_instance_norm(const PrepareContext& ctx) {
  for (size_t i = 0; i < 3; ++i) TOP_RETURN_IF_ERROR(require_input(ctx, i, {DataType::kFloat32}));
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 3) return InvalidArgument(node_label(ctx) + ": input must have rank >= 3");
  const int64_t c = x[1];
  if (shape_numel(ctx.inputs[1].shape) != c || shape_numel(ctx.inputs[2].shape) != c)
    return InvalidArgument(node_label(ctx) + ": scale and B must have " + std::to_string(c) + " elements");
  const int64_t rows = x[0] * c, plane = rows == 0 ? 0 : shape_numel(x) / rows;
  const float eps = attrs_of(ctx).get_float("epsilon", 1e-5f);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    const DeviceTensor* in[3];
    for (size_t i = 0; i < 3; ++i) {
      TOP_ASSIGN_OR_RETURN(in[i], launch_input(lc, i, node));
    }
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::instance_norm(in[0]->as<float>(), in[1]->as<float>(), in[2]->as<float>(), y->as<float>(),
                                          rows, c, plane, eps, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_lrn(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32}));
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 3) return InvalidArgument(node_label(ctx) + ": X must be [N, C, D...]");
  const ir::Attributes& a = attrs_of(ctx);
  const int64_t size = a.get_int("size", 0);
  if (size < 1) return InvalidArgument(node_label(ctx) + ": size must be >= 1");
  const int64_t n = x[0], c = x[1], plane = n * c == 0 ? 0 : shape_numel(x) / (n * c);
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  const float alpha_over_size = a.get_float("alpha", 1e-4f) / static_cast<float>(size);
  const float beta = a.get_float("beta", 0.75f), bias = a.get_float("bias", 1.0f);
  return xy_op(ctx, "kernels::lrn", [=](const DeviceTensor& in, DeviceTensor& out, cudaStream_t s) {
    return kernels::lrn(in.as<float>(), out.as<float>(), n, c, plane, before, after, alpha_over_size, beta, bias, s);
  });
}

}  // namespace

void register_cuda_norm_ops(CudaOpRegistry& r) {
  r.add("LRN", make_lrn);
  r.add("BatchNormalization", make_batch_norm);
  r.add("InstanceNormalization", make_instance_norm);
  r.add("LayerNormalization", make_layer_norm);
}

}  // namespace top::cuda

// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear on the GPU
// (kernels/quantize.cu; CPU: src/ops/quantize.cpp).
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/quantize.h"
#include "ops/quantize.h"

namespace top::cuda {
namespace {

Result<ops::QuantPlan> plan_of(const PrepareContext& ctx) {
  return ops::quant_plan(ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.has_input(2) ? &ctx.inputs[2].shape : nullptr,
                         attrs_of(ctx).get_int("axis", 1), node_label(ctx) + ": ");
}

// The three inputs (x, scale, optional zero point) and output 0 of a (de)quantizer.
struct QuantIo {
  const DeviceTensor *x, *scale, *zp;
  DeviceTensor* y;
};
Result<QuantIo> quant_io(const LaunchContext& lc, const std::string& node) {
  QuantIo io{};
  TOP_ASSIGN_OR_RETURN(io.x, launch_input(lc, 0, node));
  TOP_ASSIGN_OR_RETURN(io.scale, launch_input(lc, 1, node));
  io.zp = lc.inputs.size() > 2 ? lc.inputs[2] : nullptr;
  TOP_ASSIGN_OR_RETURN(io.y, launch_output(lc, 0, node));
  return io;
}

Result<std::unique_ptr<CudaOp>> make_quantize(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kFloat32}));
  if (ctx.has_input(2)) TOP_RETURN_IF_ERROR(require_input(ctx, 2, {DataType::kInt8, DataType::kUint8}));
  TOP_ASSIGN_OR_RETURN(ops::QuantPlan q, plan_of(ctx));
  const bool out_signed = ctx.outputs.at(0).dtype == DataType::kInt8;
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(QuantIo io, quant_io(lc, node));
    TOP_CUDA_CHECK(kernels::quantize_linear(io.x->as<float>(), io.scale->as<float>(), io.zp ? io.zp->data : nullptr,
                                            out_signed, io.y->data, q.outer, q.d, q.inner, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_dequantize(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kInt8, DataType::kUint8, DataType::kInt32}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kFloat32}));
  TOP_ASSIGN_OR_RETURN(ops::QuantPlan q, plan_of(ctx));
  const DataType in = ctx.inputs[0].dtype;
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(QuantIo io, quant_io(lc, node));
    TOP_CUDA_CHECK(kernels::dequantize_linear(io.x->data, in, io.scale->as<float>(), io.zp ? io.zp->data : nullptr,
                                              io.y->as<float>(), q.outer, q.d, q.inner, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_dynamic_quantize(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32}));
  const int64_t n = shape_numel(ctx.inputs[0].shape);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* scale, launch_output(lc, 1, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* zp, launch_output(lc, 2, node));
    DeviceTensor* y = lc.outputs.empty() ? nullptr : lc.outputs[0];
    TOP_CUDA_CHECK(kernels::dynamic_quantize_linear(x->as<float>(), n, y ? y->as<uint8_t>() : nullptr,
                                                    scale->as<float>(), zp->as<uint8_t>(), lc.stream()));
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_quantize_ops(CudaOpRegistry& r) {
  r.add("QuantizeLinear", make_quantize);
  r.add("DequantizeLinear", make_dequantize);
  r.add("DynamicQuantizeLinear", make_dynamic_quantize);
}

}  // namespace top::cuda

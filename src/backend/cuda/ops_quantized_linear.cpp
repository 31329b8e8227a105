// MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv on the GPU
// (kernels/quantized_linear.cu; CPU: src/ops/quantized_linear.cpp). The shapes go
// through the CPU's rules (ops/quantized_linear.h) and the kernels run the same
// per-element arithmetic (ops/quantized_linear_math.h).
#include <memory>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/quantized_linear.h"
#include "ops/quantized_linear.h"

namespace top::cuda {
namespace {

// Input positions: data A/x and B/w, their zero points, and for the QLinear forms the
// scales, the output zero point and (conv) the bias; -1 where the form has none.
struct Positions {
  int a, b, a_zero, b_zero, a_scale, b_scale, y_scale, y_zero, bias;
};
constexpr Positions kMatMulInteger{0, 1, 2, 3, -1, -1, -1, -1, -1};
constexpr Positions kQLinearMatMul{0, 3, 2, 5, 1, 4, 6, 7, -1};
constexpr Positions kConvInteger{0, 1, 2, 3, -1, -1, -1, -1, -1};
constexpr Positions kQLinearConv{0, 3, 2, 5, 1, 4, 6, 7, 8};

bool has(const PrepareContext& ctx, int i) { return i >= 0 && ctx.has_input(static_cast<size_t>(i)); }
int64_t count(const PrepareContext& ctx, int i) {
  return has(ctx, i) ? shape_numel(ctx.inputs[static_cast<size_t>(i)].shape) : 1;
}

// The launch-independent part of the kernels' arguments (dtypes and counts); the
// CPU's infer() has already checked every input, so only what the GPU needs is read.
Result<kernels::QLinearArgs> static_args(const PrepareContext& ctx, const Positions& at, bool qlinear) {
  for (int i : {at.a, at.b}) TOP_RETURN_IF_ERROR(require_input(ctx, static_cast<size_t>(i), {DataType::kUint8, DataType::kInt8}));
  kernels::QLinearArgs q;
  q.a_type = ctx.inputs[static_cast<size_t>(at.a)].dtype;
  q.b_type = ctx.inputs[static_cast<size_t>(at.b)].dtype;
  q.a_zero_count = count(ctx, at.a_zero);
  q.b_zero_count = count(ctx, at.b_zero);
  q.y_type = DataType::kInt32;
  if (qlinear) {
    for (int i : {at.a_scale, at.b_scale, at.y_scale})
      TOP_RETURN_IF_ERROR(require_input(ctx, static_cast<size_t>(i), {DataType::kFloat32}));
    TOP_RETURN_IF_ERROR(require_input(ctx, static_cast<size_t>(at.y_zero), {DataType::kUint8, DataType::kInt8}));
    q.y_type = ctx.inputs[static_cast<size_t>(at.y_zero)].dtype;
    q.b_scale_count = count(ctx, at.b_scale);
  }
  return q;
}

// Fills the device pointers of `q` from the launch's inputs and output.
Status bind(const LaunchContext& lc, const Positions& at, const std::string& node, kernels::QLinearArgs& q) {
  auto ptr = [&](int i) -> const void* {
    return i >= 0 && static_cast<size_t>(i) < lc.inputs.size() && lc.inputs[static_cast<size_t>(i)] != nullptr
               ? lc.inputs[static_cast<size_t>(i)]->data
               : nullptr;
  };
  q.a = ptr(at.a);
  q.b = ptr(at.b);
  q.a_zero = ptr(at.a_zero);
  q.b_zero = ptr(at.b_zero);
  q.a_scale = static_cast<const float*>(ptr(at.a_scale));
  q.b_scale = static_cast<const float*>(ptr(at.b_scale));
  q.y_scale = static_cast<const float*>(ptr(at.y_scale));
  q.y_zero = ptr(at.y_zero);
  q.bias = static_cast<const int32_t*>(ptr(at.bias));
  TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
  q.y = y->data;
  if (q.a == nullptr || q.b == nullptr) return InvalidArgument("CUDA backend: " + node + ": inputs missing");
  if (q.y_type != DataType::kInt32 && (q.a_scale == nullptr || q.b_scale == nullptr || q.y_scale == nullptr || q.y_zero == nullptr))
    return InvalidArgument("CUDA backend: " + node + ": scales or the output zero point missing");
  return Status::Ok();
}

Status launched(cudaError_t e, const char* kernel, const std::string& node) {
  if (e != cudaSuccess) return cuda_status(e, kernel, __FILE__, __LINE__).with_context("CUDA backend: " + node);
  return Status::Ok();
}

Result<std::unique_ptr<CudaOp>> make_qmatmul(const PrepareContext& ctx, const Positions& at, bool qlinear) {
  const std::string node = node_label(ctx);
  TOP_ASSIGN_OR_RETURN(kernels::QLinearArgs base, static_args(ctx, at, qlinear));
  Result<ops::MatMulDims> dr = ops::matmul_dims(ctx.inputs[static_cast<size_t>(at.a)].shape,
                                                ctx.inputs[static_cast<size_t>(at.b)].shape);
  if (!dr.ok()) return InvalidArgument(node + ": " + dr.status().message());
  const ops::MatMulDims d = *dr;
  const int64_t nb = shape_numel(d.batch), na = shape_numel(d.a_batch), nbb = shape_numel(d.b_batch);
  if ((na != 1 && na != nb) || (nbb != 1 && nbb != nb))
    return ctx.unsupported("batch dims that broadcast both ways (A " + shape_str(d.a_batch) + ", B " +
                           shape_str(d.b_batch) + ")");
  const int64_t a_stride = na == 1 ? 0 : d.m * d.k, b_stride = nbb == 1 ? 0 : d.k * d.n;
  return function_op([=](const LaunchContext& lc) -> Status {
    kernels::QLinearArgs q = base;
    TOP_RETURN_IF_ERROR(bind(lc, at, node, q));
    return launched(kernels::qlinear_matmul(q, nb, d.m, d.n, d.k, a_stride, b_stride, lc.stream()),
                    "kernels::qlinear_matmul", node);
  });
}

Result<std::unique_ptr<CudaOp>> make_qconv(const PrepareContext& ctx, const Positions& at, bool qlinear) {
  const std::string node = node_label(ctx);
  TOP_ASSIGN_OR_RETURN(kernels::QLinearArgs base, static_args(ctx, at, qlinear));
  const ir::Attributes& attrs = attrs_of(ctx);
  ops::WindowAttrs win;
  TOP_RETURN_IF_ERROR(ops::parse_window_attrs(attrs, ctx.op_type().c_str(), win));
  TOP_ASSIGN_OR_RETURN(ops::QConvPlan plan,
                       ops::qconv_plan(win, attrs.get_int("group", 1), ctx.inputs[static_cast<size_t>(at.a)].shape,
                                       ctx.inputs[static_cast<size_t>(at.b)].shape, node + ": "));
  if (plan.out != ctx.outputs.at(0).shape) return InvalidArgument(node + ": output shape mismatch");
  return function_op([=](const LaunchContext& lc) -> Status {
    kernels::QLinearArgs q = base;
    TOP_RETURN_IF_ERROR(bind(lc, at, node, q));
    return launched(kernels::qlinear_conv(q, plan.geo, plan.batch, lc.stream()), "kernels::qlinear_conv", node);
  });
}

}  // namespace

void register_cuda_quantized_linear_ops(CudaOpRegistry& r) {
  r.add("MatMulInteger", [](const PrepareContext& c) { return make_qmatmul(c, kMatMulInteger, false); });
  r.add("QLinearMatMul", [](const PrepareContext& c) { return make_qmatmul(c, kQLinearMatMul, true); });
  r.add("ConvInteger", [](const PrepareContext& c) { return make_qconv(c, kConvInteger, false); });
  r.add("QLinearConv", [](const PrepareContext& c) { return make_qconv(c, kQLinearConv, true); });
}

}  // namespace top::cuda

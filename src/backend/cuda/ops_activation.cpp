// GPU activations (src/ops/activation.cpp on the CPU): pointwise activations with their
// attribute defaults, PRelu (broadcast slope), and Softmax/LogSoftmax/Hardmax over an
// axis (2-D coercion before opset 13). Kernels: kernels/elementwise.cu, kernels/softmax.cu.
#include "backend/cuda/cuda_op_util.h"
#include "ops/op_util.h"
#include "kernels/softmax.h"

namespace top::cuda {
namespace {

using kernels::UnaryKind;

// Attribute defaults as in ActivationOp::init.
Result<std::unique_ptr<CudaOp>> make_activation(const PrepareContext& ctx, UnaryKind kind) {
  const ir::Attributes& a = attrs_of(ctx);
  kernels::UnaryParams p;
  switch (kind) {
    case UnaryKind::kLeakyRelu:
      p.alpha = a.get_float("alpha", 0.01f);
      break;
    case UnaryKind::kThresholdedRelu:
    case UnaryKind::kElu:
      p.alpha = a.get_float("alpha", 1.0f);
      break;
    case UnaryKind::kCelu:
      p.alpha = a.get_float("alpha", 1.0f);
      if (p.alpha == 0.0f) return InvalidArgument(node_label(ctx) + ": Celu alpha must not be 0");
      break;
    case UnaryKind::kSelu:
      p.alpha = a.get_float("alpha", 1.67326319217681884765625f);
      p.gamma = a.get_float("gamma", 1.05070102214813232421875f);
      break;
    case UnaryKind::kHardSigmoid:
      p.alpha = a.get_float("alpha", 0.2f);
      p.beta = a.get_float("beta", 0.5f);
      break;
    case UnaryKind::kShrink:
      p.alpha = a.get_float("lambd", 0.5f);
      p.beta = a.get_float("bias", 0.0f);
      break;
    default:
      break;
  }
  return make_unary_op(ctx, kind, p);
}

Result<std::unique_ptr<CudaOp>> make_softmax(const PrepareContext& ctx, kernels::SoftmaxKind kind) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32, DataType::kFloat64}));
  const DataType dt = ctx.inputs[0].dtype;
  const Shape& s = ctx.inputs[0].shape;
  const bool coerce_2d = ctx.node->opset < 13;
  TOP_ASSIGN_OR_RETURN(int64_t axis, normalized_axis(ctx, attrs_of(ctx).get_int("axis", coerce_2d ? 1 : -1),
                                                     std::max<int64_t>(static_cast<int64_t>(s.size()), 1)));
  const ops::SoftmaxSplit split = ops::softmax_split(s, axis, coerce_2d);
  const int64_t outer = split.outer, d = split.d, inner = split.inner;
  return xy_op(ctx, "kernels::softmax", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::softmax(kind, dt, x.data, y.data, outer, d, inner, s);
  });
}

}  // namespace

void register_cuda_activation_ops(CudaOpRegistry& r) {
  auto act = [&r](const char* name, UnaryKind k) {
    r.add(name, [k](const PrepareContext& ctx) { return make_activation(ctx, k); });
  };
  act("Relu", UnaryKind::kRelu);
  act("LeakyRelu", UnaryKind::kLeakyRelu);
  act("ThresholdedRelu", UnaryKind::kThresholdedRelu);
  act("Elu", UnaryKind::kElu);
  act("Celu", UnaryKind::kCelu);
  act("Selu", UnaryKind::kSelu);
  act("Sigmoid", UnaryKind::kSigmoid);
  act("HardSigmoid", UnaryKind::kHardSigmoid);
  act("HardSwish", UnaryKind::kHardSwish);
  act("Tanh", UnaryKind::kTanh);
  act("Softplus", UnaryKind::kSoftplus);
  act("Softsign", UnaryKind::kSoftsign);
  act("Mish", UnaryKind::kMish);
  act("Shrink", UnaryKind::kShrink);
  r.add("PRelu", [](const PrepareContext& ctx) {
    return make_binary_op(ctx, kernels::BinaryKind::kPRelu,
                          {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64});
  });
  auto norm = [&r](const char* name, kernels::SoftmaxKind k) {
    r.add(name, [k](const PrepareContext& ctx) { return make_softmax(ctx, k); });
  };
  norm("Softmax", kernels::SoftmaxKind::kSoftmax);
  norm("LogSoftmax", kernels::SoftmaxKind::kLogSoftmax);
  norm("Hardmax", kernels::SoftmaxKind::kHardmax);
}

}  // namespace top::cuda

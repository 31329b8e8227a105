// The optimiser steps of the ai.onnx.preview.training domain (version 1) on the CPU:
// Adagrad, Momentum (standard and Nesterov) and Adam, each updating n tensors at once
// from R (learning rate), T (update count), then the tensors, their gradients and
// their optimiser state, by the formulas of the ONNX specification (float and double,
// computed in double). No GPU kernels (CPU-only list in tests/unit/cuda_registry_test.cpp).
#include <cmath>
#include <vector>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

enum class Optimizer { kAdagrad, kMomentum, kAdam };

class OptimizerOp final : public Op {
 public:
  explicit OptimizerOp(Optimizer kind) : kind_(kind) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    norm_ = attrs.get_float("norm_coefficient", 0.0f);
    if (kind_ == Optimizer::kAdagrad) {
      decay_ = attrs.get_float("decay_factor", 0.0f);
      epsilon_ = attrs.get_float("epsilon", 0.0f);
    } else if (kind_ == Optimizer::kMomentum) {
      if (!attrs.has("alpha") || !attrs.has("beta") || !attrs.has("mode"))
        return InvalidArgument("Momentum: attributes alpha, beta and mode are required");
      alpha_ = attrs.get_float("alpha", 0.0f);
      beta_ = attrs.get_float("beta", 0.0f);
      const std::string mode = attrs.get_string("mode", "");
      if (mode != "standard" && mode != "nesterov") return InvalidArgument("Momentum: mode must be standard or nesterov");
      nesterov_ = mode == "nesterov";
    } else {
      alpha_ = attrs.get_float("alpha", 0.9f);
      beta_ = attrs.get_float("beta", 0.999f);
      epsilon_ = attrs.get_float("epsilon", 1e-6f);
      norm_post_ = attrs.get_float("norm_coefficient_post", 0.0f);
    }
    return Status::Ok();
  }
  // States per tensor: Adagrad H; Momentum V; Adam V and H.
  size_t states() const { return kind_ == Optimizer::kAdam ? 2 : 1; }
  const char* name() const {
    return kind_ == Optimizer::kAdagrad ? "Adagrad" : (kind_ == Optimizer::kMomentum ? "Momentum" : "Adam");
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name(), ctx);
    const size_t groups = 2 + states();  // X, G, states
    if (ctx.num_inputs() < 2 + groups || (ctx.num_inputs() - 2) % groups != 0)
      return InvalidArgument(p + "needs R, T and " + std::to_string(groups) + " inputs per tensor");
    for (size_t i = 0; i < ctx.num_inputs(); ++i)
      if (!ctx.has_input(i)) return InvalidArgument(p + "input " + std::to_string(i) + " is missing");
    if (shape_numel(ctx.input_shape(0)) != 1 || !ew::dtype_in<float, double>(ctx.input_dtype(0)))
      return InvalidArgument(p + "R must be one float or double");
    if (shape_numel(ctx.input_shape(1)) != 1 || ctx.input_dtype(1) != DataType::kInt64)
      return InvalidArgument(p + "T must be one int64");
    const size_t n = (ctx.num_inputs() - 2) / groups;
    if (ctx.num_outputs() != n * (1 + states()))
      return InvalidArgument(p + "has " + std::to_string(ctx.num_outputs()) + " outputs, expected " +
                             std::to_string(n * (1 + states())));
    for (size_t t = 0; t < n; ++t) {
      const size_t x = 2 + t;
      for (size_t k = 1; k < groups; ++k) {
        const size_t other = 2 + k * n + t;
        if (ctx.input_shape(other) != ctx.input_shape(x) || ctx.input_dtype(other) != ctx.input_dtype(x))
          return InvalidArgument(p + "the gradient and state of tensor " + std::to_string(t) +
                                 " must match its dtype and shape");
      }
      if (!ew::dtype_in<float, double>(ctx.input_dtype(x))) return Unsupported(p + "float and double tensors only");
      for (size_t o = 0; o <= states(); ++o) ctx.set_output(o * n + t, ctx.input_dtype(x), ctx.input_shape(x));
    }
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const size_t groups = 2 + states(), n = (ctx.num_inputs() - 2) / groups;
    const double r = ctx.input(0).item_as_double(0);
    const int64_t t = ctx.input(1).item_as_int(0);
    for (size_t k = 0; k < n; ++k) {
      const Tensor& x = ctx.input(2 + k);
      Status st = ew::dispatch<float, double>(x.dtype(), name(), [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        auto in = [&](size_t group) { return ctx.input(2 + group * n + k).template data<T>(); };
        auto out = [&](size_t group) {
          return ctx.has_output(group * n + k) ? ctx.output(group * n + k).template data<T>() : nullptr;
        };
        const T* xs = in(0);
        const T* gs = in(1);
        for (int64_t i = 0; i < x.numel(); ++i) {
          const double xv = xs[i], g = norm_ * xv + gs[i];
          if (kind_ == Optimizer::kAdagrad) {
            const double rate = r / (1.0 + static_cast<double>(t) * decay_);
            const double h = in(2)[i] + g * g;
            if (T* o = out(0)) o[i] = static_cast<T>(xv - rate * g / (std::sqrt(h) + epsilon_));
            if (T* o = out(1)) o[i] = static_cast<T>(h);
          } else if (kind_ == Optimizer::kMomentum) {
            const double v = alpha_ * in(2)[i] + (t > 0 ? beta_ : 1.0) * g;
            if (T* o = out(0)) o[i] = static_cast<T>(nesterov_ ? xv - r * (g + alpha_ * v) : xv - r * v);
            if (T* o = out(1)) o[i] = static_cast<T>(v);
          } else {
            const double v = alpha_ * in(2)[i] + (1.0 - alpha_) * g;
            const double h = beta_ * in(3)[i] + (1.0 - beta_) * g * g;
            const double rate = t > 0 ? r * std::sqrt(1.0 - std::pow(beta_, static_cast<double>(t))) /
                                            (1.0 - std::pow(alpha_, static_cast<double>(t)))
                                      : r;
            const double x_new = xv - rate * v / (std::sqrt(h) + epsilon_);
            if (T* o = out(0)) o[i] = static_cast<T>((1.0 - norm_post_) * x_new);
            if (T* o = out(1)) o[i] = static_cast<T>(v);
            if (T* o = out(2)) o[i] = static_cast<T>(h);
          }
        }
        return Status::Ok();
      });
      TOP_RETURN_IF_ERROR(st);
    }
    return Status::Ok();
  }

 private:
  Optimizer kind_;
  double norm_ = 0, norm_post_ = 0, decay_ = 0, epsilon_ = 0, alpha_ = 0, beta_ = 0;
  bool nesterov_ = false;
};

constexpr const char* kTrainingDomain = "ai.onnx.preview.training";

}  // namespace

void register_training_ops(OpRegistry& r) {
  r.add_in_domain(kTrainingDomain, "Adagrad", 1, [] { return std::make_unique<OptimizerOp>(Optimizer::kAdagrad); });
  r.add_in_domain(kTrainingDomain, "Momentum", 1, [] { return std::make_unique<OptimizerOp>(Optimizer::kMomentum); });
  r.add_in_domain(kTrainingDomain, "Adam", 1, [] { return std::make_unique<OptimizerOp>(Optimizer::kAdam); });
}

}  // namespace top::ops

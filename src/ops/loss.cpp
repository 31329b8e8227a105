// NegativeLogLikelihoodLoss-12/13 and SoftmaxCrossEntropyLoss-12/13 (inference: the loss
// value, and SCE's optional log_prob output), float32 and float64. A target outside
// [0, C) that is not ignore_index is an error.
#include <cmath>
#include <limits>
#include <vector>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/loss.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// The loss over log-probabilities `lp` laid out as [N, C, inner], into `out`.
template <class T>
Status nll(const T* lp, const Tensor& target, const T* weight, const LossPlan& plan, LossReduction r,
           std::optional<int64_t> ignore, T* out, const char* op) {
  double sum = 0, wsum = 0;
  const int64_t count = plan.n * plan.inner;
  for (int64_t e = 0; e < count; ++e) {
    const int64_t t = target.item_as_int(e);
    double loss = 0, w = 0;
    if (!ignore || t != *ignore) {
      if (t < 0 || t >= plan.c)
        return InvalidArgument(std::string(op) + ": target " + std::to_string(t) + " is outside [0, " +
                               std::to_string(plan.c) + ")");
      w = weight ? static_cast<double>(weight[t]) : 1.0;
      const int64_t n = e / plan.inner, j = e % plan.inner;
      loss = -static_cast<double>(lp[(n * plan.c + t) * plan.inner + j]) * w;
    }
    if (r == LossReduction::kNone) out[e] = static_cast<T>(loss);
    sum += loss;
    wsum += w;
  }
  if (r == LossReduction::kSum) out[0] = static_cast<T>(sum);
  if (r == LossReduction::kMean) out[0] = static_cast<T>(sum / wsum);  // 0 / 0 is NaN, as in ONNX Runtime
  return Status::Ok();
}

class LossOp : public Op {
 public:
  explicit LossOp(bool softmax) : softmax_(softmax) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    TOP_ASSIGN_OR_RETURN(reduction_, parse_loss_reduction(attrs.get_string("reduction", "mean"), name() + ": "));
    if (attrs.has("ignore_index")) ignore_ = attrs.get_int("ignore_index", 0);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name(), ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, name()));
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double>(dt)) return Unsupported(p + "dtype " + dtype_name(dt) + " (float and double are)");
    if (!is_index_dtype(ctx.input_dtype(1))) return InvalidArgument(p + "target must be int32 or int64");
    if (ctx.has_input(2) && ctx.input_dtype(2) != dt) return InvalidArgument(p + "weight must have the input's dtype");
    const Shape* w = ctx.has_input(2) ? &ctx.input_shape(2) : nullptr;
    TOP_ASSIGN_OR_RETURN(LossPlan plan, loss_plan(ctx.input_shape(0), ctx.input_shape(1), w, reduction_, p));
    ctx.set_output(0, dt, plan.loss);
    if (softmax_ && ctx.num_outputs() > 1) ctx.set_output(1, dt, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& target = ctx.input(1);
    const Tensor* weight = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const Shape* ws = weight ? &weight->shape() : nullptr;
    TOP_ASSIGN_OR_RETURN(LossPlan plan, loss_plan(x.shape(), target.shape(), ws, reduction_, name() + ": "));
    Tensor& out = ctx.output(0);
    if (out.shape() != plan.loss || out.dtype() != x.dtype()) return InvalidArgument(name() + ": output mismatch");
    return ew::dispatch<float, double>(x.dtype(), name().c_str(), [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* lp = x.data<T>();
      std::vector<T> buffer;
      if (softmax_) {  // log_softmax over C, into the log_prob output when the model wants it
        T* dst = nullptr;
        if (ctx.has_output(1)) {
          dst = ctx.output(1).data<T>();
        } else {
          buffer.resize(static_cast<size_t>(x.numel()));
          dst = buffer.data();
        }
        for (int64_t n = 0; n < plan.n; ++n)
          for (int64_t j = 0; j < plan.inner; ++j) {
            const T* row = lp + n * plan.c * plan.inner + j;
            T* o = dst + n * plan.c * plan.inner + j;
            double mx = -std::numeric_limits<double>::infinity();
            for (int64_t k = 0; k < plan.c; ++k) mx = std::max(mx, static_cast<double>(row[k * plan.inner]));
            double s = 0;
            for (int64_t k = 0; k < plan.c; ++k) s += std::exp(static_cast<double>(row[k * plan.inner]) - mx);
            const double lse = mx + std::log(s);
            for (int64_t k = 0; k < plan.c; ++k) o[k * plan.inner] = static_cast<T>(row[k * plan.inner] - lse);
          }
        lp = dst;
      }
      return nll<T>(lp, target, weight ? weight->data<T>() : nullptr, plan, reduction_, ignore_, out.data<T>(),
                    name().c_str());
    });
  }

 private:
  std::string name() const { return softmax_ ? "SoftmaxCrossEntropyLoss" : "NegativeLogLikelihoodLoss"; }
  bool softmax_;
  LossReduction reduction_ = LossReduction::kMean;
  std::optional<int64_t> ignore_;
};

}  // namespace

void register_loss_ops(OpRegistry& r) {
  r.add("NegativeLogLikelihoodLoss", 12, [] { return std::make_unique<LossOp>(false); });
  r.add("SoftmaxCrossEntropyLoss", 12, [] { return std::make_unique<LossOp>(true); });
}

}  // namespace top::ops

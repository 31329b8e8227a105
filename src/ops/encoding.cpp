// OneHot: indices to one-hot rows of (off, on) values.
#include <cmath>
#include <cstring>

#include "ops/families.h"
#include "ops/one_hot.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// OneHot-9/11: indices of any numeric type (truncated to integers; negative count from
// the end), depth a one-element input that decides the output's shape (so it must be
// known when the plan is made: a constant, or a graph input the session plans by),
// values [off, on] of the output's type. Indices outside [-depth, depth) give a row of
// off values.
class OneHotOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", -1);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("OneHot", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, "OneHot"));
    const Tensor* depth = ctx.constant_input(1);
    if (depth == nullptr) return Unsupported(p + "input 'depth' is not constant at plan time (data-dependent output shape)");
    if (depth->numel() != 1) return InvalidArgument(p + "depth must hold one element, got " + shape_str(depth->shape()));
    if (shape_numel(ctx.input_shape(2)) != 2)
      return InvalidArgument(p + "values must hold two elements [off, on], got " + shape_str(ctx.input_shape(2)));
    TOP_ASSIGN_OR_RETURN(OneHotPlan plan, one_hot_plan(ctx.input_shape(0), depth->item_as_double(0), axis_, p));
    ctx.set_output(0, ctx.input_dtype(2), plan.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& idx = ctx.input(0);
    const Tensor& values = ctx.input(2);
    Tensor& y = ctx.output(0);
    if (ctx.input(1).numel() != 1 || values.numel() != 2 || y.dtype() != values.dtype())
      return InvalidArgument("OneHot: bad inputs");
    TOP_ASSIGN_OR_RETURN(OneHotPlan plan, one_hot_plan(idx.shape(), ctx.input(1).item_as_double(0), axis_, "OneHot: "));
    if (plan.out != y.shape()) return InvalidArgument("OneHot: output mismatch");
    const size_t esize = dtype_size(y.dtype());
    const auto* off = static_cast<const uint8_t*>(values.raw_data());
    const uint8_t* on = off + esize;
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    fill_pattern(dst, y.numel(), off, esize);
    const int64_t depth = plan.depth;
    for (int64_t o = 0; o < plan.outer; ++o) {
      for (int64_t i = 0; i < plan.inner; ++i) {
        const double v = idx.item_as_double(o * plan.inner + i);
        if (!std::isfinite(v)) continue;
        int64_t k = static_cast<int64_t>(v);  // truncation, as a cast to int64
        if (k < 0) k += depth;
        if (k < 0 || k >= depth) continue;
        std::memcpy(dst + static_cast<size_t>((o * depth + k) * plan.inner + i) * esize, on, esize);
      }
    }
    return Status::Ok();
  }

 private:
  int64_t axis_ = -1;
};

}  // namespace

void register_encoding_ops(OpRegistry& r) { r.add("OneHot", 9, [] { return std::make_unique<OneHotOp>(); }); }

}  // namespace top::ops

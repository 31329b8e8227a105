// CumSum: running sums along one axis (forward or reverse, inclusive or exclusive).
#include <type_traits>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// Integers wrap (as numpy) instead of overflowing into undefined behaviour.
template <class T>
T add_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

// CumSum-11/14. The axis is an input (an int32/int64 scalar) read at run time: it
// changes which sums are taken, never the output's shape.
class CumSumOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    exclusive_ = attrs.get_int("exclusive", 0) != 0;
    reverse_ = attrs.get_int("reverse", 0) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("CumSum", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "CumSum"));
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double, int32_t, int64_t>(dt))
      return Unsupported(p + "dtype " + dtype_name(dt) + " (float, double, int32 and int64 are supported)");
    if (!is_index_dtype(ctx.input_dtype(1)) || shape_numel(ctx.input_shape(1)) != 1 || ctx.input_shape(1).size() > 1)
      return InvalidArgument(p + "axis must be an int32 or int64 scalar");
    if (ctx.input_shape(0).empty()) return InvalidArgument(p + "input must have rank >= 1");
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& a = ctx.input(1);
    Tensor& y = ctx.output(0);
    if (y.shape() != x.shape() || y.dtype() != x.dtype() || a.numel() != 1 || !is_index_dtype(a.dtype()))
      return InvalidArgument("CumSum: bad inputs");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(a.item_as_int(0), x.rank(), "CumSum: axis: "));
    const SoftmaxSplit s = softmax_split(x.shape(), axis, false);  // [outer, d, inner]
    return ew::dispatch<float, double, int32_t, int64_t>(x.dtype(), "CumSum", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = y.data<T>();
      ctx.parallel_for(s.outer * s.inner, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, s.d)),
                       [&](int64_t b, int64_t e) {
        for (int64_t line = b; line < e; ++line) {
          const int64_t o = line / s.inner, in = line % s.inner;
          const int64_t base = o * s.d * s.inner + in;
          T acc = T(0);
          for (int64_t step = 0; step < s.d; ++step) {
            const int64_t j = reverse_ ? s.d - 1 - step : step;
            const int64_t at = base + j * s.inner;
            if (exclusive_) {
              dst[at] = acc;
              acc = add_wrapping(acc, src[at]);
            } else {
              acc = add_wrapping(acc, src[at]);
              dst[at] = acc;
            }
          }
        }
      });
      return Status::Ok();
    });
  }

 private:
  bool exclusive_ = false;
  bool reverse_ = false;
};

}  // namespace

void register_cumulative_ops(OpRegistry& r) { r.add("CumSum", 11, [] { return std::make_unique<CumSumOp>(); }); }

}  // namespace top::ops

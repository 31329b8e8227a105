// TopK: the k largest (or smallest) elements along an axis and their indices.
#include <algorithm>
#include <numeric>
#include <vector>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/topk.h"

namespace top::ops {
namespace {

// TopK-1 (k attribute), 10 (K input), 11 (largest, sorted, negative axes). K decides
// the outputs' shape, so it must be known when the plan is made (a constant, or a
// graph input the session plans by). Ties go to the lower index, as in ONNX Runtime;
// the outputs are sorted whether or not `sorted` asks for it (the order is then
// unspecified, so sorted is one valid answer). NaN counts as larger than any number.
class TopKOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", -1);
    largest_ = attrs.get_int("largest", 1) != 0;
    opset_ = opset;
    attr_k_ = attrs.get_int("k", -1);
    return Status::Ok();
  }
  Result<int64_t> k_of(const InferContext& ctx, const std::string& p) const {
    if (opset_ < 10) return attr_k_;
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> k, constant_ints(ctx, 1, "TopK", "K"));
    if (k.size() != 1) return InvalidArgument(p + "K must hold one element");
    return k[0];
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("TopK", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "TopK"));
    if (!ew::dtype_in<float, double, int32_t, int64_t>(ctx.input_dtype(0)))
      return Unsupported(p + "dtype " + dtype_name(ctx.input_dtype(0)));
    TOP_ASSIGN_OR_RETURN(int64_t k, k_of(ctx, p));
    TOP_ASSIGN_OR_RETURN(TopKPlan plan, topk_plan(ctx.input_shape(0), axis_, k, p));
    ctx.set_output(0, ctx.input_dtype(0), plan.out);
    ctx.set_output(1, DataType::kInt64, plan.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& values = ctx.output(0);
    if (!ctx.has_output(0)) return InvalidArgument("TopK: needs its Values output");
    const bool want_indices = ctx.has_output(1);  // a model may omit Indices
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, x.rank(), "TopK: axis: "));
    const int64_t k = values.rank() == x.rank() ? values.dim(static_cast<int>(axis)) : -1;  // as planned
    TOP_ASSIGN_OR_RETURN(TopKPlan plan, topk_plan(x.shape(), axis_, k, "TopK: "));
    if (plan.out != values.shape() ||
        (want_indices && (plan.out != ctx.output(1).shape() || ctx.output(1).dtype() != DataType::kInt64)))
      return InvalidArgument("TopK: output mismatch");
    return ew::dispatch<float, double, int32_t, int64_t>(x.dtype(), "TopK", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* out = values.data<T>();
      int64_t* idx = want_indices ? ctx.output(1).data<int64_t>() : nullptr;
      const bool largest = largest_;
      ctx.parallel_for(plan.outer * plan.inner, 1, [&](int64_t b, int64_t e) {
        std::vector<int64_t> order(static_cast<size_t>(plan.d));
        for (int64_t line = b; line < e; ++line) {
          const int64_t base = (line / plan.inner) * plan.d * plan.inner + line % plan.inner;
          auto at = [&](int64_t j) { return src[base + j * plan.inner]; };
          // a before b: the better value, NaN best when largest, or the lower index on a tie.
          auto before = [&](int64_t i, int64_t j) {
            const T u = at(i), v = at(j);
            const bool un = u != u, vn = v != v;
            if (un || vn) return un && !vn ? largest : (!un && vn ? !largest : i < j);
            if (u != v) return largest ? u > v : u < v;
            return i < j;
          };
          std::iota(order.begin(), order.end(), 0);
          std::partial_sort(order.begin(), order.begin() + plan.k, order.end(), before);
          for (int64_t j = 0; j < plan.k; ++j) {
            const int64_t o = (line / plan.inner) * plan.k * plan.inner + line % plan.inner + j * plan.inner;
            out[o] = at(order[static_cast<size_t>(j)]);
            if (idx) idx[o] = order[static_cast<size_t>(j)];
          }
        }
      });
      return Status::Ok();
    });
  }

 private:
  int64_t axis_ = -1;
  bool largest_ = true;
  int opset_ = 11;
  int64_t attr_k_ = -1;
};

}  // namespace

void register_selection_ops(OpRegistry& r) { r.add("TopK", 1, [] { return std::make_unique<TopKOp>(); }); }

}  // namespace top::ops

// Einsum-12 on the CPU: each output element runs ops/einsum_math.h over the plan that
// ops/einsum.h resolves from the equation (sums in double for floats, int64 for ints).
// A direct loop, not a GEMM: fine for the small contractions exporters emit; a large
// matmul-shaped Einsum is better written as MatMul.
#include "ops/einsum.h"

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class EinsumOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    if (!attrs.has("equation")) return InvalidArgument("Einsum: attribute 'equation' is required");
    equation_ = attrs.get_string("equation", "");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Einsum", ctx);
    if (ctx.num_inputs() == 0) return InvalidArgument(p + "needs at least one input");
    std::vector<Shape> shapes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      if (!ctx.has_input(i)) return InvalidArgument(p + "input " + std::to_string(i) + " is missing");
      if (ctx.input_dtype(i) != ctx.input_dtype(0)) return InvalidArgument(p + "inputs differ in dtype");
      shapes.push_back(ctx.input_shape(i));
    }
    if (!ew::dtype_in<float, double, int32_t, int64_t>(ctx.input_dtype(0)))
      return Unsupported(p + "dtype " + dtype_name(ctx.input_dtype(0)) + " (float, double, int32, int64)");
    TOP_ASSIGN_OR_RETURN(EinsumResolved r, einsum_resolve(equation_, shapes, p));
    ctx.set_output(0, ctx.input_dtype(0), r.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    std::vector<Shape> shapes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) shapes.push_back(ctx.input(i).shape());
    TOP_ASSIGN_OR_RETURN(EinsumResolved r, einsum_resolve(equation_, shapes, "Einsum: "));
    Tensor& y = ctx.output(0);
    if (y.shape() != r.out) return InvalidArgument("Einsum: output does not match the plan");
    return ew::dispatch<float, double, int32_t, int64_t>(y.dtype(), "Einsum", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
      const T* ops[kMaxEinsumOperands] = {};
      for (size_t i = 0; i < ctx.num_inputs(); ++i) ops[i] = ctx.input(i).data<T>();
      T* out = y.data<T>();
      const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, r.plan.summed_count));
      ctx.parallel_for(y.numel(), grain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = einsum_element<T, Acc>(r.plan, ops, i);
      });
      return Status::Ok();
    });
  }
  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    std::vector<Shape> shapes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) shapes.push_back(ctx.input_shape(i));
    Result<EinsumResolved> r = einsum_resolve(equation_, shapes, "");
    if (r.ok())
      c.flops = static_cast<double>(shape_numel(r->out)) * static_cast<double>(r->plan.summed_count) *
                static_cast<double>(r->plan.operands);
    return c;
  }

 private:
  std::string equation_;
};

}  // namespace

void register_einsum_ops(OpRegistry& r) { r.add("Einsum", 12, [] { return std::make_unique<EinsumOp>(); }); }

}  // namespace top::ops

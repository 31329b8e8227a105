// GatherND: slices of data picked by index tuples (rule and addressing: ops/gather_nd.h,
// shared with ScatterND and the CUDA factory).
#include <algorithm>
#include <cstring>
#include <vector>

#include "ops/families.h"
#include "ops/gather_nd.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class GatherNdOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    batch_dims_ = attrs.get_int("batch_dims", 0);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("GatherND", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "GatherND"));
    if (ctx.input_dtype(1) != DataType::kInt64)
      return InvalidArgument(p + "indices must be int64, got " + dtype_name(ctx.input_dtype(1)));
    TOP_ASSIGN_OR_RETURN(GatherNdPlan g, gather_nd_plan(ctx.input_shape(0), ctx.input_shape(1), batch_dims_, p));
    ctx.set_output(0, ctx.input_dtype(0), g.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    Tensor& y = ctx.output(0);
    if (idx.dtype() != DataType::kInt64) return InvalidArgument("GatherND: indices must be int64");
    TOP_ASSIGN_OR_RETURN(GatherNdPlan g, gather_nd_plan(x.shape(), idx.shape(), batch_dims_, "GatherND: "));
    if (g.out != y.shape() || y.dtype() != x.dtype()) return InvalidArgument("GatherND: output mismatch");
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> offsets, gather_nd_offsets(g, idx.data<int64_t>(), "GatherND"));
    const size_t esize = dtype_size(x.dtype());
    const size_t run = static_cast<size_t>(g.slice_elems) * esize;
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    ctx.parallel_for(g.slices, std::max<int64_t>(1, (int64_t{1} << 14) / std::max<int64_t>(1, static_cast<int64_t>(run))),
                     [&](int64_t b, int64_t e) {
                       for (int64_t s = b; s < e; ++s)
                         std::memcpy(dst + static_cast<size_t>(s) * run,
                                     src + static_cast<size_t>(offsets[static_cast<size_t>(s)]) * esize, run);
                     });
    return Status::Ok();
  }

 private:
  int64_t batch_dims_ = 0;
};

}  // namespace

void register_gather_nd_ops(OpRegistry& r) { r.add("GatherND", 11, [] { return std::make_unique<GatherNdOp>(); }); }

}  // namespace top::ops

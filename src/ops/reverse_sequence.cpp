// ReverseSequence-10 on the CPU: along time_axis, the first sequence_lens[b] slices of
// each batch entry b (along batch_axis) reversed, the rest copied. No GPU kernel yet
// (CPU-only list in tests/unit/cuda_registry_test.cpp).
#include <cstring>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class ReverseSequenceOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    batch_axis_ = attrs.get_int("batch_axis", 1);
    time_axis_ = attrs.get_int("time_axis", 0);
    if (!((batch_axis_ == 0 && time_axis_ == 1) || (batch_axis_ == 1 && time_axis_ == 0)))
      return InvalidArgument("ReverseSequence: batch_axis and time_axis must be 0 and 1 (either way round)");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("ReverseSequence", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "ReverseSequence"));
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) return InvalidArgument(p + "input must have rank >= 2");
    if (ctx.input_dtype(1) != DataType::kInt64 || ctx.input_shape(1) != Shape{x[static_cast<size_t>(batch_axis_)]})
      return InvalidArgument(p + "sequence_lens must be int64 [" + std::to_string(x[static_cast<size_t>(batch_axis_)]) +
                             "]");
    ctx.set_output(0, ctx.input_dtype(0), x);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& lens = ctx.input(1);
    Tensor& y = ctx.output(0);
    const int64_t batch = x.dim(static_cast<int>(batch_axis_)), time = x.dim(static_cast<int>(time_axis_));
    if (lens.numel() != batch || y.shape() != x.shape()) return InvalidArgument("ReverseSequence: bad inputs");
    for (int64_t b = 0; b < batch; ++b)  // every length checked before anything is written
      if (lens.data<int64_t>()[b] < 0 || lens.data<int64_t>()[b] > time)
        return InvalidArgument("ReverseSequence: sequence_lens[" + std::to_string(b) + "] = " +
                               std::to_string(lens.data<int64_t>()[b]) + " is outside [0, " + std::to_string(time) +
                               "]");
    const size_t slice = static_cast<size_t>(x.numel() / std::max<int64_t>(1, batch * time)) * dtype_size(x.dtype());
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    // Slice (t, b) of the [time, batch, ...] or [batch, time, ...] layout.
    auto at = [&](int64_t t, int64_t b) {
      return static_cast<size_t>(time_axis_ == 0 ? t * batch + b : b * time + t) * slice;
    };
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t len = lens.data<int64_t>()[b];
      for (int64_t t = 0; t < time; ++t) std::memcpy(dst + at(t, b), src + at(t < len ? len - 1 - t : t, b), slice);
    }
    return Status::Ok();
  }

 private:
  int64_t batch_axis_ = 1, time_axis_ = 0;
};

}  // namespace

void register_reverse_sequence_ops(OpRegistry& r) {
  r.add("ReverseSequence", 10, [] { return std::make_unique<ReverseSequenceOp>(); });
}

}  // namespace top::ops

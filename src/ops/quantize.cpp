// QuantizeLinear-10/13, DequantizeLinear-10/13 and DynamicQuantizeLinear-11: the
// operators of QDQ models, int8 and uint8 (DequantizeLinear also int32). Rounding is to
// nearest, ties to even, as ONNX specifies; results saturate to the integer range.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ops/families.h"
#include "ops/quantize.h"

namespace top::ops {
namespace {

template <class Q>
Q saturate_round(double v) {
  const double r = std::nearbyint(v);  // the default rounding mode: ties to even
  if (std::isnan(r)) return std::numeric_limits<Q>::min();  // saturates low, as requantisation does
  return static_cast<Q>(std::clamp(r, static_cast<double>(std::numeric_limits<Q>::min()),
                                   static_cast<double>(std::numeric_limits<Q>::max())));
}

bool is_q8(DataType t) { return t == DataType::kInt8 || t == DataType::kUint8; }

// Quantize and Dequantize: per-axis scales along `axis` (opset 13; default 1).
class PerAxisOp : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 1);
    return Status::Ok();
  }

 protected:
  int64_t axis_ = 1;
};

class QuantizeLinearOp final : public PerAxisOp {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("QuantizeLinear", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "QuantizeLinear"));
    if (ctx.input_dtype(0) != DataType::kFloat32 || ctx.input_dtype(1) != DataType::kFloat32)
      return Unsupported(p + "x and scale must be float32");
    const DataType out = ctx.has_input(2) ? ctx.input_dtype(2) : DataType::kUint8;
    if (!is_q8(out)) return Unsupported(p + "zero point dtype " + dtype_name(out) + " (int8 and uint8 are)");
    TOP_RETURN_IF_ERROR(quant_plan(ctx.input_shape(0), ctx.input_shape(1),
                                   ctx.has_input(2) ? &ctx.input_shape(2) : nullptr, axis_, p).status());
    ctx.set_output(0, out, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(QuantPlan q, quant_plan(x.shape(), scale.shape(), zp ? &zp->shape() : nullptr, axis_,
                                                 "QuantizeLinear: "));
    if (y.shape() != x.shape() || !is_q8(y.dtype())) return InvalidArgument("QuantizeLinear: output mismatch");
    const float* src = x.data<float>();
    auto run = [&](auto* dst) {
      using Q = std::remove_pointer_t<decltype(dst)>;
      for (int64_t o = 0; o < q.outer; ++o)
        for (int64_t c = 0; c < q.d; ++c) {
          // x / scale in float32, as ONNX Runtime and the reference: in double, values
          // near a .5 boundary would round the other way.
          const float s = scale.data<float>()[c];
          const double z = zp ? static_cast<double>(zp->item_as_int(c)) : 0.0;
          const int64_t base = (o * q.d + c) * q.inner;
          for (int64_t i = 0; i < q.inner; ++i)
            dst[base + i] = saturate_round<Q>(std::nearbyint(src[base + i] / s) + z);
        }
    };
    if (y.dtype() == DataType::kInt8) run(y.data<int8_t>());
    else run(y.data<uint8_t>());
    return Status::Ok();
  }
};

class DequantizeLinearOp final : public PerAxisOp {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("DequantizeLinear", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "DequantizeLinear"));
    const DataType in = ctx.input_dtype(0);
    if (!is_q8(in) && in != DataType::kInt32) return Unsupported(p + "x dtype " + dtype_name(in));
    if (ctx.input_dtype(1) != DataType::kFloat32) return Unsupported(p + "scale must be float32");
    if (ctx.has_input(2) && ctx.input_dtype(2) != in) return InvalidArgument(p + "zero point and x differ in dtype");
    TOP_RETURN_IF_ERROR(quant_plan(ctx.input_shape(0), ctx.input_shape(1),
                                   ctx.has_input(2) ? &ctx.input_shape(2) : nullptr, axis_, p).status());
    ctx.set_output(0, DataType::kFloat32, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& scale = ctx.input(1);
    const Tensor* zp = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(QuantPlan q, quant_plan(x.shape(), scale.shape(), zp ? &zp->shape() : nullptr, axis_,
                                                 "DequantizeLinear: "));
    if (y.shape() != x.shape() || y.dtype() != DataType::kFloat32) return InvalidArgument("DequantizeLinear: output mismatch");
    float* dst = y.data<float>();
    for (int64_t o = 0; o < q.outer; ++o)
      for (int64_t c = 0; c < q.d; ++c) {
        const float s = scale.data<float>()[c];
        const int64_t z = zp ? zp->item_as_int(c) : 0;
        const int64_t base = (o * q.d + c) * q.inner;
        for (int64_t i = 0; i < q.inner; ++i)
          dst[base + i] = static_cast<float>(x.item_as_int(base + i) - z) * s;
      }
    return Status::Ok();
  }

 private:
  int64_t axis_ = 1;
};

// y, y_scale, y_zero_point of uint8 from float32 x: the range [min(0, min x),
// max(0, max x)] mapped onto [0, 255].
class DynamicQuantizeLinearOp final : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "DynamicQuantizeLinear"));
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return Unsupported(node_prefix("DynamicQuantizeLinear", ctx) + "x must be float32");
    ctx.set_output(0, DataType::kUint8, ctx.input_shape(0));
    ctx.set_output(1, DataType::kFloat32, {});
    ctx.set_output(2, DataType::kUint8, {});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const float* src = x.data<float>();
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      lo = std::min(lo, src[i]);
      hi = std::max(hi, src[i]);
    }
    const float scale = (hi - lo) / 255.0f;
    const uint8_t zp = scale == 0 ? 0 : saturate_round<uint8_t>(0.0 - static_cast<double>(lo) / scale);
    if (ctx.has_output(0)) {
      uint8_t* dst = ctx.output(0).data<uint8_t>();
      for (int64_t i = 0; i < x.numel(); ++i)
        dst[i] = scale == 0 ? zp : saturate_round<uint8_t>(std::nearbyint(src[i] / scale) + zp);
    }
    if (ctx.has_output(1)) ctx.output(1).data<float>()[0] = scale;
    if (ctx.has_output(2)) ctx.output(2).data<uint8_t>()[0] = zp;
    return Status::Ok();
  }
};

}  // namespace

void register_quantize_ops(OpRegistry& r) {
  r.add("QuantizeLinear", 10, [] { return std::make_unique<QuantizeLinearOp>(); });
  r.add("DequantizeLinear", 10, [] { return std::make_unique<DequantizeLinearOp>(); });
  r.add("DynamicQuantizeLinear", 11, [] { return std::make_unique<DynamicQuantizeLinearOp>(); });
}

}  // namespace top::ops

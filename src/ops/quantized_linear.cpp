// MatMulInteger-10, QLinearMatMul-10, ConvInteger-10 and QLinearConv-10 on the CPU:
// int8/uint8 inputs, zero points per tensor or per channel (rows of A / columns of B for
// the matmuls, output channels for the convolutions), int32 accumulation. Each output
// element runs the shared definition in ops/quantized_linear_math.h; the loops are the
// reference kernels (no packed integer GEMM yet), parallel over output rows/channels.
#include "ops/quantized_linear.h"

#include <string>
#include <vector>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// fn(tag) with tag::type = uint8_t or int8_t for `t`.
template <class T>
struct Tag {
  using type = T;
};
template <class Fn>
Status dispatch_q8(DataType t, Fn&& fn) {
  if (t == DataType::kUint8) return fn(Tag<uint8_t>{});
  if (t == DataType::kInt8) return fn(Tag<int8_t>{});
  return Unsupported(std::string("dtype ") + dtype_name(t) + " (uint8 and int8 are supported)");
}

// Element i of a per-tensor (count 1) or per-channel zero point; 0 when absent.
int32_t zero_at(const Tensor* zp, int64_t i) {
  if (zp == nullptr) return 0;
  const int64_t at = zp->numel() == 1 ? 0 : i;
  return zp->dtype() == DataType::kUint8 ? zp->data<uint8_t>()[at] : zp->data<int8_t>()[at];
}
float scale_at(const Tensor& s, int64_t i) { return s.data<float>()[s.numel() == 1 ? 0 : i]; }

const Tensor* optional_input(const KernelContext& ctx, size_t i) { return ctx.has_input(i) ? &ctx.input(i) : nullptr; }

Status require_dtype(const InferContext& ctx, size_t i, bool ok, const std::string& p, const char* what) {
  if (!ctx.has_input(i)) return InvalidArgument(p + what + " is required");
  if (!ok) return Unsupported(p + what + " has dtype " + dtype_name(ctx.input_dtype(i)));
  return Status::Ok();
}

// A zero point must have its data's dtype and be per tensor or per `channels`.
Status check_zero_point(const InferContext& ctx, size_t zp, size_t data, int64_t channels, const std::string& p,
                        const char* what) {
  if (!ctx.has_input(zp)) return Status::Ok();
  if (ctx.input_dtype(zp) != ctx.input_dtype(data))
    return InvalidArgument(p + what + " has dtype " + dtype_name(ctx.input_dtype(zp)) + ", its data " +
                           dtype_name(ctx.input_dtype(data)));
  return qparam_count(ctx.input_shape(zp), channels, p, what).status();
}

Status check_scale(const InferContext& ctx, size_t i, int64_t channels, const std::string& p, const char* what) {
  TOP_RETURN_IF_ERROR(require_dtype(ctx, i, ctx.has_input(i) && ctx.input_dtype(i) == DataType::kFloat32, p, what));
  return qparam_count(ctx.input_shape(i), channels, p, what).status();
}

// ---- the matmuls ----------------------------------------------------------------------

// Input positions of A, B and their zero points (and scales, for QLinearMatMul).
struct MatMulInputs {
  size_t a, b, a_zero, b_zero;
  int a_scale = -1, b_scale = -1, y_scale = -1, y_zero = -1;
};

class IntegerMatMulOp final : public Op {
 public:
  explicit IntegerMatMulOp(bool qlinear)
      : qlinear_(qlinear), in_(qlinear ? MatMulInputs{0, 3, 2, 5, 1, 4, 6, 7} : MatMulInputs{0, 1, 2, 3}) {}

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name(), ctx);
    TOP_RETURN_IF_ERROR(require_dtype(ctx, in_.a, ctx.has_input(in_.a) && is_q8(ctx.input_dtype(in_.a)), p, "A"));
    TOP_RETURN_IF_ERROR(require_dtype(ctx, in_.b, ctx.has_input(in_.b) && is_q8(ctx.input_dtype(in_.b)), p, "B"));
    Result<MatMulDims> d = matmul_dims(ctx.input_shape(in_.a), ctx.input_shape(in_.b));
    if (!d.ok()) return InvalidArgument(p + d.status().message());
    // Zero points and scales: A per tensor (or per row of a 2-D A), B per tensor or per column.
    const bool a_2d = ctx.input_shape(in_.a).size() == 2;
    TOP_RETURN_IF_ERROR(check_zero_point(ctx, in_.a_zero, in_.a, a_2d && !qlinear_ ? d->m : 1, p, "A's zero point"));
    TOP_RETURN_IF_ERROR(check_zero_point(ctx, in_.b_zero, in_.b, d->n, p, "B's zero point"));
    DataType out = DataType::kInt32;
    if (qlinear_) {
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.a_scale), 1, p, "a_scale"));
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.b_scale), d->n, p, "b_scale"));
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.y_scale), 1, p, "y_scale"));
      const size_t yz = static_cast<size_t>(in_.y_zero);
      TOP_RETURN_IF_ERROR(require_dtype(ctx, yz, ctx.has_input(yz) && is_q8(ctx.input_dtype(yz)), p, "y_zero_point"));
      TOP_RETURN_IF_ERROR(qparam_count(ctx.input_shape(yz), 1, p, "y_zero_point").status());
      out = ctx.input_dtype(yz);
    }
    ctx.set_output(0, out, d->out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const std::string p = std::string(name()) + ": ";
    const Tensor& a = ctx.input(in_.a);
    const Tensor& b = ctx.input(in_.b);
    Result<MatMulDims> dr = matmul_dims(a.shape(), b.shape());
    if (!dr.ok() || ctx.output(0).shape() != dr->out) return InvalidArgument(p + "inputs do not match the plan");
    const MatMulDims& d = *dr;
    const Tensor* za = optional_input(ctx, in_.a_zero);
    const Tensor* zb = optional_input(ctx, in_.b_zero);
    if ((za && za->numel() != 1 && za->numel() != d.m) || (zb && zb->numel() != 1 && zb->numel() != d.n))
      return InvalidArgument(p + "zero points do not match the plan");
    std::vector<int64_t> a_off, b_off;
    batch_offsets(d, a_off, b_off);
    const int64_t rows = shape_numel(d.batch) * d.m;
    return dispatch_q8(a.dtype(), [&](auto ta) {
      return dispatch_q8(b.dtype(), [&](auto tb) -> Status {
        using TA = typename decltype(ta)::type;
        using TB = typename decltype(tb)::type;
        const TA* ap = a.data<TA>();
        const TB* bp = b.data<TB>();
        if (!qlinear_) {
          int32_t* y = ctx.output(0).data<int32_t>();
          ctx.parallel_for(rows, 1, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
              const int64_t bi = r / d.m, i = r % d.m;
              const TA* arow = ap + (a_off[bi] * d.m + i) * d.k;
              for (int64_t j = 0; j < d.n; ++j)
                y[r * d.n + j] = qdot(arow, 1, zero_at(za, i), bp + b_off[bi] * d.k * d.n + j, d.n, zero_at(zb, j), d.k);
            }
          });
          return Status::Ok();
        }
        const Tensor& sa = ctx.input(static_cast<size_t>(in_.a_scale));
        const Tensor& sb = ctx.input(static_cast<size_t>(in_.b_scale));
        const Tensor& sy = ctx.input(static_cast<size_t>(in_.y_scale));
        const Tensor& yz = ctx.input(static_cast<size_t>(in_.y_zero));
        if (sb.numel() != 1 && sb.numel() != d.n) return InvalidArgument(p + "b_scale does not match the plan");
        return dispatch_q8(yz.dtype(), [&](auto ty) -> Status {
          using TY = typename decltype(ty)::type;
          TY* y = ctx.output(0).data<TY>();
          const int32_t y_zero = zero_at(&yz, 0);
          ctx.parallel_for(rows, 1, [&](int64_t r0, int64_t r1) {
            for (int64_t r = r0; r < r1; ++r) {
              const int64_t bi = r / d.m, i = r % d.m;
              const TA* arow = ap + (a_off[bi] * d.m + i) * d.k;
              for (int64_t j = 0; j < d.n; ++j) {
                const int32_t acc =
                    qdot(arow, 1, zero_at(za, 0), bp + b_off[bi] * d.k * d.n + j, d.n, zero_at(zb, j), d.k);
                y[r * d.n + j] = qrequantize<TY>(acc, scale_at(sa, 0), scale_at(sb, j), scale_at(sy, 0), y_zero);
              }
            }
          });
          return Status::Ok();
        });
      });
    });
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    Result<MatMulDims> d = matmul_dims(ctx.input_shape(in_.a), ctx.input_shape(in_.b));
    if (d.ok()) c.flops = 2.0 * static_cast<double>(shape_numel(d->batch) * d->m) * static_cast<double>(d->n * d->k);
    return c;
  }

 private:
  const char* name() const { return qlinear_ ? "QLinearMatMul" : "MatMulInteger"; }
  bool qlinear_;
  MatMulInputs in_;
};

// ---- the convolutions -----------------------------------------------------------------

struct ConvInputs {
  size_t x, w, x_zero, w_zero;
  int x_scale = -1, w_scale = -1, y_scale = -1, y_zero = -1, bias = -1;
};

class IntegerConvOp final : public Op {
 public:
  explicit IntegerConvOp(bool qlinear)
      : qlinear_(qlinear), in_(qlinear ? ConvInputs{0, 3, 2, 5, 1, 4, 6, 7, 8} : ConvInputs{0, 1, 2, 3}) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    group_ = attrs.get_int("group", 1);
    if (group_ < 1) return InvalidArgument(std::string(name()) + ": group must be >= 1");
    return parse_window_attrs(attrs, name(), win_);
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name(), ctx);
    TOP_RETURN_IF_ERROR(require_dtype(ctx, in_.x, ctx.has_input(in_.x) && is_q8(ctx.input_dtype(in_.x)), p, "x"));
    TOP_RETURN_IF_ERROR(require_dtype(ctx, in_.w, ctx.has_input(in_.w) && is_q8(ctx.input_dtype(in_.w)), p, "w"));
    TOP_ASSIGN_OR_RETURN(QConvPlan q, qconv_plan(win_, group_, ctx.input_shape(in_.x), ctx.input_shape(in_.w), p));
    const int64_t m = q.geo.out_channels;
    TOP_RETURN_IF_ERROR(check_zero_point(ctx, in_.x_zero, in_.x, 1, p, "x's zero point"));
    TOP_RETURN_IF_ERROR(check_zero_point(ctx, in_.w_zero, in_.w, m, p, "w's zero point"));
    DataType out = DataType::kInt32;
    if (qlinear_) {
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.x_scale), 1, p, "x_scale"));
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.w_scale), m, p, "w_scale"));
      TOP_RETURN_IF_ERROR(check_scale(ctx, static_cast<size_t>(in_.y_scale), 1, p, "y_scale"));
      const size_t yz = static_cast<size_t>(in_.y_zero);
      TOP_RETURN_IF_ERROR(require_dtype(ctx, yz, ctx.has_input(yz) && is_q8(ctx.input_dtype(yz)), p, "y_zero_point"));
      TOP_RETURN_IF_ERROR(qparam_count(ctx.input_shape(yz), 1, p, "y_zero_point").status());
      const size_t bias = static_cast<size_t>(in_.bias);
      if (ctx.has_input(bias) && (ctx.input_dtype(bias) != DataType::kInt32 || ctx.input_shape(bias) != Shape{m}))
        return InvalidArgument(p + "B must be int32 [" + std::to_string(m) + "]");
      out = ctx.input_dtype(yz);
    }
    ctx.set_output(0, out, q.out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const std::string p = std::string(name()) + ": ";
    const Tensor& x = ctx.input(in_.x);
    const Tensor& w = ctx.input(in_.w);
    TOP_ASSIGN_OR_RETURN(QConvPlan q, qconv_plan(win_, group_, x.shape(), w.shape(), p));
    if (ctx.output(0).shape() != q.out) return InvalidArgument(p + "inputs do not match the plan");
    const Tensor* zx = optional_input(ctx, in_.x_zero);
    const Tensor* zw = optional_input(ctx, in_.w_zero);
    const int64_t m = q.geo.out_channels;
    if (zw && zw->numel() != 1 && zw->numel() != m) return InvalidArgument(p + "w's zero point does not match");
    const QConvGeometry& g = q.geo;
    const int64_t per_map = g.out[0] * g.out[1] * g.out[2];
    return dispatch_q8(x.dtype(), [&](auto tx) {
      return dispatch_q8(w.dtype(), [&](auto tw) -> Status {
        using TX = typename decltype(tx)::type;
        using TW = typename decltype(tw)::type;
        const TX* xp = x.data<TX>();
        const TW* wp = w.data<TW>();
        // fn(map, element) over every output element, one (n, m) map per task.
        auto for_each_output = [&](auto&& fn) {
          ctx.parallel_for(q.batch * m, 1, [&](int64_t m0, int64_t m1) {
            for (int64_t map = m0; map < m1; ++map) {
              const int64_t n = map / m, oc = map % m;
              int64_t e = map * per_map;
              for (int64_t o0 = 0; o0 < g.out[0]; ++o0)
                for (int64_t o1 = 0; o1 < g.out[1]; ++o1)
                  for (int64_t o2 = 0; o2 < g.out[2]; ++o2, ++e)
                    fn(oc, e, qconv_acc(g, xp, zero_at(zx, 0), wp, zero_at(zw, oc), n, oc, o0, o1, o2));
            }
          });
        };
        if (!qlinear_) {
          int32_t* y = ctx.output(0).data<int32_t>();
          for_each_output([&](int64_t, int64_t e, int32_t acc) { y[e] = acc; });
          return Status::Ok();
        }
        const Tensor& sx = ctx.input(static_cast<size_t>(in_.x_scale));
        const Tensor& sw = ctx.input(static_cast<size_t>(in_.w_scale));
        const Tensor& sy = ctx.input(static_cast<size_t>(in_.y_scale));
        const Tensor& yz = ctx.input(static_cast<size_t>(in_.y_zero));
        const Tensor* bias = optional_input(ctx, static_cast<size_t>(in_.bias));
        if (sw.numel() != 1 && sw.numel() != m) return InvalidArgument(p + "w_scale does not match the plan");
        return dispatch_q8(yz.dtype(), [&](auto ty) -> Status {
          using TY = typename decltype(ty)::type;
          TY* y = ctx.output(0).data<TY>();
          const int32_t y_zero = zero_at(&yz, 0);
          const int32_t* bp = bias ? bias->data<int32_t>() : nullptr;
          for_each_output([&](int64_t oc, int64_t e, int32_t acc) {
            const int32_t with_bias =
                bp ? static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bp[oc])) : acc;
            y[e] = qrequantize<TY>(with_bias, scale_at(sx, 0), scale_at(sw, oc), scale_at(sy, 0), y_zero);
          });
          return Status::Ok();
        });
      });
    });
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    Result<QConvPlan> q = qconv_plan(win_, group_, ctx.input_shape(in_.x), ctx.input_shape(in_.w), "");
    if (q.ok())
      c.flops = 2.0 * static_cast<double>(shape_numel(q->out)) *
                static_cast<double>(q->geo.channels / q->geo.group * q->geo.kernel[0] * q->geo.kernel[1] *
                                    q->geo.kernel[2]);
    return c;
  }

 private:
  const char* name() const { return qlinear_ ? "QLinearConv" : "ConvInteger"; }
  bool qlinear_;
  ConvInputs in_;
  int64_t group_ = 1;
  WindowAttrs win_;
};

}  // namespace

void register_quantized_linear_ops(OpRegistry& r) {
  r.add("MatMulInteger", 10, [] { return std::make_unique<IntegerMatMulOp>(false); });
  r.add("QLinearMatMul", 10, [] { return std::make_unique<IntegerMatMulOp>(true); });
  r.add("ConvInteger", 10, [] { return std::make_unique<IntegerConvOp>(false); });
  r.add("QLinearConv", 10, [] { return std::make_unique<IntegerConvOp>(true); });
}

}  // namespace top::ops

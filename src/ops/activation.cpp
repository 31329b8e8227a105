// Activations: Relu, LeakyRelu, PRelu, ThresholdedRelu, Elu, Celu, Selu, Sigmoid,
// HardSigmoid, HardSwish, Tanh, Softplus, Softsign, Mish, Clip, and the normalising
// Softmax, LogSoftmax and Hardmax (2-D coercion before opset 13, one axis since).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")  // lets GCC vectorise clamps and sqrt
#endif
#include "ops/elementwise_kernels.h"

#include "ops/activation_math.h"

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

template <class T>
TOP_EW_INLINE T exp_t(T x) {
  if constexpr (std::is_same_v<T, float>)
    return ew::exp_f(x);
  else
    return std::exp(x);
}

template <class T>
TOP_EW_INLINE T tanh_t(T x) {
  if constexpr (std::is_same_v<T, float>)
    return ew::tanh_f(x);
  else
    return std::tanh(x);
}

template <class T>
TOP_EW_INLINE T sigmoid_t(T x) {
  if constexpr (std::is_same_v<T, float>)
    return ew::sigmoid_f(x);
  else
    return T(1) / (T(1) + std::exp(-x));
}

// log(1 + exp(x)) without overflow.
template <class T>
T softplus_t(T x) {
  return x > T(0) ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
}

Status check_io(const KernelContext& ctx, const char* op) {
  if (!ctx.has_input(0) || !ctx.has_output(0)) return InvalidArgument(std::string(op) + " needs an input and an output");
  if (ctx.input(0).numel() != ctx.output(0).numel() || ctx.input(0).dtype() != ctx.output(0).dtype())
    return InvalidArgument(std::string(op) + ": output does not match the input");
  return Status::Ok();
}

// ---- pointwise activations ----------------------------------------------------------

enum class Act {
  kRelu, kLeakyRelu, kThresholdedRelu, kElu, kCelu, kSelu, kSigmoid, kHardSigmoid, kHardSwish, kTanh,
  kSoftplus, kSoftsign, kMish, kShrink
};

class ActivationOp : public Op {
 public:
  ActivationOp(Act kind, const char* name) : kind_(kind), name_(name) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    switch (kind_) {
      case Act::kLeakyRelu: alpha_ = attrs.get_float("alpha", 0.01f); break;
      case Act::kThresholdedRelu: alpha_ = attrs.get_float("alpha", 1.0f); break;
      case Act::kElu: alpha_ = attrs.get_float("alpha", 1.0f); break;
      case Act::kCelu:
        alpha_ = attrs.get_float("alpha", 1.0f);
        if (alpha_ == 0.0f) return InvalidArgument("Celu alpha must not be 0");
        break;
      case Act::kSelu:
        alpha_ = attrs.get_float("alpha", 1.67326319217681884765625f);
        gamma_ = attrs.get_float("gamma", 1.05070102214813232421875f);
        break;
      case Act::kHardSigmoid:
        alpha_ = attrs.get_float("alpha", 0.2f);
        beta_ = attrs.get_float("beta", 0.5f);
        break;
      case Act::kShrink:
        alpha_ = attrs.get_float("lambd", 0.5f);
        beta_ = attrs.get_float("bias", 0.0f);
        break;
      default: break;
    }
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + " needs an input");
    const DataType dt = ctx.input_dtype(0);
    const bool ok = kind_ == Act::kRelu ? ew::dtype_in<float, double, int32_t, int64_t, int8_t>(dt)
                                        : ew::dtype_in<float, double>(dt);
    if (!ok) return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::Ok();
  }

  // Element by element: any layout, the output's the input's.
  BlockedLayouts blocked_layouts(const InferContext&) const override { return BlockedLayouts{true, 0, 0}; }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_io(ctx, name_));
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (kind_ == Act::kRelu) {
      return ew::dispatch<float, double, int32_t, int64_t, int8_t>(x.dtype(), name_, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        ew::unary_map<T, T>(ctx, x, y, ew::kGrain, [](T v) { return relu_value(v); });
        return Status::Ok();
      });
    }
    return ew::dispatch<float, double>(x.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T alpha = static_cast<T>(alpha_), beta = static_cast<T>(beta_), gamma = static_cast<T>(gamma_);
      auto cheap = [&](auto f) { ew::unary_map<T, T>(ctx, x, y, ew::kGrain, f); };
      auto heavy = [&](auto f) { ew::unary_map<T, T>(ctx, x, y, ew::kGrainHeavy, f); };
      switch (kind_) {
        case Act::kLeakyRelu: cheap([alpha](T v) { return leaky_relu_value(v, alpha); }); break;
        case Act::kThresholdedRelu: cheap([alpha](T v) { return v > alpha ? v : T(0); }); break;
        case Act::kElu: heavy([alpha](T v) { return v < T(0) ? alpha * (exp_t(v) - T(1)) : v; }); break;
        case Act::kCelu:
          heavy([alpha](T v) { return max_nan(T(0), v) + min_nan(T(0), alpha * (exp_t(v / alpha) - T(1))); });
          break;
        case Act::kSelu:
          heavy([alpha, gamma](T v) { return v > T(0) ? gamma * v : gamma * (alpha * exp_t(v) - alpha); });
          break;
        case Act::kSigmoid: heavy([](T v) { return sigmoid_t(v); }); break;
        case Act::kHardSigmoid:
          cheap([alpha, beta](T v) { return hard_sigmoid_value(v, alpha, beta); });
          break;
        case Act::kHardSwish:
          cheap([](T v) { return hard_swish_value(v); });
          break;
        case Act::kShrink: cheap([alpha, beta](T v) { return shrink_value(v, alpha, beta); }); break;
        case Act::kTanh: heavy([](T v) { return tanh_t(v); }); break;
        case Act::kSoftplus: heavy([](T v) { return softplus_t(v); }); break;
        case Act::kSoftsign: cheap([](T v) { return v / (T(1) + std::fabs(v)); }); break;
        case Act::kMish: heavy([](T v) { return v * std::tanh(softplus_t(v)); }); break;
        default: return Internal("unknown activation kind");
      }
      return Status::Ok();
    });
  }

 private:
  Act kind_;
  const char* name_;
  float alpha_ = 0.0f, beta_ = 0.0f, gamma_ = 0.0f;
};

// ---- PRelu ---------------------------------------------------------------------------

class PReluOp : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("PRelu needs X and slope");
    const DataType dt = ctx.input_dtype(0);
    if (ctx.input_dtype(1) != dt)
      return InvalidArgument(std::string("PRelu slope dtype ") + dtype_name(ctx.input_dtype(1)) + " differs from X " +
                             dtype_name(dt));
    if (!ew::dtype_in<float, double, int32_t, int64_t>(dt))
      return Unsupported(std::string("PRelu does not support dtype ") + dtype_name(dt));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, "PRelu"));
    if (out != ctx.input_shape(0))
      return InvalidArgument("PRelu slope " + shape_str(ctx.input_shape(1)) + " does not broadcast to X " +
                             shape_str(ctx.input_shape(0)));
    ctx.set_output(0, dt, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_io(ctx, "PRelu"));
    if (!ctx.has_input(1) || ctx.input(1).dtype() != ctx.input(0).dtype())
      return InvalidArgument("PRelu needs a slope of X's dtype");
    return ew::dispatch<float, double, int32_t, int64_t>(ctx.input(0).dtype(), "PRelu", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      return ew::binary_broadcast<T, T>(ctx, ctx.input(0), ctx.input(1), ctx.output(0),
                                        [](T v, T s) { return v < T(0) ? v * s : v; });
    });
  }
};

// ---- Clip ------------------------------------------------------------------------------

class ClipOp : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    opset_ = opset;
    if (opset < 11) {
      min_attr_ = attrs.get_float("min", -std::numeric_limits<float>::max());
      max_attr_ = attrs.get_float("max", std::numeric_limits<float>::max());
    }
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument("Clip needs an input");
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double, int8_t, uint8_t, int32_t, int64_t>(dt))
      return Unsupported(std::string("Clip does not support dtype ") + dtype_name(dt));
    if (opset_ < 11 && dt != DataType::kFloat32 && dt != DataType::kFloat64)
      return Unsupported("Clip before opset 11 supports only float inputs");
    for (size_t i = 1; i <= 2 && opset_ >= 11; ++i) {
      if (!ctx.has_input(i)) continue;
      if (ctx.input_dtype(i) != dt)
        return InvalidArgument(std::string("Clip ") + (i == 1 ? "min" : "max") + " dtype " +
                               dtype_name(ctx.input_dtype(i)) + " differs from the input's " + dtype_name(dt));
      if (shape_numel(ctx.input_shape(i)) != 1)
        return InvalidArgument(std::string("Clip ") + (i == 1 ? "min" : "max") + " must be a scalar, got shape " +
                               shape_str(ctx.input_shape(i)));
    }
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::Ok();
  }

  // Element by element (min and max are scalars): any layout.
  BlockedLayouts blocked_layouts(const InferContext&) const override { return BlockedLayouts{true, 0, 0}; }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_io(ctx, "Clip"));
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    return ew::dispatch<float, double, int8_t, uint8_t, int32_t, int64_t>(x.dtype(), "Clip", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (opset_ < 11) {
        lo = static_cast<T>(min_attr_);
        hi = static_cast<T>(max_attr_);
      } else {
        for (size_t i = 1; i <= 2; ++i) {
          if (!ctx.has_input(i)) continue;
          const Tensor& b = ctx.input(i);
          if (b.dtype() != x.dtype() || b.numel() != 1)
            return InvalidArgument("Clip min/max must be scalars of the input's dtype");
          (i == 1 ? lo : hi) = b.data<T>()[0];
        }
      }
      // min > max gives max everywhere, as the spec says.
      ew::unary_map<T, T>(ctx, x, y, ew::kGrain, [lo, hi](T v) { return clip_value(v, lo, hi); });
      return Status::Ok();
    });
  }

 private:
  int opset_ = 13;
  float min_attr_ = 0, max_attr_ = 0;
};

// ---- Softmax / LogSoftmax / Hardmax ----------------------------------------------------

enum class Norm { kSoftmax, kLogSoftmax, kHardmax };

constexpr int kLanes = 16;

template <class T>
TOP_EW_INLINE T row_max(const T* x, int64_t n) {
  T acc[kLanes];
  for (int j = 0; j < kLanes; ++j) acc[j] = -std::numeric_limits<T>::infinity();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] = x[i + j] > acc[j] ? x[i + j] : acc[j];
  T m = -std::numeric_limits<T>::infinity();
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  for (int j = 0; j < kLanes; ++j) m = acc[j] > m ? acc[j] : m;
  return m;
}

template <class T>
TOP_EW_INLINE T row_sum(const T* x, int64_t n) {
  T acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  T s = 0;
  for (; i < n; ++i) s += x[i];
  for (int j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

// Rows [r0, r1) of length d, contiguous.
TOP_EW_DEFINE_LOOP(softmax_rows, class T TOP_EW_COMMA bool kLog, T TOP_EW_COMMA kLog,
                   (const T* x, T* y, int64_t r0, int64_t r1, int64_t d), (x, y, r0, r1, d),
                   for (int64_t r = r0; r < r1; ++r) {
                     const T* xr = x + r * d;
                     T* yr = y + r * d;
                     const T m = row_max(xr, d);
                     for (int64_t i = 0; i < d; ++i) yr[i] = exp_t(xr[i] - m);
                     const T s = row_sum(yr, d);
                     if constexpr (kLog) {
                       const T off = m + std::log(s);
                       for (int64_t i = 0; i < d; ++i) yr[i] = xr[i] - off;
                     } else {
                       const T inv = T(1) / s;
                       for (int64_t i = 0; i < d; ++i) yr[i] *= inv;
                     }
                   })

// One [d, inner] block column range [j0, j1): softmax down the columns.
TOP_EW_DEFINE_LOOP(softmax_cols, class T TOP_EW_COMMA bool kLog, T TOP_EW_COMMA kLog,
                   (const T* x, T* y, int64_t d, int64_t inner, int64_t j0, int64_t j1, T* m, T* s),
                   (x, y, d, inner, j0, j1, m, s), {
                     const int64_t w = j1 - j0;
                     for (int64_t j = 0; j < w; ++j) {
                       m[j] = -std::numeric_limits<T>::infinity();
                       s[j] = 0;
                     }
                     for (int64_t k = 0; k < d; ++k) {
                       const T* xr = x + k * inner + j0;
                       for (int64_t j = 0; j < w; ++j) m[j] = xr[j] > m[j] ? xr[j] : m[j];
                     }
                     for (int64_t k = 0; k < d; ++k) {
                       const T* xr = x + k * inner + j0;
                       T* yr = y + k * inner + j0;
                       for (int64_t j = 0; j < w; ++j) {
                         const T e = exp_t(xr[j] - m[j]);
                         s[j] += e;
                         if constexpr (!kLog) yr[j] = e;
                       }
                     }
                     if constexpr (kLog) {
                       for (int64_t j = 0; j < w; ++j) m[j] += std::log(s[j]);
                       for (int64_t k = 0; k < d; ++k) {
                         const T* xr = x + k * inner + j0;
                         T* yr = y + k * inner + j0;
                         for (int64_t j = 0; j < w; ++j) yr[j] = xr[j] - m[j];
                       }
                     } else {
                       for (int64_t j = 0; j < w; ++j) s[j] = T(1) / s[j];
                       for (int64_t k = 0; k < d; ++k) {
                         T* yr = y + k * inner + j0;
                         for (int64_t j = 0; j < w; ++j) yr[j] *= s[j];
                       }
                     }
                   })

class NormalizeOp : public Op {
 public:
  NormalizeOp(Norm kind, const char* name) : kind_(kind), name_(name) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    coerce_2d_ = opset < 13;
    axis_ = attrs.get_int("axis", coerce_2d_ ? 1 : -1);
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + " needs an input");
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double>(dt))
      return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(ctx.input_shape(0).size()), name_));
    (void)axis;
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_io(ctx, name_));
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const Shape& s = x.shape();
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(s.size()), name_));
    const SoftmaxSplit split = softmax_split(s, axis, coerce_2d_);
    const int64_t outer = split.outer, d = split.d, inner = split.inner;
    if (outer * d * inner == 0) return Status::Ok();
    return ew::dispatch<float, double>(x.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x.data<T>();
      T* py = y.data<T>();
      if (kind_ == Norm::kHardmax) {
        hardmax(ctx, px, py, outer, d, inner);
        return Status::Ok();
      }
      const bool log = kind_ == Norm::kLogSoftmax;
      if (inner == 1) {
        const int64_t grain = std::max<int64_t>(1, ew::kGrainHeavy / d);
        ctx.parallel_for(outer, grain, [&](int64_t r0, int64_t r1) {
          if (log)
            softmax_rows<T, true>(px, py, r0, r1, d);
          else
            softmax_rows<T, false>(px, py, r0, r1, d);
        });
        return Status::Ok();
      }
      constexpr int64_t kChunk = 256;
      const int64_t chunks = (inner + kChunk - 1) / kChunk;
      const int64_t grain = std::max<int64_t>(1, ew::kGrainHeavy / (d * std::min(inner, kChunk)));
      ctx.parallel_for(outer * chunks, grain, [&](int64_t t0, int64_t t1) {
        T m[kChunk], sum[kChunk];
        for (int64_t t = t0; t < t1; ++t) {
          const int64_t o = t / chunks, c = t % chunks;
          const int64_t j0 = c * kChunk, j1 = std::min(inner, j0 + kChunk);
          const T* xb = px + o * d * inner;
          T* yb = py + o * d * inner;
          if (log)
            softmax_cols<T, true>(xb, yb, d, inner, j0, j1, m, sum);
          else
            softmax_cols<T, false>(xb, yb, d, inner, j0, j1, m, sum);
        }
      });
      return Status::Ok();
    });
  }

 private:
  template <class T>
  static void hardmax(const KernelContext& ctx, const T* x, T* y, int64_t outer, int64_t d, int64_t inner) {
    const int64_t grain = std::max<int64_t>(1, ew::kGrain / d);
    ctx.parallel_for(outer * inner, grain, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        const int64_t o = t / inner, j = t % inner;
        const T* xc = x + o * d * inner + j;
        T* yc = y + o * d * inner + j;
        int64_t best = 0;
        for (int64_t k = 1; k < d; ++k)
          if (xc[k * inner] > xc[best * inner]) best = k;
        for (int64_t k = 0; k < d; ++k) yc[k * inner] = k == best ? T(1) : T(0);
      }
    });
  }

  Norm kind_;
  const char* name_;
  bool coerce_2d_ = false;
  int64_t axis_ = -1;
};

}  // namespace

void register_activation_ops(OpRegistry& r) {
  auto act = [&r](const char* name, int since, Act k) {
    r.add(name, since, [name, k] { return std::make_unique<ActivationOp>(k, name); });
  };
  act("Relu", 1, Act::kRelu);
  act("LeakyRelu", 1, Act::kLeakyRelu);
  act("ThresholdedRelu", 10, Act::kThresholdedRelu);
  act("Elu", 1, Act::kElu);
  act("Celu", 12, Act::kCelu);
  act("Selu", 1, Act::kSelu);
  act("Sigmoid", 1, Act::kSigmoid);
  act("HardSigmoid", 1, Act::kHardSigmoid);
  act("HardSwish", 14, Act::kHardSwish);
  act("Tanh", 1, Act::kTanh);
  act("Softplus", 1, Act::kSoftplus);
  act("Softsign", 1, Act::kSoftsign);
  act("Mish", 18, Act::kMish);
  act("Shrink", 9, Act::kShrink);
  r.add("PRelu", 7, [] { return std::make_unique<PReluOp>(); });
  r.add("Clip", 1, [] { return std::make_unique<ClipOp>(); });
  r.add("Softmax", 1, [] { return std::make_unique<NormalizeOp>(Norm::kSoftmax, "Softmax"); });
  r.add("LogSoftmax", 1, [] { return std::make_unique<NormalizeOp>(Norm::kLogSoftmax, "LogSoftmax"); });
  r.add("Hardmax", 1, [] { return std::make_unique<NormalizeOp>(Norm::kHardmax, "Hardmax"); });
}

}  // namespace top::ops

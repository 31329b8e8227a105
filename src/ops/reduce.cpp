// Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp and
// ArgMax/ArgMin. The input is viewed as alternating kept/reduced dim groups; one
// reduced group [outer, r, inner] (the common cases: last axis, H*W of NCHW, a middle
// axis) runs vectorised kernels, anything else a generic walk.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")  // lets GCC vectorise clamps and sqrt
#endif
#include "ops/elementwise_kernels.h"

#include "ops/activation_math.h"

#include "ops/families.h"

namespace top::ops {
namespace {

constexpr int kLanes = 16;

// ---- reduction kinds: map each element, combine accumulators, finalise with the count.

template <class T>
struct SumK {
  static T init() { return T(0); }
  static T map(T x) { return x; }
  static T combine(T a, T b) { return static_cast<T>(a + b); }
  static T finalize(T a, int64_t) { return a; }
};
template <class T>
struct MeanK : SumK<T> {
  static T finalize(T a, int64_t n) {
    if constexpr (std::is_integral_v<T>) {
      return n == 0 ? T(0) : static_cast<T>(a / static_cast<T>(n));
    } else {
      return a / static_cast<T>(n);
    }
  }
};
template <class T>
struct MaxK {
  static T init() { return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                                 : std::numeric_limits<T>::lowest(); }
  static T map(T x) { return x; }
  static T combine(T a, T b) { return max_nan(a, b); }
  static T finalize(T a, int64_t) { return a; }
};
template <class T>
struct MinK {
  static T init() { return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                                 : std::numeric_limits<T>::max(); }
  static T map(T x) { return x; }
  static T combine(T a, T b) { return min_nan(a, b); }
  static T finalize(T a, int64_t) { return a; }
};
template <class T>
struct ProdK {
  static T init() { return T(1); }
  static T map(T x) { return x; }
  static T combine(T a, T b) { return static_cast<T>(a * b); }
  static T finalize(T a, int64_t) { return a; }
};
template <class T>
struct L1K : SumK<T> {
  static T map(T x) { return x < T(0) ? static_cast<T>(-x) : x; }
};
template <class T>
struct SumSquareK : SumK<T> {
  static T map(T x) { return static_cast<T>(x * x); }
};
template <class T>
struct L2K : SumSquareK<T> {
  static T finalize(T a, int64_t) { return static_cast<T>(std::sqrt(a)); }
};
template <class T>
struct LogSumK : SumK<T> {
  static T finalize(T a, int64_t) { return static_cast<T>(std::log(a)); }
};

// ---- kernels -----------------------------------------------------------------------

// Accumulator over n contiguous elements (mapped, combined, not finalised).
template <class T, class K>
TOP_EW_INLINE T reduce_row(const T* x, int64_t n) {
  T acc[kLanes];
  for (int j = 0; j < kLanes; ++j) acc[j] = K::init();
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] = K::combine(acc[j], K::map(x[i + j]));
  T a = K::init();
  for (; i < n; ++i) a = K::combine(a, K::map(x[i]));
  for (int j = 0; j < kLanes; ++j) a = K::combine(a, acc[j]);
  return a;
}

// y[o] = finalize(reduce(x[o*r .. o*r+r))) for o in [o0, o1).
TOP_EW_DEFINE_LOOP(reduce_rows, class T TOP_EW_COMMA class K, T TOP_EW_COMMA K,
                   (const T* x, T* y, int64_t o0, int64_t o1, int64_t r), (x, y, o0, o1, r),
                   for (int64_t o = o0; o < o1; ++o) y[o] = K::finalize(reduce_row<T TOP_EW_COMMA K>(x + o * r, r), r);)

// Partial accumulators of pieces of rows: part[t] covers row t / pieces, piece t % pieces.
TOP_EW_DEFINE_LOOP(reduce_pieces, class T TOP_EW_COMMA class K, T TOP_EW_COMMA K,
                   (const T* x, T* part, int64_t t0, int64_t t1, int64_t r, int64_t pieces),
                   (x, part, t0, t1, r, pieces), {
                     const int64_t step = (r + pieces - 1) / pieces;
                     for (int64_t t = t0; t < t1; ++t) {
                       const int64_t o = t / pieces, p = t % pieces;
                       const int64_t b = std::min(r, p * step), e = std::min(r, b + step);
                       part[t] = reduce_row<T TOP_EW_COMMA K>(x + o * r + b, e - b);
                     }
                   })

// One [r, inner] block, columns [j0, j1): y[j] = finalize(reduce over k of x[k*inner + j]).
TOP_EW_DEFINE_LOOP(reduce_cols, class T TOP_EW_COMMA class K, T TOP_EW_COMMA K,
                   (const T* x, T* y, int64_t r, int64_t inner, int64_t j0, int64_t j1),
                   (x, y, r, inner, j0, j1), {
                     for (int64_t j = j0; j < j1; ++j) y[j] = K::init();
                     for (int64_t k = 0; k < r; ++k) {
                       const T* xr = x + k * inner;
                       for (int64_t j = j0; j < j1; ++j) y[j] = K::combine(y[j], K::map(xr[j]));
                     }
                     for (int64_t j = j0; j < j1; ++j) y[j] = K::finalize(y[j], r);
                   })

// The input seen as groups of adjacent dims that are all kept or all reduced
// (size-1 dims dropped), outermost first.
struct Layout {
  std::vector<int64_t> sizes;
  std::vector<bool> reduced;
  int64_t reduce_count = 1;  // elements folded into each output
};

Layout make_layout(const Shape& in, const std::vector<bool>& reduce) {
  Layout l;
  for (size_t d = 0; d < in.size(); ++d) {
    if (reduce[d]) l.reduce_count *= in[d];
    if (in[d] == 1) continue;
    if (!l.sizes.empty() && l.reduced.back() == reduce[d]) {
      l.sizes.back() *= in[d];
    } else {
      l.sizes.push_back(in[d]);
      l.reduced.push_back(reduce[d]);
    }
  }
  return l;
}

template <class T, class K>
void reduce_generic(const KernelContext& ctx, const T* x, T* y, const Layout& l, int64_t out_n) {
  // Strides of every group; outputs enumerate the kept groups, the inner walk the reduced ones.
  const size_t g = l.sizes.size();
  std::vector<int64_t> stride(g, 1);
  for (size_t i = g; i-- > 1;) stride[i - 1] = stride[i] * l.sizes[i];
  std::vector<int64_t> kept_sz, kept_st, red_sz, red_st;
  for (size_t i = 0; i < g; ++i) {
    (l.reduced[i] ? red_sz : kept_sz).push_back(l.sizes[i]);
    (l.reduced[i] ? red_st : kept_st).push_back(stride[i]);
  }
  const int64_t rn = l.reduce_count;
  ctx.parallel_for(out_n, std::max<int64_t>(1, ew::kGrain / std::max<int64_t>(rn, 1)), [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(red_sz.size());
    for (int64_t o = b; o < e; ++o) {
      int64_t base = 0, rem = o;
      for (size_t i = kept_sz.size(); i-- > 0;) {
        base += (rem % kept_sz[i]) * kept_st[i];
        rem /= kept_sz[i];
      }
      T acc = K::init();
      std::fill(idx.begin(), idx.end(), 0);
      int64_t off = base;
      for (int64_t c = 0; c < rn; ++c) {
        acc = K::combine(acc, K::map(x[off]));
        for (size_t i = red_sz.size(); i-- > 0;) {
          off += red_st[i];
          if (++idx[i] < red_sz[i]) break;
          off -= idx[i] * red_st[i];
          idx[i] = 0;
        }
      }
      y[o] = K::finalize(acc, rn);
    }
  });
}

template <class T, class K>
void reduce_tensor(const KernelContext& ctx, const Tensor& xt, Tensor& yt, const std::vector<bool>& reduce) {
  const T* x = xt.data<T>();
  T* y = yt.data<T>();
  const int64_t out_n = yt.numel();
  if (out_n == 0) return;
  const Layout l = make_layout(xt.shape(), reduce);
  if (xt.numel() == 0) {  // empty reduction: the identity, finalised
    std::fill(y, y + out_n, K::finalize(K::init(), 0));
    return;
  }
  int reduced_groups = 0;
  for (bool r : l.reduced) reduced_groups += r ? 1 : 0;
  if (reduced_groups > 1) return reduce_generic<T, K>(ctx, x, y, l, out_n);

  int64_t outer = 1, r = 1, inner = 1;
  bool seen = false;
  for (size_t i = 0; i < l.sizes.size(); ++i) {
    if (l.reduced[i]) {
      r = l.sizes[i];
      seen = true;
    } else {
      (seen ? inner : outer) *= l.sizes[i];
    }
  }
  if (inner == 1) {
    const int threads = ctx.num_threads();
    if (outer < 2 * threads && r >= 2 * ew::kGrain && threads > 1) {
      // Few long rows (reduce-all): split each row, then combine the partials.
      const int64_t pieces = std::min<int64_t>(threads * 2, r / ew::kGrain);
      std::vector<T> part(static_cast<size_t>(outer * pieces));
      ctx.parallel_for(outer * pieces, 1,
                       [&](int64_t t0, int64_t t1) { reduce_pieces<T, K>(x, part.data(), t0, t1, r, pieces); });
      for (int64_t o = 0; o < outer; ++o) {
        T a = K::init();
        for (int64_t p = 0; p < pieces; ++p) a = K::combine(a, part[o * pieces + p]);
        y[o] = K::finalize(a, r);
      }
      return;
    }
    ctx.parallel_for(outer, std::max<int64_t>(1, ew::kGrain / r),
                     [&](int64_t o0, int64_t o1) { reduce_rows<T, K>(x, y, o0, o1, r); });
    return;
  }
  constexpr int64_t kChunk = 1024;
  const int64_t chunks = (inner + kChunk - 1) / kChunk;
  const int64_t grain = std::max<int64_t>(1, ew::kGrain / (r * std::min(inner, kChunk)));
  ctx.parallel_for(outer * chunks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / chunks, c = t % chunks;
      const int64_t j0 = c * kChunk, j1 = std::min(inner, j0 + kChunk);
      reduce_cols<T, K>(x + o * r * inner, y + o * inner, r, inner, j0, j1);
    }
  });
}

// ---- ReduceXxx -------------------------------------------------------------------------

enum class Red { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

bool red_float_only(Red k) { return k == Red::kL2 || k == Red::kLogSum || k == Red::kLogSumExp; }

class ReduceOp : public Op {
 public:
  ReduceOp(Red kind, const char* name, int axes_input_since) : kind_(kind), name_(name), axes_input_since_(axes_input_since) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    axes_from_input_ = opset >= axes_input_since_;
    keepdims_ = attrs.get_int("keepdims", 1) != 0;
    noop_with_empty_axes_ = attrs.get_int("noop_with_empty_axes", 0) != 0;
    if (!axes_from_input_) axes_attr_ = attrs.get_ints("axes");
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + " needs an input");
    const DataType dt = ctx.input_dtype(0);
    const bool ok = red_float_only(kind_) ? ew::dtype_in<float, double>(dt)
                                          : ew::dtype_in<float, double, int32_t, int64_t>(dt);
    if (!ok) return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    std::vector<int64_t> axes = axes_attr_;
    if (axes_from_input_ && ctx.has_input(1)) {
      const Tensor* t = ctx.constant_input(1);
      if (!t) return Unsupported(std::string(name_) + " with axes computed at run time (axes must be a constant)");
      if (t->dtype() != DataType::kInt64 && t->dtype() != DataType::kInt32)
        return InvalidArgument(std::string(name_) + " axes must be int64");
      axes = t->to_int_vector();
    }
    TOP_ASSIGN_OR_RETURN(std::vector<bool> mask, reduce_mask(ctx.input_shape(0), axes));
    ctx.set_output(0, dt, out_shape(ctx.input_shape(0), mask));
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_output(0)) return InvalidArgument(std::string(name_) + " needs input and output");
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (x.dtype() != y.dtype()) return InvalidArgument(std::string(name_) + ": output dtype differs from input");
    std::vector<int64_t> axes = axes_attr_;
    if (axes_from_input_ && ctx.has_input(1)) {
      const Tensor& t = ctx.input(1);
      if (t.dtype() != DataType::kInt64 && t.dtype() != DataType::kInt32)
        return InvalidArgument(std::string(name_) + " axes must be int64");
      axes = t.to_int_vector();
    }
    TOP_ASSIGN_OR_RETURN(std::vector<bool> mask, reduce_mask(x.shape(), axes));
    if (shape_numel(out_shape(x.shape(), mask)) != y.numel())
      return InvalidArgument(std::string(name_) + ": output shape " + shape_str(y.shape()) +
                             " does not match the reduction of " + shape_str(x.shape()));
    return ew::dispatch<float, double, int32_t, int64_t>(x.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      switch (kind_) {
        case Red::kSum: reduce_tensor<T, SumK<T>>(ctx, x, y, mask); break;
        case Red::kMean: reduce_tensor<T, MeanK<T>>(ctx, x, y, mask); break;
        case Red::kMax: reduce_tensor<T, MaxK<T>>(ctx, x, y, mask); break;
        case Red::kMin: reduce_tensor<T, MinK<T>>(ctx, x, y, mask); break;
        case Red::kProd: reduce_tensor<T, ProdK<T>>(ctx, x, y, mask); break;
        case Red::kL1: reduce_tensor<T, L1K<T>>(ctx, x, y, mask); break;
        case Red::kSumSquare: reduce_tensor<T, SumSquareK<T>>(ctx, x, y, mask); break;
        case Red::kL2:
          if constexpr (std::is_floating_point_v<T>) reduce_tensor<T, L2K<T>>(ctx, x, y, mask);
          break;
        case Red::kLogSum:
          if constexpr (std::is_floating_point_v<T>) reduce_tensor<T, LogSumK<T>>(ctx, x, y, mask);
          break;
        case Red::kLogSumExp:
          if constexpr (std::is_floating_point_v<T>) return log_sum_exp<T>(ctx, x, y, mask);
          break;
      }
      return Status::Ok();
    });
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (ctx.has_input(0)) c.flops = static_cast<double>(shape_numel(ctx.input_shape(0)));
    return c;
  }

 private:
  // Which dims are reduced; empty axes reduce everything unless noop_with_empty_axes.
  Result<std::vector<bool>> reduce_mask(const Shape& in, const std::vector<int64_t>& axes) const {
    const int64_t rank = static_cast<int64_t>(in.size());
    std::vector<bool> mask(in.size(), false);
    if (axes.empty()) {
      if (!(axes_from_input_ && noop_with_empty_axes_)) std::fill(mask.begin(), mask.end(), true);
      return mask;
    }
    for (int64_t a : axes) {
      if (a < -rank || a >= rank)
        return InvalidArgument(std::string(name_) + " axis " + std::to_string(a) + " is out of range for input " +
                               shape_str(in));
      mask[static_cast<size_t>(a < 0 ? a + rank : a)] = true;
    }
    return mask;
  }

  Shape out_shape(const Shape& in, const std::vector<bool>& mask) const {
    Shape out;
    for (size_t d = 0; d < in.size(); ++d) {
      if (!mask[d])
        out.push_back(in[d]);
      else if (keepdims_)
        out.push_back(1);
    }
    return out;
  }

  // log(sum(exp(x - m))) + m with m the max over the same axes.
  template <class T>
  Status log_sum_exp(const KernelContext& ctx, const Tensor& x, Tensor& y, const std::vector<bool>& mask) const {
    Shape kept;
    for (size_t d = 0; d < x.shape().size(); ++d) kept.push_back(mask[d] ? 1 : x.shape()[d]);
    TOP_ASSIGN_OR_RETURN(Tensor m, Tensor::allocate(x.dtype(), kept));
    reduce_tensor<T, MaxK<T>>(ctx, x, m, mask);
    T* pm = m.data<T>();
    for (int64_t i = 0; i < m.numel(); ++i)
      if (!std::isfinite(pm[i])) pm[i] = T(0);  // all -inf (or inf) rows: no shift
    TOP_ASSIGN_OR_RETURN(Tensor e, Tensor::allocate(x.dtype(), x.shape()));
    TOP_RETURN_IF_ERROR((ew::binary_broadcast<T, T>(ctx, x, m, e, [](T a, T b) {
      if constexpr (std::is_same_v<T, float>)
        return ew::exp_f(a - b);
      else
        return std::exp(a - b);
    })));
    reduce_tensor<T, LogSumK<T>>(ctx, e, y, mask);
    T* py = y.data<T>();
    for (int64_t i = 0; i < y.numel(); ++i) py[i] += pm[i];
    return Status::Ok();
  }

  Red kind_;
  const char* name_;
  int axes_input_since_;
  bool axes_from_input_ = false;
  bool keepdims_ = true;
  bool noop_with_empty_axes_ = false;
  std::vector<int64_t> axes_attr_;
};

// ---- ArgMax / ArgMin -----------------------------------------------------------------------

class ArgOp : public Op {
 public:
  ArgOp(bool max, const char* name) : max_(max), name_(name) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 0);
    keepdims_ = attrs.get_int("keepdims", 1) != 0;
    select_last_ = attrs.get_int("select_last_index", 0) != 0;
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + " needs an input");
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double, int32_t, int64_t, int8_t, uint8_t>(dt))
      return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    const Shape& in = ctx.input_shape(0);
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(in.size()), name_));
    if (in.empty()) return InvalidArgument(std::string(name_) + " needs an input of rank >= 1");
    Shape out;
    for (size_t d = 0; d < in.size(); ++d) {
      if (static_cast<int64_t>(d) != axis)
        out.push_back(in[d]);
      else if (keepdims_)
        out.push_back(1);
    }
    ctx.set_output(0, DataType::kInt64, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_output(0)) return InvalidArgument(std::string(name_) + " needs input and output");
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const Shape& s = x.shape();
    if (s.empty()) return InvalidArgument(std::string(name_) + " needs an input of rank >= 1");
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(s.size()), name_));
    int64_t outer = 1, d = s[static_cast<size_t>(axis)], inner = 1;
    for (int64_t i = 0; i < axis; ++i) outer *= s[static_cast<size_t>(i)];
    for (size_t i = static_cast<size_t>(axis) + 1; i < s.size(); ++i) inner *= s[i];
    if (y.dtype() != DataType::kInt64 || y.numel() != outer * inner)
      return InvalidArgument(std::string(name_) + ": output must be int64 of " + std::to_string(outer * inner) +
                             " elements");
    if (outer * inner == 0) return Status::Ok();
    if (d == 0) return InvalidArgument(std::string(name_) + " over an empty axis");
    return ew::dispatch<float, double, int32_t, int64_t, int8_t, uint8_t>(x.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* px = x.data<T>();
      int64_t* py = y.data<int64_t>();
      const bool mx = max_, last = select_last_;
      // better(v, best): v replaces the current best.
      auto better = [mx, last](T v, T b) { return mx ? (last ? v >= b : v > b) : (last ? v <= b : v < b); };
      ctx.parallel_for(outer, std::max<int64_t>(1, ew::kGrain / (d * inner)), [&](int64_t o0, int64_t o1) {
        std::vector<T> best(static_cast<size_t>(inner));
        for (int64_t o = o0; o < o1; ++o) {
          const T* xb = px + o * d * inner;
          int64_t* yb = py + o * inner;
          for (int64_t j = 0; j < inner; ++j) {
            best[j] = xb[j];
            yb[j] = 0;
          }
          for (int64_t k = 1; k < d; ++k) {
            const T* xr = xb + k * inner;
            for (int64_t j = 0; j < inner; ++j) {
              if (better(xr[j], best[j])) {
                best[j] = xr[j];
                yb[j] = k;
              }
            }
          }
        }
      });
      return Status::Ok();
    });
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (ctx.has_input(0)) c.flops = static_cast<double>(shape_numel(ctx.input_shape(0)));
    return c;
  }

 private:
  bool max_;
  const char* name_;
  int64_t axis_ = 0;
  bool keepdims_ = true;
  bool select_last_ = false;
};

}  // namespace

void register_reduce_ops(OpRegistry& r) {
  // ReduceSum took axes as an input from opset 13, the others from opset 18.
  auto red = [&r](const char* name, Red k, int axes_input_since) {
    r.add(name, 1, [name, k, axes_input_since] { return std::make_unique<ReduceOp>(k, name, axes_input_since); });
  };
  red("ReduceSum", Red::kSum, 13);
  red("ReduceMean", Red::kMean, 18);
  red("ReduceMax", Red::kMax, 18);
  red("ReduceMin", Red::kMin, 18);
  red("ReduceProd", Red::kProd, 18);
  red("ReduceL1", Red::kL1, 18);
  red("ReduceL2", Red::kL2, 18);
  red("ReduceSumSquare", Red::kSumSquare, 18);
  red("ReduceLogSum", Red::kLogSum, 18);
  red("ReduceLogSumExp", Red::kLogSumExp, 18);
  r.add("ArgMax", 1, [] { return std::make_unique<ArgOp>(true, "ArgMax"); });
  r.add("ArgMin", 1, [] { return std::make_unique<ArgOp>(false, "ArgMin"); });
}

}  // namespace top::ops

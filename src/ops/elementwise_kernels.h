// Building blocks shared by the elementwise, activation and reduce kernels: dtype
// dispatch, branch-free vectorisable float math, flat and broadcasting loops that run
// on the thread pool, each compiled twice (x86-64 baseline and AVX2+FMA) and chosen
// at run time.
//
// Include this header FIRST in a .cpp, after
//   #pragma GCC optimize("no-trapping-math", "no-math-errno")
// Without it GCC does not if-convert float compares (clamps, selects) or vectorise
// sqrt, and the loops below stay scalar. The options change no result of ours: we
// never read the FP exception flags or errno.
//
//   ew::unary_map<float, float>(ctx, x, y, ew::kGrainHeavy, [](float v) { return ew::exp_f(v); });
//   TOP_RETURN_IF_ERROR(ew::binary_broadcast<float, float>(ctx, a, b, out, [](float p, float q) { return p + q; }));
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ops/broadcast.h"
#include "ops/op.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define TOP_EW_HAVE_AVX2 1
#define TOP_EW_AVX2 __attribute__((target("avx2,fma")))
#else
#define TOP_EW_HAVE_AVX2 0
#define TOP_EW_AVX2
#endif
#define TOP_EW_INLINE __attribute__((always_inline)) inline

namespace top::ops::ew {

// Elements per parallel chunk: cheap (memory-bound) ops and transcendental ones.
constexpr int64_t kGrain = 16384;
constexpr int64_t kGrainHeavy = 4096;

inline bool cpu_has_avx2() {
#if TOP_EW_HAVE_AVX2
  // TOP_NO_AVX2=1 forces the baseline loops (tests run both paths).
  static const bool yes =
      __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && std::getenv("TOP_NO_AVX2") == nullptr;
  return yes;
#else
  return false;
#endif
}

// ---- dtype dispatch -----------------------------------------------------------

template <class T>
struct Tag {
  using type = T;
};

// Calls fn(Tag<T>{}) (which returns a Status) for the C++ type T of `dt` among Ts;
// Unsupported naming `what` and the dtype when `dt` is not one of them.
template <class... Ts, class Fn>
Status dispatch(DataType dt, const char* what, Fn&& fn) {
  Status s;
  bool done = false;
  ((!done && dt == dtype_of<Ts>() ? (s = fn(Tag<Ts>{}), done = true) : false), ...);
  if (!done) return Unsupported(std::string(what) + " does not support dtype " + dtype_name(dt));
  return s;
}

template <class... Ts>
bool dtype_in(DataType dt) {
  return ((dt == dtype_of<Ts>()) || ...);
}

// ---- vectorisable float math ------------------------------------------------------

TOP_EW_INLINE float bits_as_float(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

// exp(x) to ~2 ulp (Cephes expf), branch-free. Overflow gives +inf, NaN stays NaN,
// results in the subnormal range are kept (below ~1e-45 they round to 0).
TOP_EW_INLINE float exp_f(float x) {
  float xc = std::min(std::max(x, -104.0f), 88.72283f);
  xc = x != x ? 0.0f : xc;
  const float fx = xc * 1.44269504088896341f;
  const float n = (fx + 12582912.0f) - 12582912.0f;  // round to nearest integer
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500E-4f;
  p = p * r + 1.3981999507E-3f;
  p = p * r + 8.3334519073E-3f;
  p = p * r + 4.1665795894E-2f;
  p = p * r + 1.6666665459E-1f;
  p = p * r + 5.0000001201E-1f;
  p = p * (r * r) + r + 1.0f;
  // 2^n as 2^n1 * 2^n2, both normal for n in [-150, 128].
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t n1 = ni >> 1, n2 = ni - n1;
  const float res = (p * bits_as_float((n1 + 127) << 23)) * bits_as_float((n2 + 127) << 23);
  return x > 88.72283f ? std::numeric_limits<float>::infinity() : (x != x ? x : res);
}

// erf(x) to a few ulp (rational approximation on [-4, 4], as in Eigen).
TOP_EW_INLINE float erf_f(float a) {
  const float x = std::min(std::max(a, -4.0f), 4.0f);
  const float x2 = x * x;
  float p = x2 * -2.72614225801306e-10f + 2.77068142495902e-08f;
  p = x2 * p + -2.10102402082508e-06f;
  p = x2 * p + -5.69250639462346e-05f;
  p = x2 * p + -7.34990630326855e-04f;
  p = x2 * p + -2.95459980854025e-03f;
  p = x2 * p + -1.60960333262415e-02f;
  p = x * p;
  float q = x2 * -1.45660718464996e-05f + -2.13374055278905e-04f;
  q = x2 * q + -1.68282697438203e-03f;
  q = x2 * q + -7.37332916720468e-03f;
  q = x2 * q + -1.42647390514189e-02f;
  return p / q;
}

// tanh(x) to a few ulp (rational approximation, as in Eigen); |x| < 4e-4 returns x.
TOP_EW_INLINE float tanh_f(float a) {
  const float x = std::min(std::max(a, -7.90531110763549805f), 7.90531110763549805f);
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  // Clamped so rounding differences between the vector and scalar paths (or -O2 and
  // -O3 builds) never yield a value outside [-1, 1] or short of exactly ±1 at the ends.
  const float r = std::min(std::max(p / q, -1.0f), 1.0f);
  const float sat = std::fabs(a) >= 7.90531110763549805f ? std::copysign(1.0f, a) : r;
  return std::fabs(a) < 0.0004f ? a : sat;
}

// 1 / (1 + exp(-x)); saturates to exactly 0 / 1, never NaN for finite x.
TOP_EW_INLINE float sigmoid_f(float x) { return 1.0f / (1.0f + exp_f(-x)); }

// ---- loops: each compiled for the baseline and for AVX2+FMA ----------------------

// Defines template function NAME<TPARAMS>(PARAMS) with body BODY, built twice (AVX2+FMA
// and baseline) and dispatched on the CPU; TARGS names the template parameters and
// ARGS the parameters, for forwarding.
#define TOP_EW_DEFINE_LOOP(NAME, TPARAMS, TARGS, PARAMS, ARGS, ...) \
  template <TPARAMS>                                                \
  TOP_EW_AVX2 void NAME##_avx2 PARAMS { __VA_ARGS__ }              \
  template <TPARAMS>                                                \
  void NAME##_base PARAMS { __VA_ARGS__ }                          \
  template <TPARAMS>                                                \
  inline void NAME PARAMS {                                         \
    if (::top::ops::ew::cpu_has_avx2())                             \
      NAME##_avx2<TARGS> ARGS;                                      \
    else                                                            \
      NAME##_base<TARGS> ARGS;                                      \
  }

#define TOP_EW_COMMA ,
// y[i] = f(x[i])
TOP_EW_DEFINE_LOOP(loop_map, class T TOP_EW_COMMA class R TOP_EW_COMMA class F, T TOP_EW_COMMA R TOP_EW_COMMA F,
                   (const T* x, R* y, int64_t n, F f), (x, y, n, f),
                   for (int64_t i = 0; i < n; ++i) y[i] = f(x[i]);)
// o[i] = f(a[i], b[i])
TOP_EW_DEFINE_LOOP(loop_vv, class T TOP_EW_COMMA class R TOP_EW_COMMA class F, T TOP_EW_COMMA R TOP_EW_COMMA F,
                   (const T* a, const T* b, R* o, int64_t n, F f), (a, b, o, n, f),
                   for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b[i]);)
// o[i] = f(a[i], b)
TOP_EW_DEFINE_LOOP(loop_vs, class T TOP_EW_COMMA class R TOP_EW_COMMA class F, T TOP_EW_COMMA R TOP_EW_COMMA F,
                   (const T* a, T b, R* o, int64_t n, F f), (a, b, o, n, f),
                   for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b);)
// o[i] = f(a, b[i])
TOP_EW_DEFINE_LOOP(loop_sv, class T TOP_EW_COMMA class R TOP_EW_COMMA class F, T TOP_EW_COMMA R TOP_EW_COMMA F,
                   (T a, const T* b, R* o, int64_t n, F f), (a, b, o, n, f),
                   for (int64_t i = 0; i < n; ++i) o[i] = f(a, b[i]);)
// o[i] = f(o[i], b[i]) (in place; for variadic ops)
TOP_EW_DEFINE_LOOP(loop_acc_v, class T TOP_EW_COMMA class F, T TOP_EW_COMMA F, (T* o, const T* b, int64_t n, F f), (o, b, n, f),
                   for (int64_t i = 0; i < n; ++i) o[i] = f(o[i], b[i]);)
// o[i] = f(o[i], b)
TOP_EW_DEFINE_LOOP(loop_acc_s, class T TOP_EW_COMMA class F, T TOP_EW_COMMA F, (T* o, T b, int64_t n, F f), (o, b, n, f),
                   for (int64_t i = 0; i < n; ++i) o[i] = f(o[i], b);)

// o[i] = c[i] ? x[i] : y[i] (c holds bool bytes)
TOP_EW_DEFINE_LOOP(loop_select, class T, T, (const uint8_t* c, const T* x, const T* y, T* o, int64_t n), (c, x, y, o, n),
                   for (int64_t i = 0; i < n; ++i) o[i] = c[i] ? x[i] : y[i];)

// ---- broadcasting ---------------------------------------------------------------------

// The output space of a broadcast with adjacent dims merged where every input agrees
// on being broadcast or not, and size-1 dims dropped: [N,C,H,W] + [1,C,1,1] becomes
// dims [N, C, H*W] with strides {C*H*W, H*W, 1} and {0, 1, 0}.
struct BroadcastPlan {
  Shape dims;                                 // never empty; innermost last
  std::vector<std::vector<int64_t>> strides;  // [input][dim] element strides, 0 = broadcast
  int64_t numel = 0;
  // 0 or 1: how input k moves along the innermost dim.
  int64_t inner_stride(size_t k) const { return strides[k].back(); }
};

// Fails (InvalidArgument) when an input cannot broadcast to `out`.
Result<BroadcastPlan> make_broadcast_plan(const std::vector<Shape>& inputs, const Shape& out);

// Calls fn(out_offset, in_offsets, len) for each run of the innermost dim inside the
// flat output range [begin, end); in_offsets[k] is input k's element offset.
template <size_t N, class Fn>
void walk_segments(const BroadcastPlan& p, int64_t begin, int64_t end, Fn&& fn) {
  const int rank = static_cast<int>(p.dims.size());
  const int64_t inner = p.dims[rank - 1];
  std::array<int64_t, N> off{};
  int64_t idx_small[8];
  std::vector<int64_t> idx_big;
  int64_t* idx = idx_small;
  if (rank > 8) {
    idx_big.assign(rank, 0);
    idx = idx_big.data();
  }
  int64_t rem = begin;
  for (int d = rank - 1; d >= 0; --d) {
    idx[d] = rem % p.dims[d];
    rem /= p.dims[d];
    for (size_t k = 0; k < N; ++k) off[k] += idx[d] * p.strides[k][d];
  }
  int64_t pos = begin;
  while (pos < end) {
    const int64_t len = std::min(inner - idx[rank - 1], end - pos);
    fn(pos, off.data(), len);
    pos += len;
    if (pos >= end) break;
    for (size_t k = 0; k < N; ++k) off[k] -= idx[rank - 1] * p.strides[k][rank - 1];
    idx[rank - 1] = 0;
    for (int d = rank - 2; d >= 0; --d) {
      ++idx[d];
      for (size_t k = 0; k < N; ++k) off[k] += p.strides[k][d];
      if (idx[d] < p.dims[d]) break;
      for (size_t k = 0; k < N; ++k) off[k] -= idx[d] * p.strides[k][d];
      idx[d] = 0;
    }
  }
}

// ---- whole-tensor drivers ------------------------------------------------------------

// y = f(x) elementwise over the thread pool; x and y have the same element count.
template <class T, class R, class F>
void unary_map(const KernelContext& ctx, const Tensor& x, Tensor& y, int64_t grain, F f) {
  const T* px = x.data<T>();
  R* py = y.data<R>();
  ctx.parallel_for(y.numel(), grain, [&](int64_t b, int64_t e) { loop_map(px + b, py + b, e - b, f); });
}

// out = f(a, b) with numpy broadcasting; out already has the broadcast shape.
template <class T, class R, class F>
Status binary_broadcast(const KernelContext& ctx, const Tensor& a, const Tensor& b, Tensor& out, F f,
                        int64_t grain = kGrain) {
  TOP_ASSIGN_OR_RETURN(BroadcastPlan plan, make_broadcast_plan({a.shape(), b.shape()}, out.shape()));
  const T* pa = a.data<T>();
  const T* pb = b.data<T>();
  R* po = out.data<R>();
  const bool va = plan.inner_stride(0) != 0, vb = plan.inner_stride(1) != 0;
  ctx.parallel_for(plan.numel, grain, [&](int64_t begin, int64_t end) {
    walk_segments<2>(plan, begin, end, [&](int64_t oo, const int64_t* io, int64_t len) {
      if (va && vb)
        loop_vv(pa + io[0], pb + io[1], po + oo, len, f);
      else if (va)
        loop_vs(pa + io[0], pb[io[1]], po + oo, len, f);
      else if (vb)
        loop_sv(pa[io[0]], pb + io[1], po + oo, len, f);
      else
        std::fill(po + oo, po + oo + len, static_cast<R>(f(pa[io[0]], pb[io[1]])));
    });
  });
  return Status::Ok();
}

// out = f(out, b) where b broadcasts to out's shape (in place; variadic Min/Max/Sum).
template <class T, class F>
Status accumulate_broadcast(const KernelContext& ctx, Tensor& out, const Tensor& b, F f, int64_t grain = kGrain) {
  TOP_ASSIGN_OR_RETURN(BroadcastPlan plan, make_broadcast_plan({out.shape(), b.shape()}, out.shape()));
  T* po = out.data<T>();
  const T* pb = b.data<T>();
  const bool vb = plan.inner_stride(1) != 0;
  ctx.parallel_for(plan.numel, grain, [&](int64_t begin, int64_t end) {
    walk_segments<2>(plan, begin, end, [&](int64_t oo, const int64_t* io, int64_t len) {
      if (vb)
        loop_acc_v(po + oo, pb + io[1], len, f);
      else
        loop_acc_s(po + oo, pb[io[1]], len, f);
    });
  });
  return Status::Ok();
}

// out = broadcast of x to out's shape (any element type of size sizeof(T)).
template <class T>
Status broadcast_copy(const KernelContext& ctx, const Tensor& x, Tensor& out) {
  TOP_ASSIGN_OR_RETURN(BroadcastPlan plan, make_broadcast_plan({x.shape()}, out.shape()));
  const T* px = static_cast<const T*>(x.raw_data());
  T* po = static_cast<T*>(out.raw_data());
  const bool vx = plan.inner_stride(0) != 0;
  ctx.parallel_for(plan.numel, kGrain, [&](int64_t begin, int64_t end) {
    walk_segments<1>(plan, begin, end, [&](int64_t oo, const int64_t* io, int64_t len) {
      if (vx)
        std::memcpy(po + oo, px + io[0], static_cast<size_t>(len) * sizeof(T));
      else
        std::fill(po + oo, po + oo + len, px[io[0]]);
    });
  });
  return Status::Ok();
}

// Output shape of a multidirectional broadcast, named for the error message.
Result<Shape> broadcast_output_shape(const InferContext& ctx, size_t first, size_t count, const char* op);

}  // namespace top::ops::ew

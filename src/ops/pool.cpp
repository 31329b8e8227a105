// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (NCHW, float32).
//
// The windowed pools see every input as (D, H, W) planes — 1-D and 2-D inputs get unit
// leading dims — and parallelise over the N*C planes. For each output index the range
// of window taps that land inside the input is computed once per axis, so the inner
// loops carry no bounds checks. A window holding a NaN gives NaN (ops/activation_math.h).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include "ops/activation_math.h"
#include "ops/blocked_layout.h"
#include "ops/conv_util.h"
#include "ops/families.h"
#include "ops/op.h"

namespace top::ops {
namespace {

// One axis of a pooling window, expanded per output index: the first valid input
// index, the number of valid taps, and (for count_include_pad) the window length
// clipped to the padded input.
struct AxisTaps {
  std::vector<int64_t> first;  // input index of the first valid tap
  std::vector<int64_t> count;  // valid taps (stepping by the dilation)
  std::vector<int64_t> padded; // taps inside [-pad_begin, in + pad_end)
  int64_t dilation = 1;
};

AxisTaps axis_taps(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t pb, int64_t pe) {
  AxisTaps a;
  a.dilation = d;
  a.first.resize(static_cast<size_t>(out));
  a.count.resize(static_cast<size_t>(out));
  a.padded.resize(static_cast<size_t>(out));
  for (int64_t o = 0; o < out; ++o) {
    const int64_t start = o * s - pb;
    int64_t k_lo = start < 0 ? (-start + d - 1) / d : 0;
    int64_t k_hi = (in - 1 - start) < 0 ? 0 : std::min(k, (in - 1 - start) / d + 1);
    k_lo = std::min(k_lo, k);
    if (k_hi < k_lo) k_hi = k_lo;
    a.first[o] = start + k_lo * d;
    a.count[o] = k_hi - k_lo;
    const int64_t end = std::min(start + (k - 1) * d + 1, in + pe);
    a.padded[o] = end > start ? (end - start - 1) / d + 1 : 0;
  }
  return a;
}

// Spatial geometry as 3 axes (d, h, w).
struct Pool3 {
  int64_t in[3], out[3];
  AxisTaps taps[3];
};

Pool3 to_pool3(const WindowGeometry& g) {
  Pool3 p;
  const int lead = 3 - static_cast<int>(g.in.size());
  for (int a = 0; a < 3; ++a) {
    const int i = a - lead;
    if (i < 0) {
      p.in[a] = p.out[a] = 1;
      p.taps[a] = axis_taps(1, 1, 1, 1, 1, 0, 0);
    } else {
      p.in[a] = g.in[i];
      p.out[a] = g.out[i];
      p.taps[a] = axis_taps(g.in[i], g.out[i], g.kernel[i], g.strides[i], g.dilations[i], g.pad_begin[i], g.pad_end[i]);
    }
  }
  return p;
}

void max_pool_plane(const float* x, const Pool3& p, float* y, int64_t* idx, int64_t idx_base, bool col_major) {
  const AxisTaps &td = p.taps[0], &th = p.taps[1], &tw = p.taps[2];
  const int64_t H = p.in[1], W = p.in[2];
  for (int64_t od = 0; od < p.out[0]; ++od) {
    for (int64_t oh = 0; oh < p.out[1]; ++oh) {
      for (int64_t ow = 0; ow < p.out[2]; ++ow) {
        float best = std::numeric_limits<float>::lowest();
        int64_t bd = -1, bh = -1, bw = -1;
        for (int64_t a = 0, id = td.first[od]; a < td.count[od]; ++a, id += td.dilation) {
          for (int64_t b = 0, ih = th.first[oh]; b < th.count[oh]; ++b, ih += th.dilation) {
            const float* row = x + (id * H + ih) * W;
            if (idx == nullptr) {
              for (int64_t c = 0, iw = tw.first[ow]; c < tw.count[ow]; ++c, iw += tw.dilation)
                best = max_nan(best, row[iw]);
            } else {
              for (int64_t c = 0, iw = tw.first[ow]; c < tw.count[ow]; ++c, iw += tw.dilation) {
                // The first NaN wins and stays (Indices points at it), like max_nan.
                if (row[iw] > best || (row[iw] != row[iw] && best == best)) {
                  best = row[iw];
                  bd = id, bh = ih, bw = iw;
                }
              }
            }
          }
        }
        const int64_t o = (od * p.out[1] + oh) * p.out[2] + ow;
        y[o] = best;
        if (idx) {
          idx[o] = idx_base + (col_major ? bd * H * W + bh + bw * H : (bd * H + bh) * W + bw);
        }
      }
    }
  }
}

void avg_pool_plane(const float* x, const Pool3& p, bool include_pad, float* y) {
  const AxisTaps &td = p.taps[0], &th = p.taps[1], &tw = p.taps[2];
  const int64_t H = p.in[1], W = p.in[2];
  for (int64_t od = 0; od < p.out[0]; ++od) {
    for (int64_t oh = 0; oh < p.out[1]; ++oh) {
      for (int64_t ow = 0; ow < p.out[2]; ++ow) {
        float sum = 0.0f;
        for (int64_t a = 0, id = td.first[od]; a < td.count[od]; ++a, id += td.dilation) {
          for (int64_t b = 0, ih = th.first[oh]; b < th.count[oh]; ++b, ih += th.dilation) {
            const float* row = x + (id * H + ih) * W;
            for (int64_t c = 0, iw = tw.first[ow]; c < tw.count[ow]; ++c, iw += tw.dilation) sum += row[iw];
          }
        }
        const int64_t n = include_pad ? td.padded[od] * th.padded[oh] * tw.padded[ow]
                                      : td.count[od] * th.count[oh] * tw.count[ow];
        y[(od * p.out[1] + oh) * p.out[2] + ow] = n > 0 ? sum / static_cast<float>(n) : 0.0f;
      }
    }
  }
}

// 2-D (and 1-D) pools without Indices: whole output rows at a time, one window tap
// after another, so the innermost loop is a plain (vectorisable) max/add over columns.
template <bool kMax>
inline float pool_step(float acc, float v) {
  return kMax ? max_nan(acc, v) : acc + v;
}

#if defined(__SSE__)
// max_nan on 4 lanes: _mm_max_ps(v, acc) gives acc when either is NaN, which keeps a
// NaN acc; a NaN v is put back explicitly.
inline __m128 max_nan_ps(__m128 acc, __m128 v) {
  const __m128 nan = _mm_cmpunord_ps(v, v);
  return _mm_or_ps(_mm_and_ps(nan, v), _mm_andnot_ps(nan, _mm_max_ps(v, acc)));
}
#endif

// One window tap over output columns [lo, hi): yr[ow] op= xr[ow * stride].
template <bool kMax>
void pool_tap(float* yr, const float* xr, int64_t stride, int64_t lo, int64_t hi) {
  if (stride == 1) {
    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] = pool_step<kMax>(yr[ow], xr[ow]);
  } else {
    for (int64_t ow = lo; ow < hi; ++ow) yr[ow] = pool_step<kMax>(yr[ow], xr[ow * stride]);
  }
}

// All KW taps at once over columns [lo, hi) where every tap is inside the row
// (dilation 1): one pass instead of KW, so short rows are not all loop overhead.
template <bool kMax, int KW, int S>
void pool_taps_fixed(float* yr, const float* xr, int64_t lo, int64_t hi) {
  int64_t ow = lo;
#if defined(__SSE__)
  if (S == 1) {
    for (; ow + 4 <= hi; ow += 4) {
      __m128 acc = _mm_loadu_ps(yr + ow);
      for (int k = 0; k < KW; ++k) {
        const __m128 v = _mm_loadu_ps(xr + ow + k);
        acc = kMax ? max_nan_ps(acc, v) : _mm_add_ps(acc, v);
      }
      _mm_storeu_ps(yr + ow, acc);
    }
  }
  if (S == 2) {
    // SSE (baseline x86-64): the even lanes of 8 inputs are 4 outputs' taps. Stopping
    // at ow + 4 < hi keeps the last 4-wide load inside the taps' valid span.
    for (; ow + 4 < hi; ow += 4) {
      __m128 acc = _mm_loadu_ps(yr + ow);
      for (int k = 0; k < KW; ++k) {
        const float* p = xr + 2 * ow + k;
        const __m128 v = _mm_shuffle_ps(_mm_loadu_ps(p), _mm_loadu_ps(p + 4), _MM_SHUFFLE(2, 0, 2, 0));
        acc = kMax ? max_nan_ps(acc, v) : _mm_add_ps(acc, v);
      }
      _mm_storeu_ps(yr + ow, acc);
    }
  }
#endif
  for (; ow < hi; ++ow) {
    const float* p = xr + ow * S;
    float acc = yr[ow];
    for (int k = 0; k < KW; ++k) acc = pool_step<kMax>(acc, p[k]);
    yr[ow] = acc;
  }
}

template <bool kMax>
using FixedTapsFn = void (*)(float*, const float*, int64_t, int64_t);

template <bool kMax>
FixedTapsFn<kMax> fixed_taps_for(int64_t kw, int64_t stride, int64_t dilation) {
  if (dilation != 1) return nullptr;
  if (stride == 1) {
    if (kw == 2) return pool_taps_fixed<kMax, 2, 1>;
    if (kw == 3) return pool_taps_fixed<kMax, 3, 1>;
    if (kw == 5) return pool_taps_fixed<kMax, 5, 1>;
  } else if (stride == 2) {
    if (kw == 2) return pool_taps_fixed<kMax, 2, 2>;
    if (kw == 3) return pool_taps_fixed<kMax, 3, 2>;
    if (kw == 5) return pool_taps_fixed<kMax, 5, 2>;
  }
  return nullptr;
}

// 2-D (and 1-D) pools without Indices, one output row at a time and one window tap
// after another (the general case: any kernel width, stride and dilation).
template <bool kMax>
void pool_plane_rows(const float* x, const Pool3& p, const std::vector<int64_t>& kw_lo, const std::vector<int64_t>& kw_hi,
                     int64_t stride_w, int64_t pad_w, int64_t dil_w, const float* inv_count, float* y) {
  const AxisTaps& th = p.taps[1];
  const int64_t W = p.in[2], OW = p.out[2], KW = static_cast<int64_t>(kw_lo.size());
  for (int64_t oh = 0; oh < p.out[1]; ++oh) {
    float* yr = y + oh * OW;
    std::fill(yr, yr + OW, kMax ? std::numeric_limits<float>::lowest() : 0.0f);
    for (int64_t b = 0, ih = th.first[oh]; b < th.count[oh]; ++b, ih += th.dilation) {
      const float* row = x + ih * W - pad_w;
      for (int64_t kw = 0; kw < KW; ++kw) pool_tap<kMax>(yr, row + kw * dil_w, stride_w, kw_lo[kw], kw_hi[kw]);
    }
    if (!kMax) {
      const float* ic = inv_count + oh * OW;
      for (int64_t ow = 0; ow < OW; ++ow) yr[ow] *= ic[ow];
    }
  }
}

// The common small windows (width 2/3/5, stride 1/2, no column dilation): the plane is
// copied into a scratch plane whose border already holds the padding value, so every
// output row is a few branch-free fused passes (pool_taps_fixed) over full rows.
struct PaddedPlane {
  int64_t rows, cols, top, left;  // scratch dims; input (0,0) sits at (top, left)
};

template <bool kMax>
void pool_plane_padded(const float* x, int64_t H, int64_t W, const PaddedPlane& pp, float* scratch, FixedTapsFn<kMax> fixed,
                       int64_t KH, int64_t stride_h, int64_t dil_h, int64_t OH, int64_t OW, const float* inv_count,
                       float* y) {
  const int64_t r0 = pp.top, r1 = std::min(pp.rows, pp.top + H);
  const int64_t ncopy = std::max<int64_t>(0, std::min(W, pp.cols - pp.left));
  for (int64_t r = r0; r < r1; ++r)
    std::memcpy(scratch + r * pp.cols + pp.left, x + (r - pp.top) * W, static_cast<size_t>(ncopy) * sizeof(float));
  for (int64_t oh = 0; oh < OH; ++oh) {
    float* yr = y + oh * OW;
    std::fill(yr, yr + OW, kMax ? std::numeric_limits<float>::lowest() : 0.0f);
    for (int64_t kh = 0; kh < KH; ++kh) fixed(yr, scratch + (oh * stride_h + kh * dil_h) * pp.cols, 0, OW);
    if (!kMax) {
      const float* ic = inv_count + oh * OW;
      for (int64_t ow = 0; ow < OW; ++ow) yr[ow] *= ic[ow];
    }
  }
}

// Channel-blocked planes (ops/blocked_layout.h): every pixel is B channels side by
// side, so each window tap is one B-wide max or add (4 lanes at a time with SSE). Same
// taps, order and NaN rule as the plain kernels.
template <bool kMax, int B>
void pool_plane_blocked(const float* x, const Pool3& p, bool include_pad, float* y) {
  const AxisTaps &td = p.taps[0], &th = p.taps[1], &tw = p.taps[2];
  const int64_t H = p.in[1], W = p.in[2];
  for (int64_t od = 0; od < p.out[0]; ++od) {
    for (int64_t oh = 0; oh < p.out[1]; ++oh) {
      for (int64_t ow = 0; ow < p.out[2]; ++ow) {
        float* py = y + ((od * p.out[1] + oh) * p.out[2] + ow) * B;
        float inv = 1.0f;
        if (!kMax) {
          const int64_t n = include_pad ? td.padded[od] * th.padded[oh] * tw.padded[ow]
                                        : td.count[od] * th.count[oh] * tw.count[ow];
          inv = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
        }
#if defined(__SSE__)
        static_assert(B % 4 == 0, "blocks of whole SSE vectors");
        // Max: _mm_max_ps skips NaNs, so they are tracked in a mask and put back at the end
        // (the output is a NaN where the window has one, as max_nan gives).
        __m128 acc[B / 4], nan[B / 4];
        for (int l = 0; l < B / 4; ++l) {
          acc[l] = _mm_set1_ps(kMax ? std::numeric_limits<float>::lowest() : 0.0f);
          nan[l] = _mm_setzero_ps();
        }
        for (int64_t a = 0, id = td.first[od]; a < td.count[od]; ++a, id += td.dilation)
          for (int64_t b = 0, ih = th.first[oh]; b < th.count[oh]; ++b, ih += th.dilation)
            for (int64_t c = 0, iw = tw.first[ow]; c < tw.count[ow]; ++c, iw += tw.dilation) {
              const float* px = x + ((id * H + ih) * W + iw) * B;
              for (int l = 0; l < B / 4; ++l) {
                const __m128 v = _mm_loadu_ps(px + 4 * l);
                if (kMax) {
                  acc[l] = _mm_max_ps(v, acc[l]);
                  nan[l] = _mm_or_ps(nan[l], _mm_cmpunord_ps(v, v));
                } else {
                  acc[l] = _mm_add_ps(acc[l], v);
                }
              }
            }
        for (int l = 0; l < B / 4; ++l)
          _mm_storeu_ps(py + 4 * l, kMax ? _mm_or_ps(acc[l], nan[l]) : _mm_mul_ps(acc[l], _mm_set1_ps(inv)));
#else
        float acc[B];
        for (int l = 0; l < B; ++l) acc[l] = kMax ? std::numeric_limits<float>::lowest() : 0.0f;
        for (int64_t a = 0, id = td.first[od]; a < td.count[od]; ++a, id += td.dilation)
          for (int64_t b = 0, ih = th.first[oh]; b < th.count[oh]; ++b, ih += th.dilation)
            for (int64_t c = 0, iw = tw.first[ow]; c < tw.count[ow]; ++c, iw += tw.dilation) {
              const float* px = x + ((id * H + ih) * W + iw) * B;
              for (int l = 0; l < B; ++l) acc[l] = pool_step<kMax>(acc[l], px[l]);
            }
        for (int l = 0; l < B; ++l) py[l] = kMax ? acc[l] : acc[l] * inv;
#endif
      }
    }
  }
}

template <bool kMax>
using BlockedPlaneFn = void (*)(const float*, const Pool3&, bool, float*);

template <bool kMax>
BlockedPlaneFn<kMax> blocked_plane_for(int block) {
  if (block == 16) return pool_plane_blocked<kMax, 16>;
  if (block == 8) return pool_plane_blocked<kMax, 8>;
  return nullptr;
}

class WindowPoolOp final : public Op {
 public:
  explicit WindowPoolOp(bool is_max) : is_max_(is_max), name_(is_max ? "MaxPool" : "AveragePool") {}

  Status init(const ir::Attributes& attrs, int opset) override {
    TOP_RETURN_IF_ERROR(parse_window_attrs(attrs, name_, win_));
    if (win_.kernel_shape.empty()) return InvalidArgument(std::string(name_) + ": attribute kernel_shape is required");
    count_include_pad_ = attrs.get_int("count_include_pad", 0) != 0;
    storage_order_ = attrs.get_int("storage_order", 0);
    if (storage_order_ != 0 && storage_order_ != 1)
      return InvalidArgument("MaxPool: storage_order " + std::to_string(storage_order_) + " must be 0 or 1");
    if (!is_max_ && !win_.dilations.empty()) {
      for (int64_t d : win_.dilations)
        if (d != 1) return Unsupported("AveragePool: dilations " + ints_str(win_.dilations) + " are not supported");
    }
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + ": needs input X");
    const DataType dt = ctx.input_dtype(0);
    if (dt != DataType::kFloat32 && !(is_max_ && is_8bit(dt)))
      return Unsupported(std::string(name_) + ": X has dtype " + dtype_name(dt) + "; only float32" +
                         (is_max_ ? ", uint8 and int8 are supported" : " is supported"));
    TOP_ASSIGN_OR_RETURN(WindowGeometry g, geometry(ctx.input_shape(0)));
    const Shape& x = ctx.input_shape(0);
    Shape out{x[0], x[1]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    ctx.set_output(0, dt, out);
    if (ctx.num_outputs() > 1) {
      if (!is_max_) return InvalidArgument("AveragePool: has one output, the node declares " + std::to_string(ctx.num_outputs()));
      ctx.set_output(1, DataType::kInt64, out);
    }
    return Status::Ok();
  }

  // float32 X and Y in either layout (no Indices output).
  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts b;
    if (ctx.has_input(0) && ctx.input_dtype(0) == DataType::kFloat32 && ctx.num_outputs() == 1) b.inputs = b.outputs = 1;
    return b;
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& xt = ctx.input(0);
    if (is_max_ && is_8bit(xt.dtype())) return compute_8bit(ctx);
    if (xt.dtype() != DataType::kFloat32) return Unsupported(std::string(name_) + ": only float32 is supported");
    TOP_ASSIGN_OR_RETURN(WindowGeometry g, geometry(xt.shape()));
    Tensor& yt = ctx.output(0);
    const int64_t planes = xt.dim(0) * xt.dim(1);
    const int64_t in_plane = g.in_size(), out_plane = g.out_size();
    if (yt.numel() != planes * out_plane)
      return InvalidArgument(std::string(name_) + ": output buffer " + shape_str(yt.shape()) +
                             " does not match the inferred shape");
    int64_t* idx = nullptr;
    if (ctx.has_output(1)) {
      Tensor& it = ctx.output(1);
      if (it.dtype() != DataType::kInt64 || it.numel() != yt.numel())
        return InvalidArgument("MaxPool: Indices buffer " + shape_str(it.shape()) + " does not match Y");
      idx = it.data<int64_t>();
    }
    if (yt.numel() == 0) return Status::Ok();
    const Pool3 p = to_pool3(g);
    const float* x = xt.data<float>();
    float* y = yt.data<float>();
    const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(out_plane * g.kernel_size(), 1));
    bool mixed = false;
    if (const int block = mixed_layout_block(ctx, 1, 1, &mixed); mixed)
      return run_all_blocked(*this, ctx, block, 1, 1);  // the plan's X and Y layouts differ
    if (const int block = ctx.input_block(0); block != 0) {
      if (idx != nullptr || xt.dim(1) % block != 0)
        return Internal(std::string(name_) + ": blocked X needs a blocked Y of the same block and no Indices");
      const BlockedPlaneFn<true> max_fn = blocked_plane_for<true>(block);
      const BlockedPlaneFn<false> avg_fn = blocked_plane_for<false>(block);
      if (!max_fn) return Internal(std::string(name_) + ": no kernel for channel block " + std::to_string(block));
      const int64_t planes_b = planes / block, in_b = in_plane * block, out_b = out_plane * block;
      ctx.parallel_for(planes_b, std::max<int64_t>(1, grain / block), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          if (is_max_) max_fn(x + i * in_b, p, false, y + i * out_b);
          else avg_fn(x + i * in_b, p, count_include_pad_, y + i * out_b);
        }
      });
      return Status::Ok();
    }
    if (g.in.size() <= 2 && idx == nullptr) {
      const size_t wd = g.in.size() - 1;  // the last (column) axis
      const int64_t kw_n = g.kernel[wd], sw = g.strides[wd], dw = g.dilations[wd], pw = g.pad_begin[wd];
      std::vector<int64_t> kw_lo(static_cast<size_t>(kw_n)), kw_hi(static_cast<size_t>(kw_n));
      for (int64_t kw = 0; kw < kw_n; ++kw) {
        // ow valid when 0 <= ow*sw - pw + kw*dw < W
        const int64_t a = pw - kw * dw, b = p.in[2] - 1 + pw - kw * dw;
        int64_t lo = a <= 0 ? 0 : (a + sw - 1) / sw;
        int64_t hi = b < 0 ? 0 : b / sw + 1;
        lo = std::min(lo, p.out[2]);
        kw_lo[kw] = lo;
        kw_hi[kw] = std::max(lo, std::min(hi, p.out[2]));
      }
      std::vector<float> inv_count;
      if (!is_max_) {
        const AxisTaps &th = p.taps[1], &tw = p.taps[2];
        inv_count.resize(static_cast<size_t>(p.out[1] * p.out[2]));
        for (int64_t oh = 0; oh < p.out[1]; ++oh)
          for (int64_t ow = 0; ow < p.out[2]; ++ow) {
            const int64_t n = count_include_pad_ ? th.padded[oh] * tw.padded[ow] : th.count[oh] * tw.count[ow];
            inv_count[oh * p.out[2] + ow] = n > 0 ? 1.0f / static_cast<float>(n) : 0.0f;
          }
      }
      const FixedTapsFn<true> fixed_max = fixed_taps_for<true>(kw_n, sw, dw);
      const FixedTapsFn<false> fixed_avg = fixed_taps_for<false>(kw_n, sw, dw);
      if (fixed_max != nullptr) {
        const int64_t kh_n = g.in.size() == 2 ? g.kernel[0] : 1, sh = g.in.size() == 2 ? g.strides[0] : 1,
                      dh = g.in.size() == 2 ? g.dilations[0] : 1, ph = g.in.size() == 2 ? g.pad_begin[0] : 0;
        const PaddedPlane pp{(p.out[1] - 1) * sh + (kh_n - 1) * dh + 1, (p.out[2] - 1) * sw + kw_n, ph, pw};
        ctx.parallel_for(planes, grain, [&](int64_t b, int64_t e) {
          std::vector<float> scratch(static_cast<size_t>(pp.rows * pp.cols),
                                     is_max_ ? std::numeric_limits<float>::lowest() : 0.0f);
          for (int64_t i = b; i < e; ++i) {
            if (is_max_)
              pool_plane_padded<true>(x + i * in_plane, p.in[1], p.in[2], pp, scratch.data(), fixed_max, kh_n, sh, dh,
                                      p.out[1], p.out[2], nullptr, y + i * out_plane);
            else
              pool_plane_padded<false>(x + i * in_plane, p.in[1], p.in[2], pp, scratch.data(), fixed_avg, kh_n, sh, dh,
                                       p.out[1], p.out[2], inv_count.data(), y + i * out_plane);
          }
        });
        return Status::Ok();
      }
      ctx.parallel_for(planes, grain, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) {
          if (is_max_)
            pool_plane_rows<true>(x + i * in_plane, p, kw_lo, kw_hi, sw, pw, dw, nullptr, y + i * out_plane);
          else
            pool_plane_rows<false>(x + i * in_plane, p, kw_lo, kw_hi, sw, pw, dw, inv_count.data(), y + i * out_plane);
        }
      });
      return Status::Ok();
    }
    ctx.parallel_for(planes, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        if (is_max_)
          max_pool_plane(x + i * in_plane, p, y + i * out_plane, idx ? idx + i * out_plane : nullptr, i * in_plane,
                         storage_order_ == 1);
        else
          avg_pool_plane(x + i * in_plane, p, count_include_pad_, y + i * out_plane);
      }
    });
    return Status::Ok();
  }

  static bool is_8bit(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

  // 8-bit MaxPool: every 8-bit value is exact in float32 and the max of exact values is
  // one of them, so the float32 kernel computes it and the result converts back exactly.
  Status compute_8bit(const KernelContext& ctx) const {
    const Tensor& xt = ctx.input(0);
    Tensor& yt = ctx.output(0);
    const bool u8 = xt.dtype() == DataType::kUint8;
    TOP_ASSIGN_OR_RETURN(Tensor xf, Tensor::allocate(DataType::kFloat32, xt.shape()));
    TOP_ASSIGN_OR_RETURN(Tensor yf, Tensor::allocate(DataType::kFloat32, yt.shape()));
    for (int64_t i = 0; i < xt.numel(); ++i)
      xf.data<float>()[i] = u8 ? xt.data<uint8_t>()[i] : xt.data<int8_t>()[i];
    std::vector<Tensor*> outs = {&yf};
    if (ctx.has_output(1)) outs.push_back(&ctx.output(1));
    TOP_RETURN_IF_ERROR(compute(KernelContext({&xf}, outs, ctx.pool())));
    for (int64_t i = 0; i < yt.numel(); ++i) {
      if (u8) yt.data<uint8_t>()[i] = static_cast<uint8_t>(yf.data<float>()[i]);
      else yt.data<int8_t>()[i] = static_cast<int8_t>(yf.data<float>()[i]);
    }
    return Status::Ok();
  }

 private:
  Result<WindowGeometry> geometry(const Shape& x) const {
    if (x.size() < 3 || x.size() > 5)
      return Unsupported(std::string(name_) + ": X " + shape_str(x) + " must have rank 3, 4 or 5 (N, C, 1-3 spatial dims)");
    std::vector<int64_t> in(x.begin() + 2, x.end());
    TOP_ASSIGN_OR_RETURN(WindowGeometry g, forward_window_geometry(win_, in, win_.kernel_shape, name_));
    for (size_t i = 0; i < in.size(); ++i) {
      // A window wholly inside the padding has no element to reduce.
      if (g.pad_begin[i] >= g.extent[i] || g.pad_end[i] >= g.extent[i]) {
        if (win_.auto_pad == AutoPad::kNotSet)
          return InvalidArgument(std::string(name_) + ": pads " + ints_str(win_.pads) +
                                 " must be smaller than the window " + ints_str(g.kernel));
      }
    }
    return g;
  }

  bool is_max_;
  const char* name_;
  WindowAttrs win_;
  bool count_include_pad_ = false;
  int64_t storage_order_ = 0;
};

class GlobalPoolOp final : public Op {
 public:
  explicit GlobalPoolOp(bool is_max) : is_max_(is_max), name_(is_max ? "GlobalMaxPool" : "GlobalAveragePool") {}

  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts b;
    if (ctx.has_input(0) && ctx.input_dtype(0) == DataType::kFloat32) b.inputs = 1;
    return b;
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0)) return InvalidArgument(std::string(name_) + ": needs input X");
    if (ctx.input_dtype(0) != DataType::kFloat32)
      return Unsupported(std::string(name_) + ": X has dtype " + dtype_name(ctx.input_dtype(0)) +
                         "; only float32 is supported");
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) return InvalidArgument(std::string(name_) + ": X " + shape_str(x) + " must have rank >= 2");
    Shape out(x.size(), 1);
    out[0] = x[0];
    out[1] = x[1];
    ctx.set_output(0, DataType::kFloat32, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& xt = ctx.input(0);
    if (xt.dtype() != DataType::kFloat32 || xt.rank() < 2)
      return InvalidArgument(std::string(name_) + ": X must be float32 with rank >= 2, got " + shape_str(xt.shape()));
    Tensor& yt = ctx.output(0);
    const int64_t planes = xt.dim(0) * xt.dim(1);
    if (yt.numel() != planes) return InvalidArgument(std::string(name_) + ": output buffer " + shape_str(yt.shape()) + " is not [N,C,1,...]");
    const int64_t plane = planes == 0 ? 0 : xt.numel() / planes;
    const float* x = xt.data<float>();
    float* y = yt.data<float>();
    if (plane == 0 && is_max_ && planes > 0) return InvalidArgument("GlobalMaxPool: X " + shape_str(xt.shape()) + " has empty spatial dims");
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(plane, 1));
    if (const int block = ctx.input_block(0); block != 0) {
      // Blocked X: B channels per pixel. Y ([N, C, 1...]) has the same bytes in both layouts.
      if (xt.dim(1) % block != 0 || block > 64)
        return Internal(std::string(name_) + ": channels are not a multiple of the block");
      ctx.parallel_for(planes / block, std::max<int64_t>(1, grain / block), [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) global_pool_blocked(x + i * plane * block, plane, block, y + i * block);
      });
      return Status::Ok();
    }
    ctx.parallel_for(planes, grain, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const float* p = x + i * plane;
        if (is_max_) {
          float m = p[0];
          for (int64_t j = 1; j < plane; ++j) m = max_nan(m, p[j]);
          y[i] = m;
        } else {
          // Four partial sums: vectorisable and a little more accurate than one.
          float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
          int64_t j = 0;
          for (; j + 4 <= plane; j += 4) {
            s0 += p[j];
            s1 += p[j + 1];
            s2 += p[j + 2];
            s3 += p[j + 3];
          }
          for (; j < plane; ++j) s0 += p[j];
          y[i] = plane > 0 ? ((s0 + s1) + (s2 + s3)) / static_cast<float>(plane) : 0.0f;
        }
      }
    });
    return Status::Ok();
  }

 private:
  // One plane of B channels: max or mean over its pixels, lane by lane.
  void global_pool_blocked(const float* x, int64_t plane, int block, float* y) const {
    float acc[64];
    for (int l = 0; l < block; ++l) acc[l] = is_max_ ? x[l] : 0.0f;
    for (int64_t j = is_max_ ? 1 : 0; j < plane; ++j) {
      const float* px = x + j * block;
      if (is_max_)
        for (int l = 0; l < block; ++l) acc[l] = max_nan(acc[l], px[l]);
      else
        for (int l = 0; l < block; ++l) acc[l] += px[l];
    }
    for (int l = 0; l < block; ++l) y[l] = is_max_ ? acc[l] : (plane > 0 ? acc[l] / static_cast<float>(plane) : 0.0f);
  }

  bool is_max_;
  const char* name_;
};

}  // namespace

void register_pool_ops(OpRegistry& r) {
  r.add("MaxPool", 1, [] { return std::make_unique<WindowPoolOp>(true); });
  r.add("AveragePool", 1, [] { return std::make_unique<WindowPoolOp>(false); });
  r.add("GlobalMaxPool", 1, [] { return std::make_unique<GlobalPoolOp>(true); });
  r.add("GlobalAveragePool", 1, [] { return std::make_unique<GlobalPoolOp>(false); });
}

}  // namespace top::ops

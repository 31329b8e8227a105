// Conv and ConvTranspose (NCHW, float32).
//
// Conv picks one of three kernels:
//   * pointwise (1x1, stride 1, no pads): a GEMM straight on the input, no copy;
//   * depthwise (one input channel per group): a direct loop, one output plane at a time;
//   * everything else: im2col + GEMM, done in column tiles so each thread's scratch
//     stays cache-sized; the bias is written into the output first and the GEMM
//     accumulates onto it (beta = 1).
// 1-D convolutions run as 2-D ones with a unit height; 3-D ones take a generic
// (slower) im2col. ConvTranspose is GEMM + col2im, 1-D and 2-D.
//
// Fusion hooks for a graph optimiser (not ONNX; ONNX Runtime's FusedConv has the same
// shape): an optional 4th input Z (shape of Y) is added before the activation, and
// the `activation` / `activation_params` attributes (conv_util.h) apply one to each
// output tile while it is in cache: Y = act(W * X + B + Z).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "ops/checked_math.h"
#include "ops/conv_util.h"
#include "ops/families.h"
#include "ops/gemm.h"
#include "ops/op.h"
#if defined(TOP_HAVE_ONEDNN)
#include "ops/onednn/onednn_conv.h"
#endif

namespace top::ops {
namespace {

// im2col scratch per thread is about this many floats (1 MiB): big enough that the
// GEMM's panels stay wide, small enough to sit in L2 next to the weights.
constexpr int64_t kColBudget = 256 * 1024;
constexpr int64_t kMinTileCols = 96;

Status check_float(const InferContext& ctx, size_t i, const char* op, const char* what) {
  if (ctx.input_dtype(i) != DataType::kFloat32) {
    return Unsupported(std::string(op) + ": " + what + " has dtype " + dtype_name(ctx.input_dtype(i)) +
                       "; only float32 is supported");
  }
  return Status::Ok();
}

// 2-D view of a convolution's window (1-D ones get h = 1).
struct Geom2D {
  int64_t in_h, in_w, k_h, k_w, s_h, s_w, d_h, d_w, p_h, p_w, out_h, out_w;
};

Geom2D to_2d(const WindowGeometry& g) {
  Geom2D r{};
  if (g.in.size() == 1) {
    r = Geom2D{1, g.in[0], 1, g.kernel[0], 1, g.strides[0], 1, g.dilations[0], 0, g.pad_begin[0], 1, g.out[0]};
  } else {
    r = Geom2D{g.in[0],        g.in[1],        g.kernel[0],    g.kernel[1], g.strides[0], g.strides[1],
               g.dilations[0], g.dilations[1], g.pad_begin[0], g.pad_begin[1], g.out[0], g.out[1]};
  }
  return r;
}

// Output columns [lo, hi) of a row where `in = out * s - p + off` lands in [0, n).
inline void valid_range(int64_t n, int64_t s, int64_t p, int64_t off, int64_t out_n, int64_t& lo, int64_t& hi) {
  // lo = ceil((p - off) / s), hi = floor((n - 1 + p - off) / s) + 1, clamped to [0, out_n].
  const int64_t a = p - off;
  lo = a <= 0 ? 0 : (a + s - 1) / s;
  const int64_t b = n - 1 + p - off;
  hi = b < 0 ? 0 : b / s + 1;
  lo = std::min(lo, out_n);
  hi = std::max(lo, std::min(hi, out_n));
}

// Column tile [p0, p1) of im2col for one group: rows are (c, kh, kw), columns output
// positions; `col` is row-major with row length p1 - p0.
void im2col_2d(const float* x, int64_t channels, const Geom2D& g, int64_t p0, int64_t p1, float* col) {
  const int64_t tw = p1 - p0;
  const int64_t plane = g.in_h * g.in_w;
  for (int64_t c = 0; c < channels; ++c) {
    const float* xc = x + c * plane;
    for (int64_t kh = 0; kh < g.k_h; ++kh) {
      for (int64_t kw = 0; kw < g.k_w; ++kw) {
        float* dst = col + ((c * g.k_h + kh) * g.k_w + kw) * tw;
        int64_t ox_lo, ox_hi;
        valid_range(g.in_w, g.s_w, g.p_w, kw * g.d_w, g.out_w, ox_lo, ox_hi);
        int64_t p = p0;
        while (p < p1) {
          const int64_t oy = p / g.out_w, ox0 = p % g.out_w;
          const int64_t ox1 = std::min(g.out_w, ox0 + (p1 - p));
          float* d = dst + (p - p0);
          const int64_t iy = oy * g.s_h - g.p_h + kh * g.d_h;
          if (iy < 0 || iy >= g.in_h) {
            std::fill(d, d + (ox1 - ox0), 0.0f);
          } else {
            const int64_t lo = std::clamp(ox_lo, ox0, ox1), hi = std::clamp(ox_hi, lo, ox1);
            std::fill(d, d + (lo - ox0), 0.0f);
            const float* xr = xc + iy * g.in_w - g.p_w + kw * g.d_w;
            if (g.s_w == 1) {
              std::memcpy(d + (lo - ox0), xr + lo, static_cast<size_t>(hi - lo) * sizeof(float));
            } else {
              for (int64_t ox = lo; ox < hi; ++ox) d[ox - ox0] = xr[ox * g.s_w];
            }
            std::fill(d + (hi - ox0), d + (ox1 - ox0), 0.0f);
          }
          p += ox1 - ox0;
        }
      }
    }
  }
}

// Generic N-d im2col (3-D convolutions): same layout as im2col_2d.
void im2col_nd(const float* x, int64_t channels, const WindowGeometry& g, int64_t p0, int64_t p1, float* col) {
  const size_t nd = g.in.size();
  const int64_t tw = p1 - p0, plane = g.in_size(), kvol = g.kernel_size();
  std::vector<int64_t> kidx(nd), oidx(nd);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t k = 0; k < kvol; ++k) {
      for (int64_t r = k, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        kidx[d] = r % g.kernel[d];
        r /= g.kernel[d];
      }
      float* dst = col + (c * kvol + k) * tw;
      for (int64_t r = p0, d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
        oidx[d] = r % g.out[d];
        r /= g.out[d];
      }
      for (int64_t p = p0; p < p1; ++p) {
        int64_t off = 0;
        bool inside = true;
        for (size_t d = 0; d < nd; ++d) {
          const int64_t i = oidx[d] * g.strides[d] - g.pad_begin[d] + kidx[d] * g.dilations[d];
          if (i < 0 || i >= g.in[d]) {
            inside = false;
            break;
          }
          off = off * g.in[d] + i;
        }
        dst[p - p0] = inside ? x[c * plane + off] : 0.0f;
        for (int64_t d = static_cast<int64_t>(nd) - 1; d >= 0; --d) {
          if (++oidx[d] < g.out[d]) break;
          oidx[d] = 0;
        }
      }
    }
  }
}

// Depthwise convolution, any stride and dilation. The zero-padded input plane is split
// into stride_h x stride_w phase planes, P_ab[i][j] = xpad[i*s_h + a][j*s_w + b], each
// with row length `cols`. Tap (kh, kw) of output (oh, ow) then reads phase
// ((kh*d_h) % s_h, (kw*d_w) % s_w) at [oh + kh*d_h/s_h][ow + kw*d_w/s_w]: with
// q = oh*cols + ow that is src[q + offset(tap)], so every tap is one long contiguous
// multiply-add over the whole plane ("wide" output, the last cols - out_w columns of
// each row discarded). Small planes (mobilenets' 7x7, 14x14) stay fast this way.
struct DepthwiseScratch {
  int64_t rows = 0, cols = 0;    // one phase plane
  std::vector<float> phases;     // s_h * s_w phase planes, then slack; padding stays zero
  std::vector<float> wide;       // out_h * cols, rounded up to 16
  std::vector<int64_t> offsets;  // per tap, into `phases`
  std::vector<int64_t> src_col;  // per (phase column b, j): input column or -1
};

// wide[q] = sum_t w[t] * src[q + off[t]] for q < n: all taps accumulate in registers.
void depthwise_taps_generic(const float* src, const int64_t* off, const float* w, int taps, float* wide, int64_t n) {
  int64_t q = 0;
#if defined(__SSE__)
  for (; q + 8 <= n; q += 8) {
    __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
    for (int t = 0; t < taps; ++t) {
      const __m128 wv = _mm_set1_ps(w[t]);
      const float* p = src + off[t] + q;
      a0 = _mm_add_ps(a0, _mm_mul_ps(wv, _mm_loadu_ps(p)));
      a1 = _mm_add_ps(a1, _mm_mul_ps(wv, _mm_loadu_ps(p + 4)));
    }
    _mm_storeu_ps(wide + q, a0);
    _mm_storeu_ps(wide + q + 4, a1);
  }
#endif
  for (; q < n; ++q) {
    float acc = 0.0f;
    for (int t = 0; t < taps; ++t) acc += w[t] * src[off[t] + q];
    wide[q] = acc;
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2,fma"))) void depthwise_taps_avx2(const float* src, const int64_t* off, const float* w,
                                                              int taps, float* wide, int64_t n) {
  int64_t q = 0;
  for (; q + 16 <= n; q += 16) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int t = 0; t < taps; ++t) {
      const __m256 wv = _mm256_set1_ps(w[t]);
      const float* p = src + off[t] + q;
      a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p), a0);
      a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(p + 8), a1);
    }
    _mm256_storeu_ps(wide + q, a0);
    _mm256_storeu_ps(wide + q + 8, a1);
  }
  if (q < n) depthwise_taps_generic(src + q, off, w, taps, wide + q, n - q);
}
#endif

void depthwise_taps(const float* src, const int64_t* off, const float* w, int taps, float* wide, int64_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (has_avx2) {
    depthwise_taps_avx2(src, off, w, taps, wide, n);
    return;
  }
#endif
  depthwise_taps_generic(src, off, w, taps, wide, n);
}

DepthwiseScratch make_depthwise_scratch(const Geom2D& g) {
  DepthwiseScratch s;
  s.rows = g.out_h + (g.k_h - 1) * g.d_h / g.s_h;
  s.cols = g.out_w + (g.k_w - 1) * g.d_w / g.s_w;
  const int64_t plane = s.rows * s.cols;
  // The tap loop runs over whole 16-float blocks: the slack keeps the rounded-up tail
  // inside the buffers (its results are never used).
  s.phases.assign(static_cast<size_t>(g.s_h * g.s_w * plane + s.cols + 32), 0.0f);
  s.wide.resize(static_cast<size_t>((g.out_h * s.cols + 15) / 16 * 16));
  for (int64_t kh = 0; kh < g.k_h; ++kh) {
    for (int64_t kw = 0; kw < g.k_w; ++kw) {
      const int64_t ph = kh * g.d_h, pw = kw * g.d_w;
      const int64_t phase = (ph % g.s_h) * g.s_w + pw % g.s_w;
      s.offsets.push_back(phase * plane + (ph / g.s_h) * s.cols + pw / g.s_w);
    }
  }
  s.src_col.resize(static_cast<size_t>(g.s_w * s.cols));
  for (int64_t b = 0; b < g.s_w; ++b)
    for (int64_t j = 0; j < s.cols; ++j) {
      const int64_t iw = j * g.s_w + b - g.p_w;
      s.src_col[b * s.cols + j] = iw >= 0 && iw < g.in_w ? iw : -1;
    }
  return s;
}

#if defined(__SSE__)
// Phase scatter for column stride 2 by SSE de-interleave: even input columns go to one
// phase plane, odd ones to the other (which one depends on the parity of the left pad).
void scatter_phases_sw2(const float* x, const Geom2D& g, DepthwiseScratch& s) {
  const int64_t plane = s.rows * s.cols;
  const int64_t c0 = g.p_w;
  const int64_t e_off = c0 / 2, o_off = (c0 + 1) / 2;  // dest index of iw = 2t is t + e_off, of 2t+1 is t + o_off
  const int64_t e_phase = c0 % 2, o_phase = (c0 + 1) % 2;
  for (int64_t ih = 0; ih < g.in_h; ++ih) {
    const int64_t ph = ih + g.p_h, a = ph % g.s_h, i = ph / g.s_h;
    if (i >= s.rows) continue;
    const float* xr = x + ih * g.in_w;
    float* de = s.phases.data() + (a * 2 + e_phase) * plane + i * s.cols;
    float* dodd = s.phases.data() + (a * 2 + o_phase) * plane + i * s.cols;
    int64_t t = 0;
    for (; 2 * t + 8 <= g.in_w && t + e_off + 4 <= s.cols && t + o_off + 4 <= s.cols; t += 4) {
      const __m128 lo = _mm_loadu_ps(xr + 2 * t), hi = _mm_loadu_ps(xr + 2 * t + 4);
      _mm_storeu_ps(de + t + e_off, _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0)));
      _mm_storeu_ps(dodd + t + o_off, _mm_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1)));
    }
    for (int64_t iw = 2 * t; iw < g.in_w; ++iw) {
      const int64_t c = iw + c0, j = c / 2;
      if (j >= s.cols) continue;
      (c % 2 == e_phase ? de : dodd)[j] = xr[iw];
    }
  }
}
#endif

// Scatters one input plane into the phase planes. Positions outside the input are
// never written, so they keep the zeros of make_depthwise_scratch for every plane.
void scatter_phases(const float* x, const Geom2D& g, DepthwiseScratch& s) {
#if defined(__SSE__)
  if (g.s_w == 2) {
    scatter_phases_sw2(x, g, s);
    return;
  }
#endif
  const int64_t plane = s.rows * s.cols;
  for (int64_t a = 0; a < g.s_h; ++a) {
    for (int64_t b = 0; b < g.s_w; ++b) {
      float* dst = s.phases.data() + (a * g.s_w + b) * plane;
      const int64_t* cols = s.src_col.data() + b * s.cols;
      int64_t j0 = 0, j1 = s.cols;  // valid columns form one run
      while (j0 < j1 && cols[j0] < 0) ++j0;
      while (j1 > j0 && cols[j1 - 1] < 0) --j1;
      if (j0 == j1) continue;
      for (int64_t i = 0; i < s.rows; ++i) {
        const int64_t ih = i * g.s_h + a - g.p_h;
        if (ih < 0 || ih >= g.in_h) continue;
        const float* xr = x + ih * g.in_w;
        float* dr = dst + i * s.cols;
        if (g.s_w == 1) {
          std::memcpy(dr + j0, xr + cols[j0], static_cast<size_t>(j1 - j0) * sizeof(float));
        } else {
          for (int64_t j = j0; j < j1; ++j) dr[j] = xr[cols[j]];
        }
      }
    }
  }
}

// y (already holding bias/Z) += depthwise(x) for one plane.
void depthwise_plane(const float* x, const float* w, const Geom2D& g, DepthwiseScratch& s, float* y) {
  scatter_phases(x, g, s);
  float* wide = s.wide.data();
  depthwise_taps(s.phases.data(), s.offsets.data(), w, static_cast<int>(s.offsets.size()), wide,
                 static_cast<int64_t>(s.wide.size()));
  for (int64_t oh = 0; oh < g.out_h; ++oh) {
    float* yr = y + oh * g.out_w;
    const float* wr = wide + oh * s.cols;
    for (int64_t ow = 0; ow < g.out_w; ++ow) yr[ow] += wr[ow];
  }
}

// Initial value of the GEMM output rows: bias and/or the fused residual Z (both may be
// null). Returns the beta for the GEMM: 1 when something was written, else 0.
float init_output_rows(float* y, const float* z, int64_t rows, int64_t ld, int64_t c0, int64_t c1, const float* bias) {
  if (!bias && !z) return 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    float* yr = y + r * ld;
    const float b = bias ? bias[r] : 0.0f;
    if (z) {
      const float* zr = z + r * ld;
      for (int64_t c = c0; c < c1; ++c) yr[c] = zr[c] + b;
    } else {
      std::fill(yr + c0, yr + c1, b);
    }
  }
  return 1.0f;
}

void activate_rows(const FusedActivation& act, float* y, int64_t r0, int64_t r1, int64_t ld, int64_t c0, int64_t c1) {
  if (!act.active()) return;
  for (int64_t r = r0; r < r1; ++r) act.apply(y + r * ld + c0, c1 - c0);
}

class ConvOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    TOP_RETURN_IF_ERROR(parse_window_attrs(attrs, "Conv", win_));
    TOP_RETURN_IF_ERROR(parse_fused_activation(attrs, "Conv", act_));
    win_.ceil_mode = false;
    group_ = attrs.get_int("group", 1);
    TOP_RETURN_IF_ERROR(check_ints_in_range({group_}, 1, kMaxDim, "Conv: group"));
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("Conv: needs inputs X and W");
    TOP_RETURN_IF_ERROR(check_float(ctx, 0, "Conv", "X"));
    TOP_RETURN_IF_ERROR(check_float(ctx, 1, "Conv", "W"));
    if (ctx.has_input(2)) TOP_RETURN_IF_ERROR(check_float(ctx, 2, "Conv", "B"));
    TOP_ASSIGN_OR_RETURN(WindowGeometry g, geometry(ctx.input_shape(0), ctx.input_shape(1),
                                                    ctx.has_input(2) ? &ctx.input_shape(2) : nullptr));
    const Shape& x = ctx.input_shape(0);
    Shape out{x[0], ctx.input_shape(1)[0]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    if (ctx.has_input(3)) {
      TOP_RETURN_IF_ERROR(check_float(ctx, 3, "Conv", "Z (fused sum)"));
      if (ctx.input_shape(3) != out)
        return InvalidArgument("Conv: fused sum input " + shape_str(ctx.input_shape(3)) + " must have the output shape " +
                               shape_str(out));
    }
    ctx.set_output(0, DataType::kFloat32, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& xt = ctx.input(0);
    const Tensor& wt = ctx.input(1);
    const Tensor* bt = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (xt.dtype() != DataType::kFloat32 || wt.dtype() != DataType::kFloat32 ||
        (bt && bt->dtype() != DataType::kFloat32))
      return Unsupported("Conv: only float32 is supported");
    TOP_ASSIGN_OR_RETURN(WindowGeometry g, geometry(xt.shape(), wt.shape(), bt ? &bt->shape() : nullptr));
    Tensor& yt = ctx.output(0);
    const int64_t batch = xt.dim(0), in_c = xt.dim(1), out_c = wt.dim(0);
    const int64_t cg = in_c / group_, mg = out_c / group_;
    const int64_t in_plane = g.in_size(), out_plane = g.out_size(), kvol = g.kernel_size();
    if (yt.numel() != batch * out_c * out_plane)
      return InvalidArgument("Conv: output buffer " + shape_str(yt.shape()) + " does not match the inferred shape");
    if (yt.numel() == 0) return Status::Ok();
    const float* x = xt.data<float>();
    const float* w = wt.data<float>();
    const float* bias = bt ? bt->data<float>() : nullptr;
    float* y = yt.data<float>();
    const float* z = nullptr;
    if (ctx.has_input(3)) {
      const Tensor& zt = ctx.input(3);
      if (zt.dtype() != DataType::kFloat32 || zt.shape() != yt.shape())
        return InvalidArgument("Conv: fused sum input " + shape_str(zt.shape()) + " must be float32 " + shape_str(yt.shape()));
      z = zt.data<float>();
    }
    const int64_t units = batch * group_;  // (image, group) pairs

    if (in_c == 0 || kvol == 0) {  // empty reduction: the output is the bias (+ Z)
      for (int64_t u = 0; u < units; ++u) {
        float* yu = y + u * mg * out_plane;
        if (init_output_rows(yu, z ? z + u * mg * out_plane : nullptr, mg, out_plane, 0, out_plane,
                             bias ? bias + (u % group_) * mg : nullptr) == 0.0f)
          std::fill(yu, yu + mg * out_plane, 0.0f);
        activate_rows(act_, yu, 0, mg, out_plane, 0, out_plane);
      }
      return Status::Ok();
    }

    const bool is_2d_like = g.in.size() <= 2;
    if (is_2d_like && cg == 1 && group_ > 1) {
      const Geom2D g2 = to_2d(g);
      // Depthwise: one task per output plane.
      ctx.parallel_for(batch * out_c, 4, [&](int64_t b, int64_t e) {
        DepthwiseScratch scratch = make_depthwise_scratch(g2);
        for (int64_t i = b; i < e; ++i) {
          const int64_t n = i / out_c, m = i % out_c, grp = m / mg;
          float* yp = y + i * out_plane;
          if (init_output_rows(yp, z ? z + i * out_plane : nullptr, 1, out_plane, 0, out_plane,
                               bias ? bias + m : nullptr) == 0.0f)
            std::fill(yp, yp + out_plane, 0.0f);
          depthwise_plane(x + (n * in_c + grp) * in_plane, w + m * kvol, g2, scratch, yp);
          act_.apply(yp, out_plane);
        }
      });
      return Status::Ok();
    }

    bool pointwise = true;
    for (size_t d = 0; d < g.in.size(); ++d)
      pointwise = pointwise && g.kernel[d] == 1 && g.strides[d] == 1 && g.pad_begin[d] == 0 && g.pad_end[d] == 0;
    const int64_t kc = cg * kvol;  // GEMM reduction length
    const int threads = ctx.num_threads();

    if (pointwise) {
      const bool unit_parallel = threads > 1 && units >= threads && (units % threads == 0 || units >= 4 * threads);
      auto run_unit = [&](int64_t u, bool parallel_gemm) {
        const int64_t n = u / group_, grp = u % group_;
        const int64_t off = (n * out_c + grp * mg) * out_plane;
        float* yu = y + off;
        const float beta = init_output_rows(yu, z ? z + off : nullptr, mg, out_plane, 0, out_plane,
                                            bias ? bias + grp * mg : nullptr);
        const float* xu = x + (n * in_c + grp * cg) * in_plane;
        const float* wu = w + grp * mg * kc;
        if (parallel_gemm) {
          const GemmEpilogue epi = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
            activate_rows(act_, yu, r0, r1, out_plane, c0, c1);
          };
          sgemm(ctx, false, false, mg, out_plane, kc, 1.0f, wu, kc, xu, out_plane, beta, yu, out_plane,
                act_.active() ? &epi : nullptr);
        } else {
          sgemm_serial(false, false, mg, out_plane, kc, 1.0f, wu, kc, xu, out_plane, beta, yu, out_plane);
          activate_rows(act_, yu, 0, mg, out_plane, 0, out_plane);
        }
      };
      if (unit_parallel) {
        ctx.parallel_for(units, 1, [&](int64_t b, int64_t e) {
          for (int64_t u = b; u < e; ++u) run_unit(u, false);
        });
      } else {
        for (int64_t u = 0; u < units; ++u) run_unit(u, true);
      }
      return Status::Ok();
    }

    // im2col + GEMM over column tiles. Tiles are sized to the scratch budget, then made
    // numerous enough that every thread gets an equal share.
    int64_t tile = std::max<int64_t>(kMinTileCols, kColBudget / std::max<int64_t>(kc, 1));
    tile = std::min(tile, out_plane);
    int64_t tiles = (out_plane + tile - 1) / tile;
    if (threads > 1 && units * tiles >= threads && units * tiles < 8 * threads) {
      while ((units * tiles) % threads != 0 && tiles < out_plane) ++tiles;
      tile = (out_plane + tiles - 1) / tiles;
      tiles = (out_plane + tile - 1) / tile;
    }
    auto im2col = [&](const float* xu, int64_t p0, int64_t p1, float* col) {
      if (is_2d_like)
        im2col_2d(xu, cg, to_2d(g), p0, p1, col);
      else
        im2col_nd(xu, cg, g, p0, p1, col);
    };

    if (threads > 1 && units * tiles < threads) {
      // Too few tiles to share out: one tile per (image, group), its im2col split by
      // channel and its GEMM split by the GEMM itself.
      std::vector<float> col(static_cast<size_t>(kc * out_plane));
      for (int64_t u = 0; u < units; ++u) {
        const int64_t n = u / group_, grp = u % group_;
        const float* xu = x + (n * in_c + grp * cg) * in_plane;
        ctx.parallel_for(cg, 1, [&](int64_t c0, int64_t c1) {
          for (int64_t c = c0; c < c1; ++c) {
            if (is_2d_like)
              im2col_2d(xu + c * in_plane, 1, to_2d(g), 0, out_plane, col.data() + c * kvol * out_plane);
            else
              im2col_nd(xu + c * in_plane, 1, g, 0, out_plane, col.data() + c * kvol * out_plane);
          }
        });
        const int64_t off = (n * out_c + grp * mg) * out_plane;
        float* yu = y + off;
        const float beta = init_output_rows(yu, z ? z + off : nullptr, mg, out_plane, 0, out_plane,
                                            bias ? bias + grp * mg : nullptr);
        const GemmEpilogue epi = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
          activate_rows(act_, yu, r0, r1, out_plane, c0, c1);
        };
        sgemm(ctx, false, false, mg, out_plane, kc, 1.0f, w + grp * mg * kc, kc, col.data(), out_plane, beta, yu,
              out_plane, act_.active() ? &epi : nullptr);
      }
      return Status::Ok();
    }

    ctx.parallel_for(units * tiles, 1, [&](int64_t b, int64_t e) {
      std::unique_ptr<float[]> col(new float[static_cast<size_t>(kc * tile)]);
      for (int64_t t = b; t < e; ++t) {
        const int64_t u = t / tiles, n = u / group_, grp = u % group_;
        const int64_t p0 = (t % tiles) * tile, p1 = std::min(out_plane, p0 + tile);
        if (p0 >= p1) continue;
        im2col(x + (n * in_c + grp * cg) * in_plane, p0, p1, col.get());
        const int64_t off = (n * out_c + grp * mg) * out_plane;
        float* yu = y + off;
        const float beta = init_output_rows(yu, z ? z + off : nullptr, mg, out_plane, p0, p1,
                                            bias ? bias + grp * mg : nullptr);
        sgemm_serial(false, false, mg, p1 - p0, kc, 1.0f, w + grp * mg * kc, kc, col.get(), p1 - p0, beta, yu + p0,
                     out_plane);
        activate_rows(act_, yu, 0, mg, out_plane, p0, p1);
      }
    });
    return Status::Ok();
  }

  // oneDNN for a step whose weights and bias are constants (ops/onednn/onednn_conv.h).
  std::shared_ptr<const Op> plan_kernel(const InferContext& ctx, const std::shared_ptr<const Op>& self) const override {
#if defined(TOP_HAVE_ONEDNN)
    const auto is_f32 = [&](size_t i) { return ctx.input_dtype(i) == DataType::kFloat32; };
    if (!ctx.has_input(0) || !ctx.has_input(1) || !ctx.input(1).constant || !is_f32(0) || !is_f32(1)) return nullptr;
    if (ctx.has_input(2) && (!ctx.input(2).constant || !is_f32(2))) return nullptr;
    if (ctx.has_input(3) && !is_f32(3)) return nullptr;
    if (ctx.num_outputs() != 1 || !ctx.output(0).present()) return nullptr;
    auto g = geometry(ctx.input_shape(0), ctx.input_shape(1), ctx.has_input(2) ? &ctx.input_shape(2) : nullptr);
    if (!g.ok()) return nullptr;
    OnednnConvSpec spec{ctx.input_shape(0), ctx.input_shape(1), ctx.output(0).shape, *g, group_, act_, ctx.has_input(3)};
    return make_onednn_conv(spec, *ctx.input(1).constant, ctx.has_input(2) ? ctx.input(2).constant : nullptr, self);
#else
    (void)ctx;
    (void)self;
    return nullptr;
#endif
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (!ctx.has_input(1) || !ctx.output(0).present()) return c;
    const Shape& w = ctx.input_shape(1);
    const Shape& y = ctx.output(0).shape;
    double macs = static_cast<double>(std::max<int64_t>(shape_numel(y), 0));
    for (size_t i = 1; i < w.size(); ++i) macs *= static_cast<double>(std::max<int64_t>(w[i], 0));
    c.flops = 2.0 * macs;
    return c;
  }

 private:
  Result<WindowGeometry> geometry(const Shape& x, const Shape& w, const Shape* b) const {
    if (x.size() < 3)
      return InvalidArgument("Conv: X " + shape_str(x) + " must have rank >= 3 (N, C, spatial...)");
    if (w.size() != x.size())
      return InvalidArgument("Conv: W " + shape_str(w) + " must have the rank of X " + shape_str(x));
    if (x.size() > 5) return Unsupported("Conv: " + std::to_string(x.size() - 2) + "-D convolution is not supported");
    // Weight dims are real (bounded) but W's channel count times a large group is not.
    const CheckedInt in_channels = CheckedInt(w[1]) * group_;
    if (x[1] >= 0 && w[1] >= 0 && (!in_channels.ok() || x[1] != in_channels.value())) {
      return InvalidArgument("Conv: X " + shape_str(x) + " has " + std::to_string(x[1]) + " channels but W " +
                             shape_str(w) + " with group " + std::to_string(group_) + " expects " +
                             (in_channels.ok() ? std::to_string(in_channels.value()) : std::string("more than 2^63")));
    }
    if (w[0] >= 0 && w[0] % group_ != 0) {
      return InvalidArgument("Conv: W " + shape_str(w) + " has " + std::to_string(w[0]) +
                             " output channels, not divisible by group " + std::to_string(group_));
    }
    if (b && (b->size() != 1 || (w[0] >= 0 && (*b)[0] >= 0 && (*b)[0] != w[0])))
      return InvalidArgument("Conv: B " + shape_str(*b) + " must be [" + std::to_string(w[0]) + "]");
    std::vector<int64_t> kernel(w.begin() + 2, w.end());
    if (!win_.kernel_shape.empty() && win_.kernel_shape != kernel) {
      return InvalidArgument("Conv: kernel_shape " + ints_str(win_.kernel_shape) + " does not match W " +
                             shape_str(w));
    }
    for (int64_t k : kernel)
      if (k <= 0) return InvalidArgument("Conv: W " + shape_str(w) + " has an empty or unknown kernel");
    return forward_window_geometry(win_, std::vector<int64_t>(x.begin() + 2, x.end()), kernel, "Conv");
  }

  WindowAttrs win_;
  int64_t group_ = 1;
  FusedActivation act_;
};

// ---- ConvTranspose -----------------------------------------------------------------

struct TransposeGeometry {
  std::vector<int64_t> in, kernel, strides, dilations, pad_begin, pad_end, out;
};

// col (rows (m, kh, kw), columns input positions [p0, p1)) scattered-added into y.
void col2im_2d_rows(const float* col, int64_t tw, int64_t p0, int64_t p1, const Geom2D& g, int64_t m0, int64_t m1,
                    float* y) {
  // Here g.in_* are the ConvTranspose input dims and g.out_* its output dims.
  const int64_t oplane = g.out_h * g.out_w;
  for (int64_t m = m0; m < m1; ++m) {
    float* ym = y + m * oplane;
    for (int64_t kh = 0; kh < g.k_h; ++kh) {
      for (int64_t kw = 0; kw < g.k_w; ++kw) {
        const float* src = col + ((m * g.k_h + kh) * g.k_w + kw) * tw;
        int64_t p = p0;
        while (p < p1) {
          const int64_t iy = p / g.in_w, ix0 = p % g.in_w;
          const int64_t ix1 = std::min(g.in_w, ix0 + (p1 - p));
          const int64_t oy = iy * g.s_h - g.p_h + kh * g.d_h;
          if (oy >= 0 && oy < g.out_h) {
            float* yr = ym + oy * g.out_w;
            const float* s = src + (p - p0) - ix0;
            for (int64_t ix = ix0; ix < ix1; ++ix) {
              const int64_t ox = ix * g.s_w - g.p_w + kw * g.d_w;
              if (ox >= 0 && ox < g.out_w) yr[ox] += s[ix];
            }
          }
          p += ix1 - ix0;
        }
      }
    }
  }
}

class ConvTransposeOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    TOP_RETURN_IF_ERROR(parse_window_attrs(attrs, "ConvTranspose", win_));
    group_ = attrs.get_int("group", 1);
    TOP_RETURN_IF_ERROR(check_ints_in_range({group_}, 1, kMaxDim, "ConvTranspose: group"));
    output_padding_ = attrs.get_ints("output_padding");
    output_shape_ = attrs.get_ints("output_shape");
    TOP_RETURN_IF_ERROR(check_ints_in_range(output_padding_, 0, kMaxDim, "ConvTranspose: output_padding"));
    TOP_RETURN_IF_ERROR(check_ints_in_range(output_shape_, 0, kMaxDim, "ConvTranspose: output_shape"));
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("ConvTranspose: needs inputs X and W");
    TOP_RETURN_IF_ERROR(check_float(ctx, 0, "ConvTranspose", "X"));
    TOP_RETURN_IF_ERROR(check_float(ctx, 1, "ConvTranspose", "W"));
    if (ctx.has_input(2)) TOP_RETURN_IF_ERROR(check_float(ctx, 2, "ConvTranspose", "B"));
    TOP_ASSIGN_OR_RETURN(TransposeGeometry g, geometry(ctx.input_shape(0), ctx.input_shape(1),
                                                       ctx.has_input(2) ? &ctx.input_shape(2) : nullptr));
    const Shape& x = ctx.input_shape(0);
    const Shape& w = ctx.input_shape(1);
    int64_t out_c = -1;
    if (w[1] >= 0) {
      TOP_ASSIGN_OR_RETURN(out_c, to_dim(CheckedInt(w[1]) * group_, "ConvTranspose: output channels W[1] * group"));
    }
    Shape out{x[0], out_c};
    out.insert(out.end(), g.out.begin(), g.out.end());
    ctx.set_output(0, DataType::kFloat32, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& xt = ctx.input(0);
    const Tensor& wt = ctx.input(1);
    const Tensor* bt = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    if (xt.dtype() != DataType::kFloat32 || wt.dtype() != DataType::kFloat32 ||
        (bt && bt->dtype() != DataType::kFloat32))
      return Unsupported("ConvTranspose: only float32 is supported");
    TOP_ASSIGN_OR_RETURN(TransposeGeometry tg, geometry(xt.shape(), wt.shape(), bt ? &bt->shape() : nullptr));
    Tensor& yt = ctx.output(0);
    const int64_t batch = xt.dim(0), in_c = xt.dim(1), mg = wt.dim(1), out_c = mg * group_, cg = in_c / group_;
    const int64_t in_plane = shape_numel(tg.in), out_plane = shape_numel(tg.out), kvol = shape_numel(tg.kernel);
    if (yt.numel() != batch * out_c * out_plane)
      return InvalidArgument("ConvTranspose: output buffer " + shape_str(yt.shape()) +
                             " does not match the inferred shape");
    if (yt.numel() == 0) return Status::Ok();
    Geom2D g{};
    if (tg.in.size() == 1) {
      g = Geom2D{1, tg.in[0], 1, tg.kernel[0], 1, tg.strides[0], 1, tg.dilations[0], 0, tg.pad_begin[0], 1, tg.out[0]};
    } else {
      g = Geom2D{tg.in[0],        tg.in[1],        tg.kernel[0],    tg.kernel[1],    tg.strides[0], tg.strides[1],
                 tg.dilations[0], tg.dilations[1], tg.pad_begin[0], tg.pad_begin[1], tg.out[0],     tg.out[1]};
    }
    const float* x = xt.data<float>();
    const float* w = wt.data<float>();
    const float* bias = bt ? bt->data<float>() : nullptr;
    float* y = yt.data<float>();
    const int64_t rows = mg * kvol;  // col rows: (m, kh, kw)

    ctx.parallel_for(batch * out_c, 16, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) std::fill(y + i * out_plane, y + (i + 1) * out_plane, bias ? bias[i % out_c] : 0.0f);
    });
    if (in_plane == 0 || cg == 0) return Status::Ok();

    int64_t tile = std::min(in_plane, std::max<int64_t>(kMinTileCols, kColBudget / std::max<int64_t>(rows, 1)));
    std::vector<float> col(static_cast<size_t>(rows * tile));
    for (int64_t n = 0; n < batch; ++n) {
      for (int64_t grp = 0; grp < group_; ++grp) {
        const float* xu = x + (n * in_c + grp * cg) * in_plane;
        const float* wu = w + grp * cg * rows;  // [cg, rows]
        float* yu = y + (n * out_c + grp * mg) * out_plane;
        for (int64_t p0 = 0; p0 < in_plane; p0 += tile) {
          const int64_t p1 = std::min(in_plane, p0 + tile), tw = p1 - p0;
          // col[rows, tw] = W_g^T[rows, cg] * X_g[cg, p0:p1]
          sgemm(ctx, true, false, rows, tw, cg, 1.0f, wu, rows, xu + p0, in_plane, 0.0f, col.data(), tw);
          ctx.parallel_for(mg, 1, [&](int64_t m0, int64_t m1) { col2im_2d_rows(col.data(), tw, p0, p1, g, m0, m1, yu); });
        }
      }
    }
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (!ctx.has_input(0) || !ctx.has_input(1)) return c;
    // Each input element meets (M / group) * kernel weights.
    const Shape& w = ctx.input_shape(1);
    double macs = static_cast<double>(std::max<int64_t>(shape_numel(ctx.input_shape(0)), 0));
    for (size_t i = 1; i < w.size(); ++i) macs *= static_cast<double>(std::max<int64_t>(w[i], 0));
    c.flops = 2.0 * macs;
    return c;
  }

 private:
  Result<TransposeGeometry> geometry(const Shape& x, const Shape& w, const Shape* b) const {
    const char* op = "ConvTranspose";
    if (x.size() < 3)
      return InvalidArgument("ConvTranspose: X " + shape_str(x) + " must have rank >= 3 (N, C, spatial...)");
    if (w.size() != x.size())
      return InvalidArgument("ConvTranspose: W " + shape_str(w) + " must have the rank of X " + shape_str(x));
    const size_t nd = x.size() - 2;
    if (nd > 2) return Unsupported("ConvTranspose: " + std::to_string(nd) + "-D is not supported (1-D and 2-D are)");
    if (x[1] >= 0 && w[0] >= 0 && (x[1] != w[0] || x[1] % group_ != 0)) {
      return InvalidArgument("ConvTranspose: X " + shape_str(x) + " has " + std::to_string(x[1]) +
                             " channels but W " + shape_str(w) + " expects " + std::to_string(w[0]) +
                             " (divisible by group " + std::to_string(group_) + ")");
    }
    const CheckedInt out_c = CheckedInt(w[1]) * group_;
    if (w[1] >= 0 && !out_c.ok()) return InvalidArgument("ConvTranspose: output channels W[1] * group overflow int64");
    if (b && (b->size() != 1 || (w[1] >= 0 && (*b)[0] >= 0 && (*b)[0] != out_c.value())))
      return InvalidArgument("ConvTranspose: B " + shape_str(*b) + " must be [" + std::to_string(out_c.value()) + "]");
    TransposeGeometry g;
    g.in.assign(x.begin() + 2, x.end());
    g.kernel.assign(w.begin() + 2, w.end());
    if (!win_.kernel_shape.empty() && win_.kernel_shape != g.kernel)
      return InvalidArgument("ConvTranspose: kernel_shape " + ints_str(win_.kernel_shape) + " does not match W " + shape_str(w));
    auto check_len = [&](const char* name, const std::vector<int64_t>& v, size_t want) -> Status {
      if (!v.empty() && v.size() != want)
        return InvalidArgument(std::string(op) + ": " + name + " " + ints_str(v) + " must have " +
                               std::to_string(want) + " values");
      return Status::Ok();
    };
    TOP_RETURN_IF_ERROR(check_len("strides", win_.strides, nd));
    TOP_RETURN_IF_ERROR(check_len("dilations", win_.dilations, nd));
    TOP_RETURN_IF_ERROR(check_len("pads", win_.pads, 2 * nd));
    TOP_RETURN_IF_ERROR(check_len("output_padding", output_padding_, nd));
    std::vector<int64_t> out_shape = output_shape_;
    if (out_shape.size() == nd + 2) out_shape.erase(out_shape.begin(), out_shape.begin() + 2);
    TOP_RETURN_IF_ERROR(check_len("output_shape", out_shape, nd));
    g.strides = win_.strides.empty() ? std::vector<int64_t>(nd, 1) : win_.strides;
    g.dilations = win_.dilations.empty() ? std::vector<int64_t>(nd, 1) : win_.dilations;
    g.pad_begin.assign(nd, 0);
    g.pad_end.assign(nd, 0);
    g.out.assign(nd, 0);
    for (size_t i = 0; i < nd; ++i) {
      if (g.kernel[i] <= 0) return InvalidArgument("ConvTranspose: W " + shape_str(w) + " has an empty or unknown kernel");
      const int64_t in = g.in[i], s = g.strides[i], adj = output_padding_.empty() ? 0 : output_padding_[i];
      if (in < 0) {
        g.out[i] = -1;
        continue;
      }
      TOP_ASSIGN_OR_RETURN(const int64_t eff_k, window_extent(g.kernel[i], g.dilations[i], op));
      const std::string dim = std::string(op) + ": output dim " + std::to_string(i) + " for input " + shape_str(x);
      TOP_ASSIGN_OR_RETURN(const int64_t full, to_dim((CheckedInt(in) - 1) * s + adj + eff_k, dim));
      int64_t target = -1;
      if (!out_shape.empty()) {
        target = out_shape[i];
      } else if (win_.auto_pad == AutoPad::kSameUpper || win_.auto_pad == AutoPad::kSameLower) {
        TOP_ASSIGN_OR_RETURN(target, to_dim(CheckedInt(in) * s, dim));
      }
      if (target >= 0) {
        const int64_t total = std::max<int64_t>(0, full - target);
        // The spec's split (ONNX Runtime agrees): SAME_UPPER puts the odd pad at the end,
        // SAME_LOWER and an explicit output_shape put it at the start.
        const int64_t small = total / 2, big = total - total / 2;
        g.pad_begin[i] = win_.auto_pad == AutoPad::kSameUpper ? small : big;
        g.pad_end[i] = win_.auto_pad == AutoPad::kSameUpper ? big : small;
        g.out[i] = target;
      } else {
        if (win_.auto_pad == AutoPad::kNotSet && !win_.pads.empty()) {
          g.pad_begin[i] = win_.pads[i];
          g.pad_end[i] = win_.pads[i + nd];
        }
        g.out[i] = full - g.pad_begin[i] - g.pad_end[i];
      }
      if (g.out[i] < 0)
        return InvalidArgument("ConvTranspose: output size is negative for input " + shape_str(x) + " with pads " +
                               ints_str(win_.pads));
    }
    return g;
  }

  WindowAttrs win_;
  int64_t group_ = 1;
  std::vector<int64_t> output_padding_;
  std::vector<int64_t> output_shape_;
};

}  // namespace

void register_conv_ops(OpRegistry& r) {
  r.add("Conv", 1, [] { return std::make_unique<ConvOp>(); });
  r.add("ConvTranspose", 1, [] { return std::make_unique<ConvTransposeOp>(); });
}

}  // namespace top::ops

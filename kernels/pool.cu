#include "kernels/pool.h"

#include <cfloat>

#include "kernels/launch_util.cuh"

namespace top::kernels {

namespace {

// Valid taps of one axis for output index o: first input index and count; `padded`
// counts the taps inside [-pad_begin, in + pad_end) (count_include_pad's divisor).
struct Taps {
  int64_t first, count, padded;
};

__device__ Taps axis_taps(const PoolGeometry& g, int a, int64_t o) {
  const int64_t k = g.kernel[a], s = g.stride[a], d = g.dilation[a], in = g.in[a];
  const int64_t start = o * s - g.pad_begin[a];
  int64_t k_lo = start < 0 ? (-start + d - 1) / d : 0;
  int64_t k_hi = (in - 1 - start) < 0 ? 0 : min(k, (in - 1 - start) / d + 1);
  k_lo = min(k_lo, k);
  if (k_hi < k_lo) k_hi = k_lo;
  const int64_t end = min(start + (k - 1) * d + 1, in + g.pad_end[a]);
  return Taps{start + k_lo * d, k_hi - k_lo, end > start ? (end - start - 1) / d + 1 : 0};
}

template <bool kMax>
__global__ void pool_kernel(const float* x, float* y, int64_t* indices, int64_t total, PoolGeometry g,
                            bool include_pad) {
  const int64_t in_plane = g.in[0] * g.in[1] * g.in[2];
  TOP_GRID_LOOP(i, total) {
    const PlaneCoord o = plane_coord(i, g.out);
    const int64_t p = o.plane;
    const Taps td = axis_taps(g, 0, o.d), th = axis_taps(g, 1, o.h), tw = axis_taps(g, 2, o.w);
    const float* xp = x + p * in_plane;
    float best = -FLT_MAX, sum = 0.0f;
    int64_t best_at = -1;
    for (int64_t a = 0, id = td.first; a < td.count; ++a, id += g.dilation[0])
      for (int64_t b = 0, ih = th.first; b < th.count; ++b, ih += g.dilation[1])
        for (int64_t c = 0, iw = tw.first; c < tw.count; ++c, iw += g.dilation[2]) {
          const int64_t at = (id * g.in[1] + ih) * g.in[2] + iw;
          const float v = xp[at];
          if (kMax) {
            // The first NaN wins and stays, as on the CPU (ops/activation_math.h).
            if (v > best || (v != v && best == best)) {
              best = v;
              best_at = at;
            }
          } else {
            sum += v;
          }
        }
    if (kMax) {
      y[i] = best;
      if (indices) indices[i] = p * in_plane + best_at;
    } else {
      const int64_t n = include_pad ? td.padded * th.padded * tw.padded : td.count * th.count * tw.count;
      y[i] = n > 0 ? sum / static_cast<float>(n) : 0.0f;
    }
  }
}

}  // namespace

cudaError_t max_pool(const float* x, float* y, int64_t* indices, int64_t planes, const PoolGeometry& g,
                     cudaStream_t stream) {
  const int64_t total = planes * g.out[0] * g.out[1] * g.out[2];
  if (total <= 0) return cudaSuccess;
  pool_kernel<true><<<grid_for(total), kThreads, 0, stream>>>(x, y, indices, total, g, false);
  return cudaGetLastError();
}

cudaError_t average_pool(const float* x, float* y, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                         cudaStream_t stream) {
  const int64_t total = planes * g.out[0] * g.out[1] * g.out[2];
  if (total <= 0) return cudaSuccess;
  pool_kernel<false><<<grid_for(total), kThreads, 0, stream>>>(x, nullptr, nullptr, total, g, count_include_pad);
  return cudaGetLastError();
}

}  // namespace top::kernels

#include <type_traits>

#include "kernels/launch_util.cuh"
#include "kernels/resize.h"
#include "src/ops/grid_sample_math.h"

namespace top::kernels {
namespace {

template <class E>
__global__ void resize_nearest_kernel(const E* x, E* y, ResizeParams p, int64_t n, E extra) {
  TOP_GRID_LOOP(i, n) {
    bool outside;
    const int64_t off = resize_nearest_source(p, i, &outside);
    y[i] = outside ? extra : x[off];
  }
}

template <class T>
__global__ void resize_interp_kernel(const T* x, T* y, ResizeParams p, int64_t n, T extra) {
  using Acc = std::conditional_t<std::is_same_v<T, double>, double, float>;
  TOP_GRID_LOOP(i, n) y[i] = resize_interpolate_at<Acc>(p, x, i, extra);
}

}  // namespace

cudaError_t resize_nearest(size_t esize, const void* x, void* y, const ResizeParams& p, int64_t n,
                           uint64_t extrapolation, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    E extra;
    memcpy(&extra, &extrapolation, sizeof(E));
    resize_nearest_kernel<E>
        <<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(x), static_cast<E*>(y), p, n, extra);
    return cudaGetLastError();
  });
}

cudaError_t resize_interpolate(DataType dt, const void* x, void* y, const ResizeParams& p, int64_t n,
                               double extrapolation, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return dispatch_dtype<float, double>(dt, [&](auto t) {
    using T = decltype(t);
    resize_interp_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), p, n,
                                                                  static_cast<T>(extrapolation));
    return cudaGetLastError();
  });
}

namespace {

template <class T>
__global__ void grid_sample_kernel(const T* x, const T* grid, T* y, int64_t total, int64_t c, int64_t h, int64_t w,
                                   int64_t points, ops::GridMode mode, ops::GridPadding pad, bool align) {
  TOP_GRID_LOOP(e, total) {
    const int64_t i = e % points, nc = e / points, n = nc / c;
    const T* pt = grid + (n * points + i) * 2;
    y[e] = static_cast<T>(ops::grid_sample_at(x + nc * h * w, h, w, pt[0], pt[1], mode, pad, align));
  }
}

}  // namespace

cudaError_t grid_sample(DataType dt, const void* x, const void* grid, void* y, int64_t n, int64_t c, int64_t h,
                        int64_t w, int64_t h_out, int64_t w_out, int mode, int padding, bool align_corners,
                        cudaStream_t stream) {
  const int64_t points = h_out * w_out, total = n * c * points;
  if (total == 0) return cudaSuccess;
  return dispatch_dtype<float, double>(dt, [&](auto t) {
    using T = decltype(t);
    grid_sample_kernel<T><<<grid_for(total), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<const T*>(grid), static_cast<T*>(y), total, c, h, w, points,
        static_cast<ops::GridMode>(mode), static_cast<ops::GridPadding>(padding), align_corners);
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

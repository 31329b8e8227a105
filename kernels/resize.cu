#include <type_traits>

#include "kernels/launch_util.cuh"
#include "kernels/resize.h"

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

}  // namespace top::kernels

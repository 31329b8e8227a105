#include "kernels/launch_util.cuh"
#include "kernels/matrix_masks.h"

namespace top::kernels {
namespace {

template <class E>
__global__ void trilu_kernel(const E* src, E* dst, int64_t n, int64_t rows, int64_t cols, bool upper, int64_t k_host,
                             const int64_t* k_device) {
  const int64_t k = k_device ? *k_device : k_host;
  TOP_GRID_LOOP(i, n) {
    const int64_t c = i % cols;
    const int64_t r = (i / cols) % rows;
    const bool keep = upper ? c - r >= k : c - r <= k;
    dst[i] = keep ? src[i] : E(0);
  }
}

template <class E>
__global__ void eye_like_kernel(E* dst, int64_t n, int64_t cols, int64_t k, E one) {
  TOP_GRID_LOOP(i, n) dst[i] = (i % cols) - (i / cols) == k ? one : E(0);
}

}  // namespace

cudaError_t trilu(size_t esize, const void* src, void* dst, int64_t matrices, int64_t rows, int64_t cols, bool upper,
                  int64_t k_host, const int64_t* k_device, cudaStream_t stream) {
  const int64_t n = matrices * rows * cols;
  if (n == 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    trilu_kernel<E><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst), n, rows,
                                                           cols, upper, k_host, k_device);
    return cudaGetLastError();
  });
}

cudaError_t eye_like(size_t esize, void* dst, int64_t rows, int64_t cols, int64_t k, uint64_t one, cudaStream_t stream) {
  const int64_t n = rows * cols;
  if (n == 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    eye_like_kernel<E><<<grid_for(n), kThreads, 0, stream>>>(static_cast<E*>(dst), n, cols, k, static_cast<E>(one));
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

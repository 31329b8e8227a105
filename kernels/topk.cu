#include "kernels/launch_util.cuh"
#include "kernels/topk.h"

namespace top::kernels {
namespace {

template <class T>
__device__ bool ranks_before(T u, int64_t i, T v, int64_t j, bool largest) {
  const bool un = u != u, vn = v != v;
  if (un || vn) return un && vn ? i < j : (un ? largest : !largest);
  if (u != v) return largest ? u > v : u < v;
  return i < j;
}

template <class T>
__global__ void topk_kernel(const T* x, T* values, int64_t* indices, int64_t outer, int64_t d, int64_t inner,
                            int64_t k, bool largest) {
  const int64_t n = outer * d * inner;
  TOP_GRID_LOOP(e, n) {
    const int64_t in = e % inner, i = (e / inner) % d, o = e / (inner * d);
    const int64_t base = o * d * inner + in;
    const T u = x[e];
    int64_t rank = 0;
    for (int64_t j = 0; j < d && rank < k; ++j)
      if (j != i && ranks_before(x[base + j * inner], j, u, i, largest)) ++rank;
    if (rank < k) {
      const int64_t at = (o * k + rank) * inner + in;
      values[at] = u;
      if (indices) indices[at] = i;
    }
  }
}

}  // namespace

cudaError_t topk(DataType dt, const void* x, void* values, int64_t* indices, int64_t outer, int64_t d, int64_t inner,
                 int64_t k, bool largest, cudaStream_t stream) {
  const int64_t n = outer * d * inner;
  if (n == 0 || k == 0) return cudaSuccess;
  return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    topk_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(values), indices,
                                                          outer, d, inner, k, largest);
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

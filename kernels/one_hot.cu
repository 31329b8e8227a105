#include "kernels/launch_util.cuh"
#include "kernels/one_hot.h"

namespace top::kernels {
namespace {

template <class E, class I>
__global__ void one_hot_kernel(const I* indices, const E* values, E* out, int64_t n, int64_t depth, int64_t inner) {
  const E off = values[0], on = values[1];
  TOP_GRID_LOOP(i, n) {
    const int64_t in = i % inner;
    const int64_t d = (i / inner) % depth;
    const int64_t o = i / (inner * depth);
    const double v = static_cast<double>(indices[o * inner + in]);
    bool hit = false;
    if (v == v && v > -9.0e18 && v < 9.0e18) {  // finite and within int64
      int64_t k = static_cast<int64_t>(v);
      if (k < 0) k += depth;
      hit = k == d;
    }
    out[i] = hit ? on : off;
  }
}

}  // namespace

cudaError_t one_hot(size_t esize, const void* indices, DataType index_dtype, const void* values, void* out,
                    int64_t outer, int64_t depth, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * depth * inner;
  if (n == 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    return dispatch_dtype<int32_t, int64_t, float, double>(index_dtype, [&](auto t) {
      using I = decltype(t);
      one_hot_kernel<E, I><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const I*>(indices),
                                                                  static_cast<const E*>(values), static_cast<E*>(out),
                                                                  n, depth, inner);
      return cudaGetLastError();
    });
  });
}

}  // namespace top::kernels

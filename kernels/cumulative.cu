#include <type_traits>

#include "kernels/cumulative.h"
#include "kernels/launch_util.cuh"

namespace top::kernels {
namespace {

template <class T>
__device__ T add_wrapping(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
  } else {
    return a + b;
  }
}

template <class T>
__global__ void cumsum_kernel(const T* src, T* dst, int64_t lines, int64_t d, int64_t inner, bool exclusive,
                              bool reverse) {
  TOP_GRID_LOOP(line, lines) {
    const int64_t base = (line / inner) * d * inner + line % inner;
    T acc = T(0);
    for (int64_t step = 0; step < d; ++step) {
      const int64_t at = base + (reverse ? d - 1 - step : step) * inner;
      const T v = src[at];
      if (exclusive) dst[at] = acc;
      acc = add_wrapping(acc, v);
      if (!exclusive) dst[at] = acc;
    }
  }
}

}  // namespace

cudaError_t cumsum(DataType dt, const void* src, void* dst, int64_t outer, int64_t d, int64_t inner, bool exclusive,
                   bool reverse, cudaStream_t stream) {
  const int64_t lines = outer * inner;
  if (lines == 0 || d == 0) return cudaSuccess;
  return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    cumsum_kernel<T><<<grid_for(lines), kThreads, 0, stream>>>(static_cast<const T*>(src), static_cast<T*>(dst), lines,
                                                                d, inner, exclusive, reverse);
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

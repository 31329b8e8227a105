#include <limits>

#include "kernels/launch_util.cuh"
#include "kernels/softmax.h"

namespace top::kernels {
namespace {

template <class T>
struct MaxOp {
  __device__ T operator()(T a, T b) const { return b > a ? b : a; }
};
template <class T>
struct AddOp {
  __device__ T operator()(T a, T b) const { return a + b; }
};

// One block per contiguous row of d elements (inner == 1).
template <class T>
__global__ void softmax_rows_kernel(bool log_mode, const T* x, T* y, int64_t rows, int64_t d) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* xr = x + r * d;
    T* yr = y + r * d;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t k = threadIdx.x; k < d; k += blockDim.x) m = xr[k] > m ? xr[k] : m;
    m = block_reduce(m, MaxOp<T>{});
    T s = 0;
    for (int64_t k = threadIdx.x; k < d; k += blockDim.x) s += exp(xr[k] - m);
    s = block_reduce(s, AddOp<T>{});
    if (log_mode) {
      const T off = m + log(s);
      for (int64_t k = threadIdx.x; k < d; k += blockDim.x) yr[k] = xr[k] - off;
    } else {
      const T inv = T(1) / s;
      for (int64_t k = threadIdx.x; k < d; k += blockDim.x) yr[k] = exp(xr[k] - m) * inv;
    }
  }
}

// One thread per column (o, j) of stride `inner`: coalesced across j.
template <class T>
__global__ void softmax_cols_kernel(SoftmaxKind kind, const T* x, T* y, int64_t outer, int64_t d, int64_t inner) {
  TOP_GRID_LOOP(t, outer * inner) {
    const int64_t o = t / inner, j = t % inner;
    const T* xc = x + o * d * inner + j;
    T* yc = y + o * d * inner + j;
    if (kind == SoftmaxKind::kHardmax) {
      int64_t best = 0;  // the first maximum, as on the CPU
      for (int64_t k = 1; k < d; ++k)
        if (xc[k * inner] > xc[best * inner]) best = k;
      for (int64_t k = 0; k < d; ++k) yc[k * inner] = k == best ? T(1) : T(0);
      continue;
    }
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < d; ++k) m = xc[k * inner] > m ? xc[k * inner] : m;
    T s = 0;
    for (int64_t k = 0; k < d; ++k) s += exp(xc[k * inner] - m);
    if (kind == SoftmaxKind::kLogSoftmax) {
      const T off = m + log(s);
      for (int64_t k = 0; k < d; ++k) yc[k * inner] = xc[k * inner] - off;
    } else {
      const T inv = T(1) / s;
      for (int64_t k = 0; k < d; ++k) yc[k * inner] = exp(xc[k * inner] - m) * inv;
    }
  }
}

}  // namespace

cudaError_t softmax(SoftmaxKind kind, DataType dt, const void* x, void* y, int64_t outer, int64_t d, int64_t inner,
                    cudaStream_t stream) {
  if (outer * d * inner == 0) return cudaSuccess;
  return dispatch_dtype<float, double>(dt, [&](auto t) {
    using T = decltype(t);
    const T* px = static_cast<const T*>(x);
    T* py = static_cast<T*>(y);
    // Long contiguous rows: a block each; otherwise (strided or short rows) a thread each.
    if (inner == 1 && kind != SoftmaxKind::kHardmax && d >= 64) {
      const unsigned blocks = static_cast<unsigned>(outer < 65535 ? outer : 65535);
      softmax_rows_kernel<T><<<blocks, kThreads, 0, stream>>>(kind == SoftmaxKind::kLogSoftmax, px, py, outer, d);
    } else {
      softmax_cols_kernel<T><<<grid_for(outer * inner), kThreads, 0, stream>>>(kind, px, py, outer, d, inner);
    }
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

#include "kernels/fill.h"

#include <cstring>

namespace top::kernels {

namespace {

template <class T>
__global__ void fill_kernel(T* dst, T value, int64_t n) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(blockDim.x) * gridDim.x)
    dst[i] = value;
}

template <class T>
cudaError_t launch_fill(void* dst, const void* value, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  T v;
  std::memcpy(&v, value, sizeof(T));
  const int threads = 256;
  const int64_t blocks = (n + threads - 1) / threads;
  fill_kernel<T><<<static_cast<unsigned>(blocks < 65535 ? blocks : 65535), threads, 0, stream>>>(static_cast<T*>(dst), v, n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t fill(void* dst, const void* value, size_t elem_bytes, int64_t n, cudaStream_t stream) {
  switch (elem_bytes) {
    case 1: return launch_fill<uint8_t>(dst, value, n, stream);
    case 2: return launch_fill<uint16_t>(dst, value, n, stream);
    case 4: return launch_fill<uint32_t>(dst, value, n, stream);
    case 8: return launch_fill<uint64_t>(dst, value, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace top::kernels

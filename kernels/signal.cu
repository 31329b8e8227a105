#include "kernels/launch_util.cuh"
#include "kernels/signal.h"

namespace top::kernels {
namespace {

template <class T>
__global__ void window_kernel(ops::WindowKind kind, T* out, int64_t n, bool periodic) {
  TOP_GRID_LOOP(i, n) { out[i] = static_cast<T>(ops::window_value(kind, i, n, periodic)); }
}

}  // namespace

cudaError_t window(ops::WindowKind kind, DataType dt, void* out, int64_t n, bool periodic, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  if (dt == DataType::kFloat32) {
    window_kernel<<<grid_for(n), kThreads, 0, stream>>>(kind, static_cast<float*>(out), n, periodic);
  } else if (dt == DataType::kFloat64) {
    window_kernel<<<grid_for(n), kThreads, 0, stream>>>(kind, static_cast<double*>(out), n, periodic);
  } else {
    return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace top::kernels

#include "kernels/einsum.h"
#include "kernels/launch_util.cuh"

namespace top::kernels {
namespace {

template <class T>
struct Operands {
  const T* p[ops::kMaxEinsumOperands];
};

template <class T, class Acc>
__global__ void einsum_kernel(ops::EinsumPlan plan, Operands<T> in, T* out, int64_t n) {
  TOP_GRID_LOOP(i, n) { out[i] = ops::einsum_element<T, Acc>(plan, in.p, i); }
}

template <class T, class Acc>
cudaError_t launch(const ops::EinsumPlan& plan, const void* const* operands, void* out, int64_t n,
                   cudaStream_t stream) {
  Operands<T> in{};
  for (int o = 0; o < plan.operands; ++o) in.p[o] = static_cast<const T*>(operands[o]);
  einsum_kernel<T, Acc><<<grid_for(n), kThreads, 0, stream>>>(plan, in, static_cast<T*>(out), n);
  return cudaGetLastError();
}

}  // namespace

cudaError_t einsum(DataType dt, const ops::EinsumPlan& plan, const void* const* operands, void* out, int64_t n,
                   cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  switch (dt) {
    case DataType::kFloat32: return launch<float, double>(plan, operands, out, n, stream);
    case DataType::kFloat64: return launch<double, double>(plan, operands, out, n, stream);
    case DataType::kInt32: return launch<int32_t, int64_t>(plan, operands, out, n, stream);
    case DataType::kInt64: return launch<int64_t, int64_t>(plan, operands, out, n, stream);
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace top::kernels

#include "kernels/launch_util.cuh"
#include "kernels/quantize.h"

namespace top::kernels {
namespace {

template <class Q>
__device__ Q saturate(float r) {
  const float lo = sizeof(Q) == 1 && Q(-1) < Q(0) ? -128.f : 0.f;
  const float hi = sizeof(Q) == 1 && Q(-1) < Q(0) ? 127.f : 255.f;
  return static_cast<Q>(fminf(fmaxf(r, lo), hi));
}

template <class Q>
__global__ void quantize_kernel(const float* x, const float* scale, const Q* zp, Q* y, int64_t n, int64_t d,
                                int64_t inner) {
  TOP_GRID_LOOP(i, n) {
    const int64_t c = (i / inner) % d;
    const float z = zp ? static_cast<float>(zp[c]) : 0.f;
    y[i] = saturate<Q>(rintf(x[i] / scale[c]) + z);
  }
}

template <class I>
__global__ void dequantize_kernel(const I* x, const float* scale, const I* zp, float* y, int64_t n, int64_t d,
                                  int64_t inner) {
  TOP_GRID_LOOP(i, n) {
    const int64_t c = (i / inner) % d;
    const int64_t z = zp ? static_cast<int64_t>(zp[c]) : 0;
    y[i] = static_cast<float>(static_cast<int64_t>(x[i]) - z) * scale[c];
  }
}

struct MinF {
  __device__ float operator()(float a, float b) const { return fminf(a, b); }
};
struct MaxF {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

__global__ void dynamic_range_kernel(const float* x, int64_t n, float* y_scale, uint8_t* y_zp) {
  float lo = 0.f, hi = 0.f;
  for (int64_t i = threadIdx.x; i < n; i += blockDim.x) {
    lo = fminf(lo, x[i]);
    hi = fmaxf(hi, x[i]);
  }
  lo = block_reduce(lo, MinF{});
  hi = block_reduce(hi, MaxF{});
  if (threadIdx.x == 0) {
    const float s = (hi - lo) / 255.f;
    *y_scale = s;
    *y_zp = s == 0.f ? 0 : saturate<uint8_t>(rintf(0.f - lo / s));
  }
}

__global__ void dynamic_quantize_kernel(const float* x, int64_t n, const float* y_scale, const uint8_t* y_zp,
                                        uint8_t* y) {
  const float s = *y_scale;
  const float z = *y_zp;
  TOP_GRID_LOOP(i, n) y[i] = s == 0.f ? static_cast<uint8_t>(z) : saturate<uint8_t>(rintf(x[i] / s) + z);
}

}  // namespace

cudaError_t quantize_linear(const float* x, const float* scale, const void* zero_point, bool out_signed, void* y,
                            int64_t outer, int64_t d, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * d * inner;
  if (n == 0) return cudaSuccess;
  if (out_signed)
    quantize_kernel<int8_t><<<grid_for(n), kThreads, 0, stream>>>(x, scale, static_cast<const int8_t*>(zero_point),
                                                                   static_cast<int8_t*>(y), n, d, inner);
  else
    quantize_kernel<uint8_t><<<grid_for(n), kThreads, 0, stream>>>(x, scale, static_cast<const uint8_t*>(zero_point),
                                                                    static_cast<uint8_t*>(y), n, d, inner);
  return cudaGetLastError();
}

cudaError_t dequantize_linear(const void* x, DataType in_dtype, const float* scale, const void* zero_point, float* y,
                              int64_t outer, int64_t d, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * d * inner;
  if (n == 0) return cudaSuccess;
  return dispatch_dtype<int8_t, uint8_t, int32_t>(in_dtype, [&](auto t) {
    using I = decltype(t);
    dequantize_kernel<I><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const I*>(x), scale,
                                                                static_cast<const I*>(zero_point), y, n, d, inner);
    return cudaGetLastError();
  });
}

cudaError_t dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* y_scale, uint8_t* y_zero_point,
                                    cudaStream_t stream) {
  dynamic_range_kernel<<<1, kThreads, 0, stream>>>(x, n, y_scale, y_zero_point);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess || n == 0 || y == nullptr) return e;
  dynamic_quantize_kernel<<<grid_for(n), kThreads, 0, stream>>>(x, n, y_scale, y_zero_point, y);
  return cudaGetLastError();
}

}  // namespace top::kernels

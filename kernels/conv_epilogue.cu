#include "kernels/conv_epilogue.h"

#include "kernels/launch_util.cuh"
#include "src/ops/activation_math.h"

namespace top::kernels {

namespace {

__device__ float activate(float v, EpilogueActivation act, float alpha, float beta) {
  switch (act) {
    case EpilogueActivation::kNone: return v;
    // The CPU epilogue's formulas (src/ops/activation_math.h): NaN stays NaN.
    case EpilogueActivation::kRelu: return ops::relu_value(v);
    case EpilogueActivation::kLeakyRelu: return ops::leaky_relu_value(v, alpha);
    case EpilogueActivation::kClip: return ops::clip_value(v, alpha, beta);
    case EpilogueActivation::kSigmoid: return 1.0f / (1.0f + expf(-v));
    case EpilogueActivation::kHardSigmoid: return ops::hard_sigmoid_value(v, alpha, beta);
    case EpilogueActivation::kHardSwish: return v * ops::hard_sigmoid_value(v, alpha, beta);
    case EpilogueActivation::kTanh: return tanhf(v);
  }
  return v;
}

__global__ void bias_residual_activation_kernel(float* y, const float* bias, int64_t channels, int64_t inner,
                                                const float* z, int64_t n, EpilogueActivation act, float alpha,
                                                float beta) {
  TOP_GRID_LOOP(i, n) {
    float v = y[i];
    if (bias) v += bias[(i / inner) % channels];
    if (z) v += z[i];
    y[i] = activate(v, act, alpha, beta);
  }
}

__global__ void broadcast_matrix_kernel(float* y, const float* c, int64_t m, int64_t n, int64_t stride_m,
                                        int64_t stride_n, float scale) {
  TOP_GRID_LOOP(i, m * n) {
    const int64_t r = i / n, col = i % n;
    y[i] = scale * c[r * stride_m + col * stride_n];
  }
}

struct Dims3 {
  int64_t in[3], pad[3], out[3];
};

__global__ void pad_planes_kernel(const float* x, float* y, int64_t total, Dims3 d) {
  TOP_GRID_LOOP(i, total) {
    const PlaneCoord o = plane_coord(i, d.out);
    const int64_t iw = o.w - d.pad[2], ih = o.h - d.pad[1], id = o.d - d.pad[0];
    const bool inside = iw >= 0 && iw < d.in[2] && ih >= 0 && ih < d.in[1] && id >= 0 && id < d.in[0];
    y[i] = inside ? x[((o.plane * d.in[0] + id) * d.in[1] + ih) * d.in[2] + iw] : 0.0f;
  }
}

}  // namespace

cudaError_t bias_residual_activation(float* y, const float* bias, int64_t channels, int64_t inner, const float* z,
                                     int64_t n, const Epilogue& epi, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (!bias && !z && epi.act == EpilogueActivation::kNone) return cudaSuccess;
  bias_residual_activation_kernel<<<grid_for(n), kThreads, 0, stream>>>(y, bias, channels > 0 ? channels : 1,
                                                                        inner > 0 ? inner : 1, z, n, epi.act,
                                                                        epi.alpha, epi.beta);
  return cudaGetLastError();
}

cudaError_t broadcast_matrix(float* y, const float* c, int64_t m, int64_t n, int64_t stride_m, int64_t stride_n,
                             float scale, cudaStream_t stream) {
  if (m * n <= 0) return cudaSuccess;
  broadcast_matrix_kernel<<<grid_for(m * n), kThreads, 0, stream>>>(y, c, m, n, stride_m, stride_n, scale);
  return cudaGetLastError();
}

cudaError_t pad_planes(const float* x, float* y, int64_t planes, const int64_t in[3], const int64_t pad_begin[3],
                       const int64_t out[3], cudaStream_t stream) {
  Dims3 d;
  for (int i = 0; i < 3; ++i) {
    d.in[i] = in[i];
    d.pad[i] = pad_begin[i];
    d.out[i] = out[i];
  }
  const int64_t total = planes * out[0] * out[1] * out[2];
  if (total <= 0) return cudaSuccess;
  pad_planes_kernel<<<grid_for(total), kThreads, 0, stream>>>(x, y, total, d);
  return cudaGetLastError();
}

}  // namespace top::kernels

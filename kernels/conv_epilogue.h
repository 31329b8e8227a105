// Epilogues of Conv, ConvTranspose and Gemm on the GPU (float32), and the explicit
// input padding Conv needs when its pads are asymmetric (cuDNN pads symmetrically).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace top::kernels {

// The fused activations of ops::FusedActivation (same order, same formulas).
enum class EpilogueActivation : int { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kHardSigmoid, kHardSwish, kTanh };

struct Epilogue {
  EpilogueActivation act = EpilogueActivation::kNone;
  float alpha = 0.0f, beta = 0.0f;
};

// y[i] = act(y[i] + bias[(i / inner) % channels] + z[i]) over n elements; bias and z
// may be null. For NCHW, channels = C and inner = H*W; for Gemm rows, inner = 1.
cudaError_t bias_residual_activation(float* y, const float* bias, int64_t channels, int64_t inner, const float* z,
                                     int64_t n, const Epilogue& epi, cudaStream_t stream);

// y[i, j] = scale * c[i * stride_m + j * stride_n] for an m x n row-major y: Gemm's C
// broadcast to the output (strides 0 on broadcast dims).
cudaError_t broadcast_matrix(float* y, const float* c, int64_t m, int64_t n, int64_t stride_m, int64_t stride_n,
                             float scale, cudaStream_t stream);

// Zero padding of `planes` planes of up to 3 spatial dims (unused leading dims are 1):
// y has dims out[d] = in[d] + pad_begin[d] + pad_end[d].
cudaError_t pad_planes(const float* x, float* y, int64_t planes, const int64_t in[3], const int64_t pad_begin[3],
                       const int64_t out[3], cudaStream_t stream);

}  // namespace top::kernels

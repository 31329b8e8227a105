// BatchNormalization (inference), InstanceNormalization and LayerNormalization, float32
// (src/ops/norm.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/index_math.h"

namespace top::kernels {

// x viewed as [n, c, plane]: y = x * a[c] + b[c], a = scale / sqrt(var + eps),
// b = bias - mean * a (per-channel parameters in device memory).
cudaError_t batch_norm(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                       float* y, int64_t n, int64_t c, int64_t plane, float epsilon, cudaStream_t stream);

// Each of `rows` rows of `cols` elements normalised: y = (x - mean) * inv * scale + bias
// with inv = 1 / sqrt(var + eps). Column j reads scale and bias at `params` operands 0
// and 1 (dims: the normalised shape; broadcast dims have stride 0). bias, mean_out and
// inv_std_out may be null.
cudaError_t layer_norm(const float* x, const float* scale, const float* bias, float* y, float* mean_out,
                       float* inv_std_out, int64_t rows, int64_t cols, const StridedIndex<2>& params, float epsilon,
                       cudaStream_t stream);

// InstanceNormalization: each of `rows` = N x C planes of `plane` elements normalised
// (mean, then the variance about it), y = (x - mean) * inv * scale[r % c] + bias[r % c].
cudaError_t instance_norm(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t c,
                          int64_t plane, float epsilon, cudaStream_t stream);

// LRN over x [n, c, plane]: y = x / (bias + alpha / size * sum of x^2 over channels
// [c - before, c + after] clipped)^beta, one thread per element.
cudaError_t lrn(const float* x, float* y, int64_t n, int64_t c, int64_t plane, int64_t before, int64_t after,
                float alpha_over_size, float beta, float bias, cudaStream_t stream);

}  // namespace top::kernels

// QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear on the device (semantics:
// src/ops/quantize.cpp): x viewed as [outer, d, inner], one scale and zero point per
// index of d. Rounding to nearest, ties to even (rintf); saturation to the int8/uint8 range.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

// y (int8 when out_signed, else uint8) from float32 x; zero_point (of y's type) may be null.
cudaError_t quantize_linear(const float* x, const float* scale, const void* zero_point, bool out_signed, void* y,
                            int64_t outer, int64_t d, int64_t inner, cudaStream_t stream);

// float32 y from x of in_dtype (int8, uint8 or int32); zero_point (of x's type) may be null.
cudaError_t dequantize_linear(const void* x, DataType in_dtype, const float* scale, const void* zero_point, float* y,
                              int64_t outer, int64_t d, int64_t inner, cudaStream_t stream);

// uint8 y, float32 *y_scale and uint8 *y_zero_point (device scalars) from n float32 x.
cudaError_t dynamic_quantize_linear(const float* x, int64_t n, uint8_t* y, float* y_scale, uint8_t* y_zero_point,
                                    cudaStream_t stream);

}  // namespace top::kernels

// MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv on the device (semantics:
// src/ops/quantized_linear_math.h, shared with the CPU kernels). One thread per output
// element; reference-grade kernels, not tensor-core integer GEMMs.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "src/ops/quantized_linear_math.h"
#include "top/tensor.h"

namespace top::kernels {

// Device pointers. Zero points have their data's dtype and hold 1 value or one per
// channel (`*_zero_count`); null means 0. y_type kInt32: the raw accumulators
// (MatMulInteger, ConvInteger); uint8/int8: requantised with the scales (QLinear*),
// y_zero then required. The channel of B's zero point and scale is the column (matmul)
// or the output channel (conv, w_*); A's/x's are per tensor, except MatMulInteger's A
// zero point, which may be per row.
struct QLinearArgs {
  DataType a_type = DataType::kUint8, b_type = DataType::kUint8, y_type = DataType::kInt32;
  const void* a = nullptr;
  const void* b = nullptr;
  const void* a_zero = nullptr;
  const void* b_zero = nullptr;
  int64_t a_zero_count = 1, b_zero_count = 1;
  const float* a_scale = nullptr;
  const float* b_scale = nullptr;
  int64_t b_scale_count = 1;
  const float* y_scale = nullptr;
  const void* y_zero = nullptr;
  const int32_t* bias = nullptr;  // QLinearConv: one per output channel
  void* y = nullptr;
};

// y[batch, m, n] from a[batch, m, k] (a_batch_stride elements apart) and b[k, n]
// (b_batch_stride apart; 0 when one B serves every batch).
cudaError_t qlinear_matmul(const QLinearArgs& args, int64_t batch, int64_t m, int64_t n, int64_t k,
                           int64_t a_batch_stride, int64_t b_batch_stride, cudaStream_t stream);

// y[batch, M, out...] from x[batch, C, in...] (args.a) and w[M, C / group, k...] (args.b).
cudaError_t qlinear_conv(const QLinearArgs& args, const ops::QConvGeometry& g, int64_t batch, cudaStream_t stream);

}  // namespace top::kernels

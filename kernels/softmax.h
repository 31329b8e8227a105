// Softmax, LogSoftmax and Hardmax over the middle dim of x viewed as [outer, d, inner]
// (the op factory folds the opset < 13 2-D coercion into that view).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

enum class SoftmaxKind : int { kSoftmax, kLogSoftmax, kHardmax };

// float32 / float64. Numerically stable (the row max is subtracted before exp).
cudaError_t softmax(SoftmaxKind kind, DataType dt, const void* x, void* y, int64_t outer, int64_t d, int64_t inner,
                    cudaStream_t stream);

}  // namespace top::kernels

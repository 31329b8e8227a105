// NegativeLogLikelihoodLoss on the device (semantics: src/ops/loss.cpp; SCE runs
// kernels::softmax's LogSoftmax first).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

// log_prob [n, c, inner], target [n, inner] (int32 or int64), weight [c] or null.
// reduction 0 = none (out [n, inner]), 1 = sum, 2 = mean (out a scalar; one block sums
// in double). A target outside [0, c) that is not the ignore index contributes nothing
// (the CPU kernel reports it; a kernel cannot).
cudaError_t nll_loss(DataType dt, const void* log_prob, const void* target, bool target_int64, const void* weight,
                     void* out, int64_t n, int64_t c, int64_t inner, bool has_ignore, int64_t ignore_index,
                     int reduction, cudaStream_t stream);

}  // namespace top::kernels

// CumSum on the device (semantics: src/ops/cumulative.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

// Running sums along d of data viewed as [outer, d, inner] (float, double, int32,
// int64; integers wrap), one thread per line.
cudaError_t cumsum(DataType dt, const void* src, void* dst, int64_t outer, int64_t d, int64_t inner, bool exclusive,
                   bool reverse, cudaStream_t stream);

}  // namespace top::kernels

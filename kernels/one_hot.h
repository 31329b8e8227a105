// OneHot on the device (semantics: src/ops/encoding.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

// out [outer, depth, inner] of esize-byte elements: values[1] where the index
// indices[o * inner + i] (of dtype index_dtype: int32, int64, float or double;
// truncated, negative from the end) equals the depth coordinate, values[0] elsewhere.
// `values` is the node's [off, on] input on the device.
cudaError_t one_hot(size_t esize, const void* indices, DataType index_dtype, const void* values, void* out,
                    int64_t outer, int64_t depth, int64_t inner, cudaStream_t stream);

}  // namespace top::kernels

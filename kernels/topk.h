// TopK on the device (semantics: src/ops/selection.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

// x viewed as [outer, d, inner]; values and indices as [outer, k, inner]. One thread
// per input element counts the elements that rank before it (better value, NaN best
// when largest, the lower index on a tie) and writes itself at that rank when it is
// below k: O(d) per element, meant for the moderate d of detection and ranking heads.
// `indices` may be null (the model omitted that output).
cudaError_t topk(DataType dt, const void* x, void* values, int64_t* indices, int64_t outer, int64_t d, int64_t inner,
                 int64_t k, bool largest, cudaStream_t stream);

}  // namespace top::kernels

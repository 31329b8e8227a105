// Fill a device buffer with one value (ConstantOfShape, Pad's constant border, ...).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace top::kernels {

// Writes `value` (elem_bytes bytes, 1/2/4/8) to n elements of dst.
cudaError_t fill(void* dst, const void* value, size_t elem_bytes, int64_t n, cudaStream_t stream);

}  // namespace top::kernels

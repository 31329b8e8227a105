// Einsum on the device (semantics: src/ops/einsum_math.h, shared with the CPU kernel).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "src/ops/einsum_math.h"
#include "top/tensor.h"

namespace top::kernels {

// One thread per output element; `operands` holds plan.operands device pointers.
// float and double sum in double, int32 and int64 in int64.
cudaError_t einsum(DataType dt, const ops::EinsumPlan& plan, const void* const* operands, void* out, int64_t n,
                   cudaStream_t stream);

}  // namespace top::kernels

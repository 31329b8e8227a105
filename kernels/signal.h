// Signal windows on the device (semantics: src/ops/window_math.h, shared with the CPU).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "src/ops/window_math.h"
#include "top/tensor.h"

namespace top::kernels {

// out[0, n) of dt (float32 or float64).
cudaError_t window(ops::WindowKind kind, DataType dt, void* out, int64_t n, bool periodic, cudaStream_t stream);

}  // namespace top::kernels

// RNN, GRU and LSTM on the device (semantics: src/ops/recurrent_math.h, shared with the
// CPU kernel in src/ops/recurrent.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "src/ops/recurrent_math.h"

namespace top::kernels {

// One block per (direction, batch) sequence runs the whole recurrence, its threads
// sharing the hidden units of each step. `q`'s pointers are device pointers;
// `scratch` holds dirs * batch * ops::rnn_scratch_floats(hidden) floats.
cudaError_t recurrent(const ops::RnnProblem& q, float* scratch, cudaStream_t stream);

}  // namespace top::kernels

// Prepare-time index spaces of the GPU data-movement and reduction operators, exposed
// so that tests/unit/cuda_index_math_test.cpp can replay them on the host
// (kernels/index_math.h) against the CPU operators: the GPU kernels' addressing is
// then checked on machines without a GPU. The factories in ops_tensor.cpp and
// ops_reduce.cpp are these functions plus a launch.
#pragma once

#include <cstdint>

#include "backend/cuda/cuda_op.h"
#include "kernels/index_math.h"
#include "kernels/reduce.h"

namespace top::cuda {

// Operands {input 0, output 0}.
Result<kernels::StridedIndex<2>> slice_index(const PrepareContext& ctx);
Result<kernels::StridedIndex<2>> transpose_index(const PrepareContext& ctx);
Result<kernels::StridedIndex<2>> tile_index(const PrepareContext& ctx);

struct PadPlan {
  kernels::PadIndex index;
  uint64_t value = 0;         // the constant's bytes (attribute, opset < 11)
  bool device_value = false;  // the constant is input 2, read on the device
};
Result<PadPlan> pad_plan(const PrepareContext& ctx);

struct ResizePlan {
  bool copy = false;  // output shape == input shape: a plain copy, as on the CPU
  kernels::ResizeParams params;
  float extrapolation = 0.0f;
  uint64_t extrapolation_bytes = 0;  // extrapolation converted to the input dtype
};
Result<ResizePlan> resize_plan(const PrepareContext& ctx, bool upsample);

// Reduce*: axes from the attribute, or from constant input 1 from `axes_input_since`.
Result<kernels::ReduceIndex> reduce_index(const PrepareContext& ctx, int axes_input_since);

}  // namespace top::cuda

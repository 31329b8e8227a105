// Slice's geometry from its starts/ends/axes/steps: ONNX clamping (negative indices
// count from the end; INT64 sentinels cannot overflow), the output shape, and the
// strided view of the input it reads. One definition for the CPU operator
// (ops/tensor.cpp) and the GPU factory (backend/cuda/ops_tensor.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct SliceParams {
  Shape out;
  std::vector<int64_t> start;  // per input dim: first index read
  std::vector<int64_t> step;   // per input dim
};

// `axes_in` / `steps_in` null when absent (all leading axes / steps of 1); errors start
// with `prefix`.
Result<SliceParams> slice_params(const Shape& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                 const std::vector<int64_t>* axes_in, const std::vector<int64_t>* steps_in,
                                 const std::string& prefix);

// The input elements the slice reads, as a view of the dense input: output element
// (i0, i1, ...) is input element offset + sum_d i_d * strides[d].
struct SliceView {
  std::vector<int64_t> strides;  // per dim, elements (negative for negative steps)
  int64_t offset = 0;
};
SliceView slice_view(const Shape& in, const SliceParams& sp);

}  // namespace top::ops

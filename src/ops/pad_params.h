// Pad's geometry: the mode attribute, and the begin/end pads per dim (from `pads` and
// optional `axes`) with the output shape. One definition for the CPU operator
// (ops/tensor.cpp) and the GPU factory (backend/cuda/ops_tensor.cpp); the per-element
// border mapping is ops::pad_source_coord (ops/coord_math.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ops/coord_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

// "constant", "reflect", "edge" or "wrap"; errors start with `prefix`.
Result<PadMode> parse_pad_mode(const std::string& mode, const std::string& prefix);

struct PadParams {
  std::vector<int64_t> begin, end;  // per input dim (negative pads crop)
  Shape out;
};

// `axes_in` null when absent (every dim); errors start with `prefix`.
Result<PadParams> pad_params(const Shape& in, const std::vector<int64_t>& pads, const std::vector<int64_t>* axes_in,
                             const std::string& prefix);

}  // namespace top::ops

// Resize/Upsample's attributes and geometry: modes, input slots per opset, and the
// output shape with per-axis scale and roi resolved from scales/sizes/roi (axes,
// keep_aspect_ratio_policy). One definition for the CPU operator (ops/resize.cpp) and
// the GPU factory (backend/cuda/ops_tensor.cpp); the per-element sampling is
// ops::resize_axis_taps (ops/coord_math.h).
#pragma once

#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ops/coord_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

struct ResizeAttrs {
  std::string name;  // "Resize" or "Upsample", for messages
  ResizeSampling sampling;
  float extrapolation = 0.0f;
  AspectPolicy policy = AspectPolicy::kStretch;
  std::vector<int64_t> axes;        // opset 18: the resized axes (empty: all)
  std::vector<float> attr_scales;   // Upsample before opset 9
  int roi_idx = -1, scales_idx = -1, sizes_idx = -1;  // input slots (-1: none)
};

Result<ResizeAttrs> parse_resize_attrs(const ir::Attributes& attrs, int opset, bool upsample);

// The resolved geometry of one resize.
struct ResizePlan {
  Shape out;
  std::vector<float> scales;  // one per input dim
  std::vector<float> roi;     // 2 * rank: starts then ends
  // The axes as the per-element sampling sees them (in_stride: dense input).
  std::vector<ResizeAxis> axes(const Shape& in) const;
};

// From whichever of roi/scales/sizes are given (null when absent or empty); errors
// start with `prefix`.
Result<ResizePlan> plan_resize(const ResizeAttrs& a, const Shape& in, const Tensor* roi, const Tensor* scales,
                               const Tensor* sizes, const std::string& prefix);

}  // namespace top::ops

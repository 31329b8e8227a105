// QuantizeLinear / DequantizeLinear (per tensor, or per axis from opset 13): the shape
// rule shared by the CPU kernels (src/ops/quantize.cpp) and the CUDA factories
// (src/backend/cuda/ops_quantize.cpp). x is viewed as [outer, d, inner] with one scale
// (and zero point) per index of d; per-tensor is d = 1.
#pragma once

#include <string>

#include "ops/op_util.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct QuantPlan {
  int64_t outer = 1, d = 1, inner = 1;
};

// `zero_point`: null when the input is absent; its shape must equal the scale's.
inline Result<QuantPlan> quant_plan(const Shape& x, const Shape& scale, const Shape* zero_point, int64_t axis,
                                    const std::string& p) {
  if (zero_point && *zero_point != scale)
    return InvalidArgument(p + "zero point " + shape_str(*zero_point) + " and scale " + shape_str(scale) + " differ");
  QuantPlan q;
  if (shape_numel(scale) == 1 && scale.size() <= 1) {
    q.inner = shape_numel(x);
    return q;
  }
  if (scale.size() != 1) return InvalidArgument(p + "scale must be a scalar or 1-D, got " + shape_str(scale));
  TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis, static_cast<int64_t>(x.size()), p + "axis: "));
  if (x[static_cast<size_t>(a)] != scale[0])
    return InvalidArgument(p + "scale " + shape_str(scale) + " does not match dim " + std::to_string(a) + " of " +
                           shape_str(x));
  const SoftmaxSplit s = softmax_split(x, a, false);
  q.outer = s.outer;
  q.d = s.d;
  q.inner = s.inner;
  return q;
}

}  // namespace top::ops

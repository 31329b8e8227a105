// OneHot's shape rule, shared by the CPU kernel (src/ops/encoding.cpp) and the CUDA
// factory (src/backend/cuda/ops_encoding.cpp): the output is the indices' shape with
// `depth` inserted at `axis`, seen as [outer, depth, inner].
#pragma once

#include <string>

#include "ops/op_util.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct OneHotPlan {
  Shape out;
  int64_t outer = 1, depth = 0, inner = 1;
};

// `depth_value`: the depth input's value (any numeric type; truncated to an integer).
inline Result<OneHotPlan> one_hot_plan(const Shape& indices, double depth_value, int64_t axis, const std::string& p) {
  if (!(depth_value >= 1) || depth_value > 9.0e15)
    return InvalidArgument(p + "depth must be at least 1, got " + std::to_string(depth_value));
  const int64_t rank = static_cast<int64_t>(indices.size()) + 1;
  TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis, rank, p + "axis: "));
  OneHotPlan plan;
  plan.depth = static_cast<int64_t>(depth_value);
  plan.out = indices;
  plan.out.insert(plan.out.begin() + a, plan.depth);
  for (int64_t d = 0; d < a; ++d) plan.outer *= indices[static_cast<size_t>(d)];
  for (size_t d = static_cast<size_t>(a); d < indices.size(); ++d) plan.inner *= indices[d];
  return plan;
}

}  // namespace top::ops

// TopK's shape rule, shared by the CPU kernel (src/ops/selection.cpp) and the CUDA
// factory (src/backend/cuda/ops_selection.cpp): both outputs are the input with the
// axis cut to k, seen as [outer, d -> k, inner].
#pragma once

#include <string>

#include "ops/op_util.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct TopKPlan {
  Shape out;
  int64_t outer = 1, d = 1, inner = 1, k = 0;
};

inline Result<TopKPlan> topk_plan(const Shape& in, int64_t axis, int64_t k, const std::string& p) {
  if (in.empty()) return InvalidArgument(p + "input must have rank >= 1");
  TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis, static_cast<int64_t>(in.size()), p + "axis: "));
  const SoftmaxSplit s = softmax_split(in, a, false);
  if (k < 0 || k > s.d)
    return InvalidArgument(p + "k " + std::to_string(k) + " must be in [0, " + std::to_string(s.d) + "]");
  TopKPlan plan;
  plan.outer = s.outer;
  plan.d = s.d;
  plan.inner = s.inner;
  plan.k = k;
  plan.out = in;
  plan.out[static_cast<size_t>(a)] = k;
  return plan;
}

}  // namespace top::ops

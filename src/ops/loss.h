// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss: the attribute and shape rules
// shared by the CPU kernels (src/ops/loss.cpp) and the CUDA factories
// (src/backend/cuda/ops_loss.cpp).
//
// input (log-probabilities, or scores for SCE) [N, C, d...], target [N, d...] of class
// indices, optional weight [C]. Element (n, j) of the target contributes
// -input[n, target, j] * weight[target], or nothing when target == ignore_index;
// "mean" divides the sum by the sum of the weights that contributed.
#pragma once

#include <optional>
#include <string>

#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

enum class LossReduction { kNone, kSum, kMean };

inline Result<LossReduction> parse_loss_reduction(const std::string& s, const std::string& p) {
  if (s == "none") return LossReduction::kNone;
  if (s == "sum") return LossReduction::kSum;
  if (s == "mean") return LossReduction::kMean;
  return InvalidArgument(p + "reduction must be none, sum or mean, got '" + s + "'");
}

struct LossPlan {
  int64_t n = 0, c = 0, inner = 1;
  Shape loss;  // the target's shape for none, a scalar otherwise
};

inline Result<LossPlan> loss_plan(const Shape& input, const Shape& target, const Shape* weight, LossReduction r,
                                  const std::string& p) {
  if (input.size() < 2) return InvalidArgument(p + "input must be [N, C, d...], got " + shape_str(input));
  Shape want(input);
  want.erase(want.begin() + 1);
  if (target != want)
    return InvalidArgument(p + "target " + shape_str(target) + " must be " + shape_str(want) + " for input " +
                           shape_str(input));
  if (weight && *weight != Shape{input[1]})
    return InvalidArgument(p + "weight " + shape_str(*weight) + " must be [" + std::to_string(input[1]) + "]");
  LossPlan plan;
  plan.n = input[0];
  plan.c = input[1];
  for (size_t d = 2; d < input.size(); ++d) plan.inner *= input[d];
  if (r == LossReduction::kNone) plan.loss = target;
  return plan;
}

}  // namespace top::ops

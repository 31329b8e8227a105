// Operator fusion at plan time: `Conv -> [Add(residual) ->] activation` and
// `Gemm -> activation` chains become one step whose kernel applies the bias, the
// residual and the activation to each output tile while it is still in cache (the
// Conv/Gemm kernels' `activation` attributes and Conv's 4th input Z). Saves a full pass
// over the tensor per fused operator and the memory of the intermediate. The activation
// may also be `Mul(x, HardSigmoid(x))`, the HardSwish that exporters write for opsets
// before 14 (fused as HardSwish with the HardSigmoid's alpha and beta).
#pragma once

namespace top::exec {

class ExecutionPlan;

// Rewrites plan.steps in place; returns how many operators were fused away. Runs
// before memory planning. Only fuses when the intermediate has exactly one reader and
// is not a graph output, so results are bit-for-bit those of the unfused kernels'
// arithmetic up to the order of the residual add.
int fuse_operators(ExecutionPlan& plan);

}  // namespace top::exec

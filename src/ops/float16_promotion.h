// float16 (and bfloat16) through float32: the kernel a plan uses for an operator that
// has no kernel of its own for those types. It converts the float16 inputs to float32 (exactly), runs the
// operator's float32 kernel and rounds its float32 outputs back to float16, so a float16
// model runs on the CPU with float32 arithmetic inside each operator and float16 values
// between them — what ONNX Runtime's CPU provider does by inserting Casts. The planner
// (exec/plan.cpp) chooses it for a node when the node's own shape rule refuses float16
// inputs and accepts the promoted ones; `toprt info` shows such steps.
#pragma once

#include <memory>

#include "ops/op.h"

namespace top::ops {

std::shared_ptr<const Op> float16_via_float32(std::shared_ptr<const Op> inner);

// True when some present input has dtype float16 or bfloat16.
bool has_float16_input(const std::vector<ValueInfo>& inputs);

}  // namespace top::ops

// Merging same-input convolutions: IOS's second stage kind ("operator merge").
//
// Convolutions that read the same tensor with the same window (kernel size, strides,
// pads, dilations, group = 1) and the same fused activation can run as ONE convolution
// whose weights are the operators' weights stacked along the output channels; each
// operator's output is then its channel range of the wide result. Inception-style
// modules have several such 1x1 branches. The wide convolution does the input's
// im2col once and one larger GEMM instead of several thin ones, which is where it pays
// on a CPU (and fewer, fuller kernels on a GPU).
//
// A schedule marks such a group with Group::merged; the stacked weights are built once
// per compiled schedule (merge_convs) and run by run_merged_conv. An executor that does
// not support merging may run a merged group's operators one by one: the result is the
// same up to float rounding of the GEMM blocking.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/plan.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top {
class ThreadPool;
}

namespace top::ops {
class Op;
}

namespace top::exec {

// Steps with equal non-empty keys may be merged: same input value, same weight shape
// apart from the output channels, same window and activation attributes, float32, no
// fused residual, group = 1. Empty when the step cannot take part.
std::string conv_merge_key(const ExecutionPlan& plan, int step);

struct MergedConv {
  std::vector<int> steps;               // in output-channel order
  std::vector<int64_t> channels;        // output channels of each step
  std::shared_ptr<const ops::Op> op;    // the wide convolution
  Tensor weight;                        // [sum channels, C, k...]
  Tensor bias;                          // [sum channels] (zeros where a step had none)
  Shape output_shape;                   // [N, sum channels, spatial...]
  ir::OpCost cost;                      // of the wide convolution
};

// InvalidArgument unless every step has the same non-empty conv_merge_key and there are
// at least two.
Result<std::shared_ptr<const MergedConv>> merge_convs(const ExecutionPlan& plan, const std::vector<int>& steps);

// Runs the wide convolution for one task and scatters its channels into the steps'
// outputs in `b`. Errors name the merged nodes.
Status run_merged_conv(const ExecutionPlan& plan, const MergedConv& m, Bindings& b, ThreadPool* pool);

// The merged convolution's work in the units the cost model uses: flops of the steps
// together, the input read once.
ir::OpCost merged_conv_cost(const ExecutionPlan& plan, const std::vector<int>& steps);

}  // namespace top::exec

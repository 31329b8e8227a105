// Conv on oneDNN (issue 12): a plan kernel (Op::plan_kernel) for one Conv step whose
// weights (and bias) are constants of the plan.
//
// The plan decides once, per step: the oneDNN primitive for exactly its shapes, the
// activation layout it runs in (plain NCHW, or oneDNN's blocked layout with reorders
// at the step's boundaries — see prefer_blocked in the .cpp), and the post-ops (bias,
// the fused residual Z as a sum, the fused activation where oneDNN computes it exactly
// as the reference does). The primitive is compiled and the weights reordered into its
// layout on the first run of the plan, once, shared by every task and stream that runs
// the plan; a plan only ever run by another backend (CUDA) never pays for it.
//
// Threads: every run sets the calling thread's OpenMP team to the stream's own thread
// count (KernelContext::num_threads), so a stream with one thread runs oneDNN on its
// own core and never a hidden team the size of the machine.
#pragma once

#include <memory>
#include <string>

#include "ops/conv_util.h"
#include "ops/op.h"

namespace top::ops {

struct OnednnConvSpec {
  Shape x, w, y;  // input, weight and output shapes (NC + 1 to 3 spatial dims)
  WindowGeometry geometry;
  int64_t group = 1;
  FusedActivation act;
  bool has_sum = false;  // fused residual Z (input 3)
};

// The oneDNN kernel for one Conv step, or null when oneDNN cannot run it (no primitive
// for these shapes, or TOP_ONEDNN=0 in the environment): the step then runs
// `reference`, the node's own kernel, which also gives the step's shape rule and cost.
std::shared_ptr<const Op> make_onednn_conv(const OnednnConvSpec& spec, const Tensor& weights, const Tensor* bias,
                                           std::shared_ptr<const Op> reference);

// True unless the environment says TOP_ONEDNN=0 (for side-by-side benchmarks).
bool onednn_enabled();

// The channel block oneDNN's convolutions run in on this CPU (ops/blocked_layout.h).
int onednn_channel_block();

}  // namespace top::ops

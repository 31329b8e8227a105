// Channel-blocked activations inside a plan (CPU).
//
// oneDNN's convolutions run in a blocked layout — [N, C/B, spatial..., B], B = 16 with
// AVX-512, 8 with AVX2 — and reordering every convolution's input and output between
// that and the plain NCHW layout cost 10-30% of a CNN (resnet50: 20%). So the plan
// decides, once, which activations stay blocked from one kernel to the next: a value
// is blocked when every step that writes or reads it takes that layout
// (Op::blocked_layouts, asked of the step's kernel). Steps that only move values
// element by element (Relu, Add of equal shapes, Concat along channels) keep whatever
// layout their neighbours agree on; anything else (Flatten, Gemm, Pad, graph inputs and
// outputs) sees plain tensors, so the reorders happen at those boundaries only, inside
// the blocked kernels that meet them.
//
// Only values whose channel count is a multiple of B are blocked: their blocked form
// has exactly the bytes of the plain one (no padding channels), which is what lets the
// element-wise kernels and the memory planner treat both alike. Values with one spatial
// element ([N, C, 1, 1]) are the same bytes in both layouts and are left plain.
#pragma once

namespace top::exec {

class ExecutionPlan;

// Sets Slot::channel_block and each step's in_blocks/out_blocks; returns how many
// values are blocked. `block` 0 (no blocked kernel on this machine) leaves all plain.
int assign_channel_blocks(ExecutionPlan& plan, int block);

}  // namespace top::exec

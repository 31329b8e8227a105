// Channel-blocked float32 tensors on the CPU (the layout exec/layout.h keeps between
// kernels): [N, C, spatial...] stored as [N, C/B, spatial..., B], C a multiple of B.
// The kernels that take this layout (oneDNN convolutions, the pools, BatchNormalization,
// channel-broadcast arithmetic) share these helpers.
#pragma once

#include <cstdint>

#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

class KernelContext;
class Op;

// B for this machine's blocked convolutions (16 with AVX-512, 8 with AVX2), or 0 when
// no kernel here runs blocked (no oneDNN, TOP_ONEDNN=0, an older ISA).
int preferred_channel_block();

// A blocked tensor as planes: `planes` = N * C/B runs of `spatial` pixels of B lanes.
struct BlockedPlanes {
  int64_t n = 0, channel_blocks = 0, spatial = 0, block = 0;
  int64_t planes() const { return n * channel_blocks; }
  // The channel of lane `lane` in plane `plane`.
  int64_t channel(int64_t plane, int64_t lane) const { return (plane % channel_blocks) * block + lane; }
};
BlockedPlanes blocked_planes(const Shape& shape, int block);

// Plain <-> blocked copies of a float32 [N, C, spatial...] tensor (C a multiple of B),
// on the context's threads.
void block_channels(const KernelContext& ctx, const Tensor& plain, int block, Tensor& blocked);
void unblock_channels(const KernelContext& ctx, const Tensor& blocked, int block, Tensor& plain);

// For kernels written for one layout across their flagged operands (a pool's X and Y):
// runs `op` with the operands flagged in `inputs`/`outputs` all blocked by `block`,
// converting those the plan gave plain into temporary copies and back. The plan puts a
// step's input and output in different layouts where their neighbours disagree.
Status run_all_blocked(const Op& op, const KernelContext& ctx, int block, uint32_t inputs, uint32_t outputs);

// The block of the first flagged operand that is blocked, or 0 when every one is plain.
int mixed_layout_block(const KernelContext& ctx, uint32_t inputs, uint32_t outputs, bool* mixed);

}  // namespace top::ops

#include "ops/blocked_layout.h"

#include <cstring>
#include <vector>

#include "ops/op.h"

#if defined(TOP_HAVE_ONEDNN)
#include "ops/onednn/onednn_conv.h"
#endif

namespace top::ops {

int preferred_channel_block() {
#if defined(TOP_HAVE_ONEDNN)
  return onednn_channel_block();
#else
  return 0;
#endif
}

BlockedPlanes blocked_planes(const Shape& shape, int block) {
  BlockedPlanes p;
  p.block = block;
  p.n = shape.empty() ? 0 : shape[0];
  p.channel_blocks = shape.size() < 2 || block <= 0 ? 0 : shape[1] / block;
  p.spatial = 1;
  for (size_t d = 2; d < shape.size(); ++d) p.spatial *= shape[d];
  return p;
}

namespace {

// One copy loop for both directions: plane i's pixel s lane l <-> channel cb*B+l's pixel s.
void copy_channels(const KernelContext& ctx, const Tensor& from, int block, Tensor& to, bool to_blocked) {
  const BlockedPlanes p = blocked_planes(from.shape(), block);
  const float* src = from.data<float>();
  float* dst = to.data<float>();
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(p.spatial * block, 1));
  ctx.parallel_for(p.planes(), grain, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t blocked_base = i * p.spatial * block;
      const int64_t plain_base = i * block * p.spatial;  // channel i*B's plane: the same offset
      for (int64_t s = 0; s < p.spatial; ++s)
        for (int l = 0; l < block; ++l) {
          const int64_t bi = blocked_base + s * block + l, pi = plain_base + l * p.spatial + s;
          if (to_blocked) dst[bi] = src[pi];
          else dst[pi] = src[bi];
        }
    }
  });
}

}  // namespace

void block_channels(const KernelContext& ctx, const Tensor& plain, int block, Tensor& blocked) {
  copy_channels(ctx, plain, block, blocked, true);
}

void unblock_channels(const KernelContext& ctx, const Tensor& blocked, int block, Tensor& plain) {
  copy_channels(ctx, blocked, block, plain, false);
}

int mixed_layout_block(const KernelContext& ctx, uint32_t inputs, uint32_t outputs, bool* mixed) {
  int block = 0;
  bool any_plain = false;
  auto note = [&](int b) {
    if (b != 0) block = b;
    else any_plain = true;
  };
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    if (layout_flag(inputs, i) && ctx.has_input(i)) note(ctx.input_block(i));
  for (size_t i = 0; i < ctx.num_outputs(); ++i)
    if (layout_flag(outputs, i) && ctx.has_output(i)) note(ctx.output_block(i));
  if (mixed) *mixed = block != 0 && any_plain;
  return block;
}

Status run_all_blocked(const Op& op, const KernelContext& ctx, int block, uint32_t inputs, uint32_t outputs) {
  std::vector<const Tensor*> ins(ctx.num_inputs(), nullptr);
  std::vector<Tensor*> outs(ctx.num_outputs(), nullptr);
  std::vector<int> in_blocks(ctx.num_inputs(), 0), out_blocks(ctx.num_outputs(), 0);
  std::vector<Tensor> temps;  // converted copies
  temps.reserve(ctx.num_inputs() + ctx.num_outputs());
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) continue;
    ins[i] = &ctx.input(i);
    in_blocks[i] = ctx.input_block(i);
    if (!layout_flag(inputs, i) || in_blocks[i] == block) continue;
    if (in_blocks[i] != 0) return Internal("two channel blocks in one step");
    TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DataType::kFloat32, ctx.input(i).shape()));
    block_channels(ctx, ctx.input(i), block, t);
    temps.push_back(std::move(t));
    ins[i] = &temps.back();
    in_blocks[i] = block;
  }
  std::vector<std::pair<size_t, size_t>> back;  // (output, temp) to convert after the run
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    if (!ctx.has_output(i)) continue;
    outs[i] = &ctx.output(i);
    out_blocks[i] = ctx.output_block(i);
    if (!layout_flag(outputs, i) || out_blocks[i] == block) continue;
    if (out_blocks[i] != 0) return Internal("two channel blocks in one step");
    TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(DataType::kFloat32, ctx.output(i).shape()));
    temps.push_back(std::move(t));
    outs[i] = &temps.back();
    out_blocks[i] = block;
    back.emplace_back(i, temps.size() - 1);
  }
  KernelContext inner(ins, outs, ctx.pool());
  inner.set_blocks(&in_blocks, &out_blocks);
  TOP_RETURN_IF_ERROR(op.compute(inner));
  for (const auto& [o, t] : back) unblock_channels(ctx, temps[t], block, ctx.output(o));
  return Status::Ok();
}

}  // namespace top::ops

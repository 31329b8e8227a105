// NASNet (models/nasnet.py): cells of five two-op blocks over the two previous cells.
#include <algorithm>
#include <array>

#include "rl/graphs/families.h"
#include "rl/graphs/graph_builder.h"

namespace top::rl {

namespace {

enum class CellOp { kSep3x3, kSep5x5, kAvg3x3, kMax3x3, kIdentity };
constexpr int kCellOps = 5;
constexpr int kBlocks = 5;

// Inputs 0 = previous-but-one cell, 1 = previous cell, 2.. = earlier blocks.
struct Block {
  CellOp op_a, op_b;
  int in_a, in_b;
};
using Genotype = std::array<Block, kBlocks>;

Genotype random_genotype(SeededRng& rng) {
  Genotype g;
  for (int i = 0; i < kBlocks; ++i)
    g[i] = {static_cast<CellOp>(rng.below(kCellOps)), static_cast<CellOp>(rng.below(kCellOps)), rng.below(2 + i),
            rng.below(2 + i)};
  return g;
}

// Relu, two 1x1 stride-2 convs on x and on x shifted by one pixel, concatenated. An odd
// size pads the shifted branch at the end so both halves agree; a 1-pixel map has
// nothing to shift.
Act factorized_reduce(GraphBuilder& b, const std::string& name, Act x, int64_t out_channels) {
  Act r = b.relu(name + "/relu", x);
  Act left = b.conv(name + "/conv1", r, out_channels / 2, 1, 2, 1, 0);
  Act shifted = x.size > 1 ? b.shift(name + "/shift", r) : r;
  Act right = b.conv(name + "/conv2", shifted, out_channels - out_channels / 2, 1, 2, 1, 0,
                     static_cast<int>(x.size > 1 ? x.size % 2 : 0));
  return b.concat(name + "/cat", {left, right});
}

Act relu_conv(GraphBuilder& b, const std::string& name, Act x, int64_t out_channels) {
  return b.conv(name + "/conv", b.relu(name + "/relu", x), out_channels, 1, 1, 1, 0);
}

// (Relu, depthwise k x k, pointwise 1x1) twice; only the first depthwise strides.
Act sep_conv(GraphBuilder& b, const std::string& name, Act x, int k, int stride) {
  for (int i = 0; i < 2; ++i) {
    const std::string n = name + "/" + std::to_string(i);
    Act dw = b.conv(n + "/dw", b.relu(n + "/relu", x), x.channels, k, i == 0 ? stride : 1, x.channels, k / 2);
    x = b.conv(n + "/pw", dw, x.channels, 1, 1, 1, 0);
  }
  return x;
}

Act cell_op(GraphBuilder& b, const std::string& name, CellOp op, Act x, int stride) {
  switch (op) {
    case CellOp::kSep3x3: return sep_conv(b, name + "/sep3", x, 3, stride);
    case CellOp::kSep5x5: return sep_conv(b, name + "/sep5", x, 5, stride);
    case CellOp::kAvg3x3: return b.pool3x3(name + "/avg", x, false, stride);
    case CellOp::kMax3x3: return b.pool3x3(name + "/max", x, true, stride);
    case CellOp::kIdentity: break;
  }
  return stride == 1 ? x : factorized_reduce(b, name + "/reduce", x, x.channels);
}

Act cell(GraphBuilder& b, const std::string& name, const Genotype& g, Act s0, Act s1, int64_t width, bool reduction,
         bool reduce_s0) {
  std::vector<Act> states = {reduce_s0 ? factorized_reduce(b, name + "/pre0", s0, width)
                                       : relu_conv(b, name + "/pre0", s0, width),
                             relu_conv(b, name + "/pre1", s1, width)};
  for (int i = 0; i < kBlocks; ++i) {
    const std::string bn = name + "/b" + std::to_string(i);
    const Block& blk = g[i];
    Act a = cell_op(b, bn + "/a", blk.op_a, states[blk.in_a], reduction && blk.in_a < 2 ? 2 : 1);
    Act c = cell_op(b, bn + "/b", blk.op_b, states[blk.in_b], reduction && blk.in_b < 2 ? 2 : 1);
    states.push_back(b.add(bn + "/add", a, c));
  }
  return b.concat(name + "/cat", {states.begin() + 2, states.end()});
}

}  // namespace

Result<std::shared_ptr<ir::Graph>> build_nasnet(const SyntheticGraphSpec& spec) {
  SeededRng wiring(derive_seed(spec.seed, 100));
  const Genotype normal = random_genotype(wiring), reduce = random_genotype(wiring);
  GraphBuilder b(spec.name(), derive_seed(spec.seed, 0));
  Act x = b.input(3, spec.resolution);
  // Large inputs are downsampled once by the stem, as NASNet's ImageNet stem does.
  x = b.conv("stem/conv", x, spec.channels, 3, spec.resolution >= 64 ? 2 : 1, 1, 1);
  Act s0 = x, s1 = x;
  int64_t width = spec.channels;
  bool reduce_s0 = false;
  for (int i = 0; i < spec.size; ++i) {
    const bool reduction = i % 3 == 2;
    // Width doubles at reductions, up to 4x (the zoo's C, 2C, 4C): a deep spec would
    // otherwise grow to thousands of channels.
    if (reduction) width = std::min<int64_t>(width * 2, 4 * spec.channels);
    Act out = cell(b, "cell" + std::to_string(i), reduction ? reduce : normal, s0, s1, width, reduction, reduce_s0);
    s0 = s1;
    s1 = out;
    reduce_s0 = reduction;
  }
  b.classifier("head", s1, kSyntheticClasses);
  return b.finish();
}

}  // namespace top::rl

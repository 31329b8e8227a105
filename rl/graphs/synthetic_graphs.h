// Synthetic task graphs for training and evaluating the GPG stage partitioner: seeded
// RandWire- and NASNet-style CNNs built directly as ir::Graphs (no ONNX file), shaped
// like the zoo's randwire and nasnet models (models/randwire.py, models/nasnet.py), and
// planned by exec::make_plan so the cost model sees real operators, shapes and FLOPs.
//
//   rl::SyntheticGraphSpec spec;            // randwire, 2 stages of WS(16, 4, 0.75)
//   spec.seed = 7;
//   auto plan = rl::synthetic_plan(spec);   // plan->steps: ~130 operators
//   for (const auto& s : rl::synthetic_suite(0, 256, false)) ...   // a training set
//
// RandWire: stem (Conv 3x3 s2, Relu, Conv 3x3 s2), then `stages` random stages, each a
// WS(size, 4, 0.75) DAG oriented low -> high index whose nodes are Add of the inputs,
// Relu, depthwise Conv 3x3 (stride 2 in nodes that read the stage input), pointwise
// Conv 1x1, and whose output is the mean (Add chain, Mul) of the sink nodes; stage i is
// channels * 2^i wide. BatchNorm is left out: the exporter folds it into the convs
// (they carry a bias, as exported convs do).
// NASNet: stem Conv 3x3 (stride 2 from resolution 64 up), then `size` cells, every
// third a reduction cell (stride 2, width doubled up to 4x channels). A cell brings the
// two previous cell outputs to its width (Relu + Conv 1x1, or a factorized reduction
// after a reduction cell), computes 5 blocks, each the Add of two ops on earlier states
// drawn by the seed from {sep conv 3x3, sep conv 5x5, avg pool 3x3, max pool 3x3,
// identity}, and concatenates the blocks; the next cell's 1x1 convs bring the width back.
// One normal and one reduction genotype per graph, repeated, as in NASNet.
// Both end in Relu, GlobalAveragePool, Flatten, Gemm (100 classes).
//
// The graph's one input "input" is float [batch, 3, resolution, resolution] with the
// batch dimension symbolic (as the zoo's exports), so the runtime may plan it for
// batches of k; synthetic_plan plans it for spec.batch. Weights are small seeded random
// numbers (never zero), one buffer per weight shape shared by the nodes of that shape:
// the graphs exist for their structure and costs, and a large spec would otherwise hold
// gigabytes.
//
// Thread safety: pure functions of the spec; safe to call from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "ir/graph.h"
#include "top/status.h"

namespace top::rl {

struct SyntheticGraphSpec {
  std::string family = "randwire";  // "randwire" or "nasnet"
  uint64_t seed = 0;
  int size = 16;        // randwire: nodes per stage (WS n); nasnet: cells (normal + reduction)
  int stages = 2;       // randwire: random stages, each halving the resolution (nasnet ignores it)
  int channels = 32;    // base width
  int resolution = 32;  // input H = W
  int batch = 1;        // the batch synthetic_plan plans for
  // Stable, unique per graph, used in reports: "randwire-n16-st2-c32-r32-s7",
  // "nasnet-n6-c32-r32-s7"; "-b4" is appended when batch != 1.
  std::string name() const;
};

// Errors: InvalidArgument naming the field for size outside 2..64, stages 1..4,
// channels 4..512, resolution 8..512, batch 1..64, or an unknown family.
Status validate(const SyntheticGraphSpec& spec);

// The ir::Graph: one float input "input" [batch, 3, res, res], one output "output"
// [batch, 100]; every node has its kernel (ops::OpRegistry::builtin()).
Result<std::shared_ptr<const ir::Graph>> synthetic_graph(const SyntheticGraphSpec& spec);
// synthetic_graph planned for [spec.batch, 3, res, res] (shape rules, folding, fusion).
Result<std::shared_ptr<const exec::ExecutionPlan>> synthetic_plan(const SyntheticGraphSpec& spec);

// `count` specs for seeds first_seed .. first_seed + count - 1, alternating randwire
// and nasnet, sizes, widths, resolutions and batches drawn from each seed: the same
// arguments always give the same list, so training takes seeds from 0 and held-out
// evaluation another range. Default sizes give randwire ~40-200 and nasnet ~60-250
// plan steps; include_large adds (about one spec in three) graphs of up to ~400 steps.
std::vector<SyntheticGraphSpec> synthetic_suite(uint64_t first_seed, int count, bool include_large);

}  // namespace top::rl

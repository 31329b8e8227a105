// ios-dp: an IOS-style dynamic-programming stage partitioner (Ding et al., "IOS:
// Inter-Operator Scheduler for CNN Acceleration", MLSys 2021).
//
// The schedule of a TaskGraph is a sequence of stages; a stage is a set of groups run
// concurrently, one stream each, each group's ops in order. The DP finds the stage
// sequence of least predicted latency:
//   best(D) = min over stages S that may start once D is done of  cost(S) + best(D ∪ S),
//   best(all ops) = 0,
// over "done" sets D (down-closed sets of ops, bitsets memoised in a hash map). IOS runs
// the same recursion from the back over "endings"; enumerating stages from the front is
// its mirror image.
//
// Stages considered from a state D (R = the ops not done):
//   * concurrent groups (IOS "parallel" stages): 1..max_groups groups, each the closure
//     of one tail op u inside R (u and its ancestors not yet done), with at most
//     max_group_size ops, pairwise disjoint (so no edges between groups);
//   * the wavefront (an addition to IOS): when more than max_groups ops are ready, all of
//     them packed onto max_groups groups, longest first onto the least loaded group that
//     has fewer than max_group_size ops (ties: lower group); skipped when they don't fit.
//     IOS's single-tail groups cannot put two independent ops on one stream.
//   * merge stages (IOS's second kind, when opts.merged_cost is set): the ready
//     convolutions of one task that read the same tensor with the same window
//     (exec::conv_merge_key), all of them as one group marked Group::merged, run as one
//     wider convolution (exec/conv_merge.h). IOS also tries subsets; we take the whole
//     set, which is what pays when merging pays at all (one im2col, one fuller GEMM).
//
// Pruning (IOS's knobs), which bounds the work on graphs of any size:
//   * max_groups (streams) and max_group_size bound the groups of a stage, and
//     max_stage_choices bounds the stages tried per state (enumeration stops there;
//     counted in IosDpStats::truncated_states);
//   * block partition: the ops, in ASAP-level order (so the k tasks of a merged graph
//     interleave), are cut into consecutive blocks of at most max_block_ops ops (64 at
//     most) whose down-closed sets number at most max_dp_states; the DP runs per block and
//     the stage lists are concatenated. The cut goes in the second half of the longest
//     block allowed: at its narrowest point when that is narrow (at most one op per task
//     whose output is read beyond the cut, e.g. a module boundary of a CNN), else at the
//     last boundary between ASAP levels, else (inside a level too wide for one block)
//     so as to split the rest of that level into equal blocks.
//   Work is at most blocks × max_dp_states × max_stage_choices stage evaluations.
//   With the default stage model the search is also branch-and-bound: the ops left
//   cost at least their total weight / max_groups + one overhead, so a stage that cannot
//   beat the best found so far is not followed (exact; often most states are never
//   visited). A custom stage_cost gives no such bound and visits every state.
//   Limitation: a level wider than a block (e.g. 16 parallel chains, or k merged tasks
//   of a wide model) is split over several blocks, costing extra stages; greedy, which
//   sees whole levels, can then win the comparison below.
//
// Stage cost: opts.stage_cost when set (memoised per distinct stage within a block);
// otherwise the groups run in parallel and a stage lasts as long as its slowest group
// (sum of op_cost, else TaskGraph::cost) plus a sync overhead opts.stage_overhead (when
// negative: 1% of the mean op weight). Non-finite costs count as unusable (+inf),
// negative ones as zero.
//
// Never slower than the baselines: the sequential and greedy schedules are costed with
// the same model and the cheapest of the three is returned (ties go to the DP, then
// sequential), named "ios-dp", "ios-dp(sequential)" or "ios-dp(greedy)". Only the DP's
// own stages obey max_group_size; the baselines keep their long single groups.
// Schedule::predicted_ms is the model's cost when op_cost or stage_cost is given (else 0,
// as the other generators: flops are not ms).
#pragma once

#include <string>
#include <vector>

#include "exec/schedule.h"
#include "sched/generators.h"
#include "top/status.h"

namespace top::sched {

struct IosDpStats {
  std::vector<int> block_ops;     // ops per block, in order
  size_t states = 0;              // DP states memoised, over all blocks
  size_t stage_evaluations = 0;   // transitions tried
  size_t truncated_states = 0;    // states where max_stage_choices stopped the enumeration
  size_t stage_cost_calls = 0;    // calls of opts.stage_cost (after memoisation)
  double dp_cost = 0;             // the DP's own schedule, before comparing with the baselines
  double sequential_cost = 0;
  double greedy_cost = 0;
  double search_ms = 0;           // wall time of the whole generator
  std::string chosen;             // "ios-dp", "sequential" or "greedy"
};

// Errors: InvalidArgument for max_groups, max_group_size, max_block_ops or
// max_stage_choices < 1, max_dp_states < 2, a TaskGraph not built from its plan, or a cycle.
Result<exec::Schedule> ios_dp_schedule(const exec::TaskGraph& g, const GeneratorOptions& opts = {},
                                       IosDpStats* stats = nullptr);

// The predicted latency of any schedule of `g` under the model ios-dp uses (sum of its
// stages' costs), so generators can be compared on equal terms.
Result<double> predicted_cost(const exec::Schedule& s, const exec::TaskGraph& g, const GeneratorOptions& opts = {});

}  // namespace top::sched

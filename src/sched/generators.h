// Schedule generators: turn a TaskGraph (one plan, k tasks merged) into a Schedule.
//   sequential – every operator in task-major plan order on one stream: one stage, one
//                group (same as one single-group stage per op, without the stage
//                boundaries); the baseline every other must beat
//   greedy     – ASAP wavefronts: each stage holds the operators whose producers are
//                done, packed into at most `max_groups` groups by chains (Nimble-like
//                stream assignment: an operator follows its producer on the same stream
//                when it can, so fewer cross-stream waits)
//                (consecutive single-group stages are merged into one)
//   ios-dp     – IOS-style dynamic programming over stage sequences (sched/ios_dp.h)
// When opts.op_cost is given, Schedule::predicted_ms is a barrier estimate: the sum over
// stages of the stage's slowest group (sum of its ops' op_cost); otherwise it stays 0.
// make_schedule("greedy") with a cost (op_cost or stage_cost) returns the sequential
// schedule, named "greedy(sequential)", when that is predicted to be faster: a chosen
// schedule is never predicted slower than sequential (ios-dp does the same itself).
// Errors: InvalidArgument for max_groups < 1, a TaskGraph not built from its plan, or a
// cycle.
// Generators are looked up by name in a registry (sched/registry.h): make_schedule
// below, GraphPolicy, RuntimeConfig and toprt all go through it, so a generator added
// from outside the library (the learned `gpg` in rl/) is selectable everywhere.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "top/status.h"

namespace top::profile {
class CostModel;
}

namespace top::sched {

struct GeneratorOptions {
  int max_groups = 2;  // streams a stage may use
  // Predicted latency of one operator (ms), for generators that balance groups; when
  // empty, TaskGraph::cost (flops) is used as the weight.
  std::function<double(const exec::OpRef&)> op_cost;

  // ios-dp only (see sched/ios_dp.h).
  // Predicted latency (ms) of one stage: its groups, each run in order on its own stream,
  // all concurrently. When empty: slowest group (sum of op_cost) + stage_overhead.
  std::function<double(const std::vector<std::vector<exec::OpRef>>& groups)> stage_cost;
  // IOS's merge stage kind (exec/conv_merge.h): predicted latency (ms) of running `ops`,
  // same-input convolutions of one task, as one wider convolution. When set, ios-dp also
  // considers stages that merge the ready convolutions sharing an input (the stage costs
  // this plus stage_overhead); when empty, no merging.
  std::function<double(const std::vector<exec::OpRef>& ops)> merged_cost;
  double stage_overhead = -1;   // sync cost per stage; < 0: 1% of the mean op weight
  int max_group_size = 8;       // ops per group in a DP stage
  int max_block_ops = 24;       // ops per DP block (at most 64)
  int max_dp_states = 8192;     // down-closed sets per DP block
  int max_stage_choices = 1024; // stages tried per DP state

  // The cost model behind op_cost / stage_cost (set by sched::cost_model_options), for
  // generators that need more than per-op costs: gpg reads its device and operator
  // estimates as features and prices its partitions with the simulator's virtual
  // executor. Empty when the options are not cost-model driven.
  std::shared_ptr<const profile::CostModel> cost_model;
  int threads_per_stream = 1;   // CPU threads per stream the costs assume
};

Result<exec::Schedule> sequential_schedule(const exec::TaskGraph& g, const GeneratorOptions& opts = {});
Result<exec::Schedule> greedy_schedule(const exec::TaskGraph& g, const GeneratorOptions& opts = {});
// What the registry's "greedy" runs: greedy_schedule, or the sequential schedule (named
// "greedy(sequential)") when a cost is given and predicts sequential faster.
Result<exec::Schedule> greedy_guarded_schedule(const exec::TaskGraph& g, const GeneratorOptions& opts = {});

// By name, through the registry (sched/registry.h): "sequential", "greedy", "ios-dp",
// and whatever else was registered ("gpg" once rl/ registered it); Unsupported otherwise.
Result<exec::Schedule> make_schedule(const std::string& generator, const exec::TaskGraph& g,
                                     const GeneratorOptions& opts = {});

}  // namespace top::sched

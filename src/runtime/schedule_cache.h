// ScheduleCache: one model's execution plans (per input shapes) and compiled schedules
// (per input shapes, tasks per instance and generator), built on first use. The
// threaded runtime and the simulator share it, so both run the very same schedules.
//
//   ScheduleCache cache(model.graph(), /*max_groups=*/num_streams, cost_model, /*threads_per_stream=*/1);
//   auto compiled = cache.schedule_for(shapes, /*k=*/2, "greedy");  // Result<...>
//
// With a cost model, generators price operators in milliseconds (sched/cost_options.h):
// greedy and ios-dp fall back to sequential when parallelism is predicted not to pay,
// and ios-dp may merge same-input convolutions. The stage model used is the barrier
// one (slowest group + overhead), which keeps ios-dp's branch-and-bound and so its
// search short on the launcher's path.
//
// Thread safety: every method may be called from any thread (one internal mutex; a
// schedule is generated outside it, so two first uses may both build, one is kept).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "ir/graph.h"
#include "profile/cost_model.h"
#include "runtime/stage_executor.h"
#include "top/status.h"

namespace top::runtime {

// Dim 0 of every input and output is the same symbolic dimension: k tasks can be one batch.
bool is_batchable(const ir::Graph& g);

class ScheduleCache {
 public:
  // `max_groups`: streams a stage may use (the executor's stream count). `cost`: prices
  // schedules (null: flop weights, no fallback to sequential, no merging).
  ScheduleCache(std::shared_ptr<const ir::Graph> graph, int max_groups,
                std::shared_ptr<const profile::CostModel> cost = nullptr, int threads_per_stream = 1);

  Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(const std::vector<Shape>& shapes);
  Result<std::shared_ptr<const exec::CompiledSchedule>> schedule_for(const std::vector<Shape>& shapes, int k,
                                                               const std::string& generator);

 private:
  std::shared_ptr<const ir::Graph> graph_;
  int max_groups_;
  std::shared_ptr<const profile::CostModel> cost_;
  int threads_per_stream_;
  std::mutex mu_;
  std::map<std::vector<Shape>, std::shared_ptr<const exec::ExecutionPlan>> plans_;
  std::map<std::string, std::shared_ptr<const exec::CompiledSchedule>> schedules_;
};

}  // namespace top::runtime

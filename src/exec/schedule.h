// Schedule: a stage partition of one schedule instance's operators, ready to run.
//
// An instance runs k tasks of one model. Its operators are (task, step) pairs: step
// indexes the ExecutionPlan's steps (k = 1 for a single task or a batch of k merged
// into one batch; k > 1 when k task graphs are merged side by side into one DAG).
// Stages run in order; the groups of a stage run concurrently, each on its own stream
// (a CPU worker thread), each group's operators in order. A group may start as soon as
// the groups it depends on (those producing its inputs) have finished — the stage list
// fixes which operators share a stream and in what order, not a global barrier.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "top/status.h"

namespace top::exec {

struct OpRef {
  int task = 0;  // 0..k-1
  int step = 0;  // index into ExecutionPlan::steps
  bool operator==(const OpRef& o) const { return task == o.task && step == o.step; }
};

struct Group {
  std::vector<OpRef> ops;  // run in this order on one stream
  // IOS's merge stage kind: the ops are same-input convolutions of one task, run as one
  // wider convolution (exec/conv_merge.h). Executors without merging run them in order.
  bool merged = false;
};

struct Stage {
  std::vector<Group> groups;  // concurrent
};

struct Schedule {
  std::shared_ptr<const ExecutionPlan> plan;
  int num_tasks = 1;             // k task graphs merged side by side
  std::vector<Stage> stages;
  std::string generator;         // "sequential", "greedy", "ios-dp", ...
  double predicted_ms = 0;       // from the cost model when the generator used one

  size_t num_groups() const;
};

// The operator DAG of k copies of a plan's steps: edges from each step to the steps
// that read its outputs, within the same task. Generators work on this.
struct TaskGraph {
  std::shared_ptr<const ExecutionPlan> plan;
  int num_tasks = 1;
  std::vector<OpRef> ops;                   // node i <-> ops[i]; task-major order
  std::vector<std::vector<int>> preds, succs;
  std::vector<double> cost;                 // per node: flops (a proxy until a cost model is given)

  static TaskGraph build(std::shared_ptr<const ExecutionPlan> plan, int num_tasks);
  int index_of(const OpRef& r) const { return r.task * static_cast<int>(plan->steps.size()) + r.step; }
};

// Every operator of every task exactly once, and every dependency satisfied: a
// producer is in an earlier stage, or earlier in the same group. The error names the
// first violation.
Status validate(const Schedule& s);

}  // namespace top::exec

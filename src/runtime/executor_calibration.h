// What the stage executor itself costs per operator group, measured on this machine.
//
// The same plan runs as one group (the sequential schedule) and as one group per
// operator (a chain of single-operator stages), alternately on a one-stream, one-thread
// StageExecutor; the difference of the medians over the extra groups is the per-group
// cost: taking a group off the ready queue, counting down its successors' dependencies,
// pushing them and notifying the other streams. The simulator adds it to every group
// (profile::Profile::group_overhead_ms), which matters for fine-grained schedules: a
// greedy schedule of a small CNN has one group per one or two operators.
#pragma once

#include <memory>
#include <vector>

#include "exec/plan.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::runtime {

// Milliseconds per group (>= 0); `repeat` alternating pairs of runs (median).
Result<double> measure_group_overhead_ms(std::shared_ptr<const exec::ExecutionPlan> plan,
                                         const std::vector<Tensor>& inputs, int repeat = 15);

}  // namespace top::runtime

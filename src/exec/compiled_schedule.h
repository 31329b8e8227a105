// CompiledSchedule: a Schedule ready for an executor — its groups flattened, the group
// dependency graph (a group may start once the groups producing its inputs are done),
// per-task activation layouts valid under the concurrency the schedule allows, and the
// wide convolutions of merged groups. Built once per schedule and shared by every
// executor that runs it: the CPU stage executor (runtime/stage_executor.h), the CUDA
// backend's schedule instances (backend/cuda/cuda_executor.h) and the simulator's
// virtual executor (backend/sim/virtual_executor.h).
#pragma once

#include <memory>
#include <vector>

#include "exec/conv_merge.h"
#include "exec/memory_plan.h"
#include "exec/schedule.h"
#include "top/status.h"

namespace top::exec {

struct CompiledSchedule {
  Schedule schedule;
  std::vector<const Group*> groups;  // flattened, stage-major
  std::vector<int> stage_of;
  std::vector<std::vector<int>> successors;  // group -> groups that read its outputs
  std::vector<int> num_deps;
  // Per task: activation offsets valid under the concurrency this schedule allows.
  std::vector<ArenaLayout> task_layouts;
  // Per group: the wide convolution of a merged group (Group::merged), else null.
  std::vector<std::shared_ptr<const MergedConv>> merged;

  static Result<std::shared_ptr<const CompiledSchedule>> compile(Schedule s);
};

}  // namespace top::exec

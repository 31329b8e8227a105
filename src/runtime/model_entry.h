// One loaded model in the threaded runtime: its queue and the launcher's bookkeeping of
// it (runtime/launcher_core.h), the inputs and callbacks of its waiting tasks, its
// schedule cache and the activation arenas its finished instances give back.
//
// Thread safety: `q`, `waiting`, `active`, `unloading` and `retired` are guarded by the
// runtime's lock; the arena pool by its own `arena_mu`; the cache locks itself.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "exec/executor.h"
#include "profile/cost_model.h"
#include "runtime/launcher_core.h"
#include "runtime/schedule_cache.h"
#include "runtime/stage_executor.h"
#include "top/model.h"
#include "top/runtime.h"

namespace top::runtime {

// A task out of its queue: the launcher's view of it plus what only the runtime keeps.
struct Task {
  QueuedTask q;
  std::vector<Tensor> inputs;
  std::function<void(TaskResult)> done;
};

struct ModelEntry {
  Model model;
  ModelQueue q;  // name, queue and launcher bookkeeping
  // Inputs and callbacks of the queued tasks, by task id.
  struct Waiting {
    std::vector<Tensor> inputs;
    std::function<void(TaskResult)> done;
  };
  std::unordered_map<uint64_t, Waiting> waiting;
  std::vector<std::weak_ptr<Instance>> active;
  bool unloading = false;
  bool retired = false;  // unloaded and every task ended: left the stats
  ScheduleCache cache;   // plans per input shapes, compiled schedules
  // Activation arenas of finished instances, reused so a launch does not allocate.
  std::mutex arena_mu;
  std::vector<exec::Arena> arena_pool;

  ModelEntry(std::string n, Model m, int max_groups, std::shared_ptr<const profile::CostModel> cost,
             int threads_per_stream);
  const std::string& name() const { return q.name; }

  // Joins a queued task with its inputs and callback.
  Task take(QueuedTask qt);

  // Fills `inst` for `tasks` (one group of equal input shapes): their inputs, concatenated
  // when `batch` (then `batch_sizes` gets each task's rows), the compiled schedule from
  // the cache for `generator`, and host arenas from the pool when `host_bindings`.
  // An error (batching, planning, out of memory) is the whole group's.
  Status prepare_instance(const std::vector<Task>& tasks, bool batch, const std::string& generator, bool host_bindings,
                          Instance& inst, std::vector<int64_t>& batch_sizes);
  // A finished instance's host arenas back to the pool (at most 64 kept).
  void recycle_arenas(Instance& inst);
};

}  // namespace top::runtime

#include "runtime/model_entry.h"

#include "runtime/batch_tensors.h"

namespace top::runtime {

ModelEntry::ModelEntry(std::string n, Model m, int max_groups, std::shared_ptr<const profile::CostModel> cost,
                       int threads_per_stream)
    : model(std::move(m)), cache(model.graph(), max_groups, std::move(cost), threads_per_stream) {
  q.name = std::move(n);
}

Task ModelEntry::take(QueuedTask qt) {
  Task t;
  auto it = waiting.find(qt.id);
  if (it != waiting.end()) {
    t.inputs = std::move(it->second.inputs);
    t.done = std::move(it->second.done);
    waiting.erase(it);
  }
  t.q = std::move(qt);
  return t;
}

Status ModelEntry::prepare_instance(const std::vector<Task>& tasks, bool batch, const std::string& generator,
                                    bool host_bindings, Instance& inst, std::vector<int64_t>& batch_sizes) {
  const int k = static_cast<int>(tasks.size());
  inst.model = name();
  try {
    std::vector<Shape> shapes = tasks[0].q.shapes;
    if (batch) {
      std::vector<Tensor> merged;
      for (size_t i = 0; i < tasks[0].inputs.size(); ++i) {
        std::vector<const Tensor*> parts;
        for (const Task& t : tasks) parts.push_back(&t.inputs[i]);
        auto m = concat_batch(parts);
        if (!m.ok()) return m.status().with_context("batching " + std::to_string(k) + " tasks");
        merged.push_back(std::move(m).value());
        shapes[i] = merged.back().shape();
      }
      for (const Task& t : tasks) batch_sizes.push_back(t.q.shapes.empty() ? 1 : t.q.shapes[0][0]);
      inst.inputs.push_back(std::move(merged));
      inst.task_ids.push_back(tasks[0].q.id);
    } else {
      for (const Task& t : tasks) {
        inst.inputs.push_back(t.inputs);
        inst.task_ids.push_back(t.q.id);
      }
    }
    TOP_ASSIGN_OR_RETURN(inst.compiled, cache.schedule_for(shapes, batch ? 1 : k, generator));
    if (!host_bindings) {  // a CUDA runner keeps device arenas itself
      inst.init_state();
      return Status::Ok();
    }
    {
      std::lock_guard<std::mutex> lock(arena_mu);
      const size_t want = inst.inputs.size();
      while (inst.arenas.size() < want && !arena_pool.empty()) {
        inst.arenas.push_back(std::move(arena_pool.back()));
        arena_pool.pop_back();
      }
      inst.arenas.resize(want);
    }
    return inst.bind();
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while preparing a schedule instance");
  }
}

void ModelEntry::recycle_arenas(Instance& inst) {
  std::lock_guard<std::mutex> lock(arena_mu);
  for (exec::Arena& a : inst.arenas)
    if (arena_pool.size() < 64) arena_pool.push_back(std::move(a));
  inst.arenas.clear();
}

}  // namespace top::runtime

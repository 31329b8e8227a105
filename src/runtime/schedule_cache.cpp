#include "runtime/schedule_cache.h"

#include "exec/schedule.h"
#include "sched/cost_options.h"
#include "sched/generators.h"

namespace top::runtime {

bool is_batchable(const ir::Graph& g) {
  std::string sym;
  auto check = [&](ir::ValueId v) {
    const ir::Value& val = g.values[v];
    if (!val.has_shape || val.shape.empty() || val.shape[0] >= 0) return false;
    const std::string& name = val.dim_names.empty() ? std::string() : val.dim_names[0];
    if (name.empty()) return false;
    if (sym.empty()) sym = name;
    return name == sym;
  };
  for (ir::ValueId v : g.inputs)
    if (!check(v)) return false;
  for (ir::ValueId v : g.outputs)
    if (!check(v)) return false;
  return !g.inputs.empty();
}

ScheduleCache::ScheduleCache(std::shared_ptr<const ir::Graph> graph, int max_groups,
                             std::shared_ptr<const profile::CostModel> cost, int threads_per_stream)
    : graph_(std::move(graph)),
      max_groups_(std::max(1, max_groups)),
      cost_(std::move(cost)),
      threads_per_stream_(threads_per_stream) {}

Result<std::shared_ptr<const exec::ExecutionPlan>> ScheduleCache::plan_for(const std::vector<Shape>& shapes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(shapes);
    if (it != plans_.end()) return it->second;
  }
  TOP_ASSIGN_OR_RETURN(auto plan, exec::make_plan(graph_, shapes));
  std::lock_guard<std::mutex> lock(mu_);
  return plans_.emplace(shapes, plan).first->second;
}

Result<std::shared_ptr<const exec::CompiledSchedule>> ScheduleCache::schedule_for(const std::vector<Shape>& shapes, int k,
                                                                            const std::string& generator) {
  std::string key;
  for (const Shape& s : shapes) key += shape_str(s) + ";";
  key += "|k=" + std::to_string(k) + "|" + generator;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = schedules_.find(key);
    if (it != schedules_.end()) return it->second;
  }
  TOP_ASSIGN_OR_RETURN(auto plan, plan_for(shapes));
  exec::TaskGraph tg = exec::TaskGraph::build(plan, k);
  sched::GeneratorOptions go;
  if (cost_) go = sched::cost_model_options(cost_, plan, threads_per_stream_, /*stage_model=*/false);
  go.max_groups = max_groups_;
  TOP_ASSIGN_OR_RETURN(exec::Schedule s, sched::make_schedule(generator, tg, go));
  TOP_ASSIGN_OR_RETURN(auto compiled, exec::CompiledSchedule::compile(std::move(s)));
  std::lock_guard<std::mutex> lock(mu_);
  return schedules_.emplace(key, compiled).first->second;
}

}  // namespace top::runtime

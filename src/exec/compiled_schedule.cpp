#include "exec/compiled_schedule.h"

#include <set>

namespace top::exec {

Result<std::shared_ptr<const CompiledSchedule>> CompiledSchedule::compile(Schedule s) {
  TOP_RETURN_IF_ERROR(validate(s));
  auto c = std::make_shared<CompiledSchedule>();
  c->schedule = std::move(s);
  const Schedule& sch = c->schedule;
  TaskGraph tg = TaskGraph::build(sch.plan, sch.num_tasks);
  std::vector<int> group_of(tg.ops.size(), -1);
  for (size_t st = 0; st < sch.stages.size(); ++st)
    for (const Group& g : sch.stages[st].groups) {
      int id = static_cast<int>(c->groups.size());
      c->groups.push_back(&g);
      c->stage_of.push_back(static_cast<int>(st));
      for (const OpRef& r : g.ops) group_of[tg.index_of(r)] = id;
      std::shared_ptr<const MergedConv> m;
      if (g.merged) {
        std::vector<int> steps;
        for (const OpRef& r : g.ops) steps.push_back(r.step);
        TOP_ASSIGN_OR_RETURN(m, merge_convs(*sch.plan, steps));
      }
      c->merged.push_back(std::move(m));
    }
  c->successors.assign(c->groups.size(), {});
  c->num_deps.assign(c->groups.size(), 0);
  std::vector<std::set<int>> preds(c->groups.size());
  for (size_t i = 0; i < tg.ops.size(); ++i)
    for (int p : tg.preds[i])
      if (group_of[p] != group_of[i]) preds[group_of[i]].insert(group_of[p]);
  for (size_t g = 0; g < preds.size(); ++g) {
    c->num_deps[g] = static_cast<int>(preds[g].size());
    for (int p : preds[g]) c->successors[p].push_back(static_cast<int>(g));
  }
  // Within a task, the only orders the executor guarantees are data dependencies and
  // the op order inside a group: memory is planned for exactly that.
  const size_t steps = sch.plan->steps.size();
  for (int t = 0; t < sch.num_tasks; ++t) {
    std::vector<std::vector<int>> hb(steps);
    for (const Group* g : c->groups) {
      int prev = -1;
      for (const OpRef& r : g->ops) {
        if (r.task != t) continue;
        if (prev >= 0) hb[prev].push_back(r.step);
        prev = r.step;
      }
    }
    c->task_layouts.push_back(plan_memory_for_order(*sch.plan, hb));
  }
  return std::shared_ptr<const CompiledSchedule>(std::move(c));
}

}  // namespace top::exec

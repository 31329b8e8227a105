#include "exec/compiled_schedule.h"

#include <algorithm>
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
  // One pass over the groups builds every task's relation (not one pass per task).
  const size_t steps = sch.plan->steps.size();
  std::vector<std::vector<std::vector<int>>> hb(sch.num_tasks, std::vector<std::vector<int>>(steps));
  std::vector<int> prev(sch.num_tasks);
  for (const Group* g : c->groups) {
    std::fill(prev.begin(), prev.end(), -1);
    for (const OpRef& r : g->ops) {
      if (prev[r.task] >= 0) hb[r.task][prev[r.task]].push_back(r.step);
      prev[r.task] = r.step;
    }
  }
  for (int t = 0; t < sch.num_tasks; ++t) c->task_layouts.push_back(plan_memory_for_order(*sch.plan, hb[t]));
  return std::shared_ptr<const CompiledSchedule>(std::move(c));
}

}  // namespace top::exec

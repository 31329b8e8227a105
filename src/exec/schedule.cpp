// TaskGraph construction and schedule validation.
#include "exec/schedule.h"

#include "exec/conv_merge.h"

#include <algorithm>
#include <string>

namespace top::exec {

size_t Schedule::num_groups() const {
  size_t n = 0;
  for (const Stage& st : stages) n += st.groups.size();
  return n;
}

namespace {

// producer[v] = the step writing value v, or -1 for graph inputs, constants and values
// no step writes. Values are ids into plan.slots, but a hand-built plan (tests) may not
// size slots, so the table grows to the largest id seen.
std::vector<int> step_producers(const ExecutionPlan& plan) {
  std::vector<int> producer;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    for (ir::ValueId v : plan.steps[i].outputs) {
      if (v < 0) continue;
      if (static_cast<size_t>(v) >= producer.size()) producer.resize(static_cast<size_t>(v) + 1, -1);
      if (producer[v] < 0) producer[v] = static_cast<int>(i);
    }
  }
  return producer;
}

// Steps whose outputs step `i` reads, unique and sorted.
std::vector<int> step_preds(const ExecutionPlan& plan, const std::vector<int>& producer, size_t i) {
  std::vector<int> preds;
  for (ir::ValueId v : plan.steps[i].inputs) {
    if (v < 0 || static_cast<size_t>(v) >= producer.size()) continue;
    int p = producer[v];
    if (p >= 0 && p != static_cast<int>(i)) preds.push_back(p);
  }
  std::sort(preds.begin(), preds.end());
  preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
  return preds;
}

std::string step_name(const ExecutionPlan& plan, int step) {
  if (step < 0 || static_cast<size_t>(step) >= plan.steps.size()) return "step " + std::to_string(step);
  ir::NodeId node = plan.steps[step].node;
  if (plan.graph && node >= 0 && static_cast<size_t>(node) < plan.graph->nodes.size() &&
      !plan.graph->nodes[node].name.empty())
    return "'" + plan.graph->nodes[node].name + "'";
  return "step " + std::to_string(step) + " (unnamed node " + std::to_string(node) + ")";
}

std::string op_desc(const ExecutionPlan& plan, const OpRef& r) {
  return "op " + step_name(plan, r.step) + " (task " + std::to_string(r.task) + ", step " +
         std::to_string(r.step) + ")";
}

std::string where(size_t stage, size_t group) {
  return "stage " + std::to_string(stage) + " group " + std::to_string(group);
}

}  // namespace

TaskGraph TaskGraph::build(std::shared_ptr<const ExecutionPlan> plan, int num_tasks) {
  TaskGraph g;
  g.plan = std::move(plan);
  g.num_tasks = num_tasks;
  if (!g.plan || num_tasks <= 0) return g;

  const ExecutionPlan& p = *g.plan;
  const int steps = static_cast<int>(p.steps.size());
  std::vector<int> producer = step_producers(p);
  std::vector<std::vector<int>> step_pred(steps);
  for (int i = 0; i < steps; ++i) step_pred[i] = step_preds(p, producer, static_cast<size_t>(i));

  const size_t n = static_cast<size_t>(num_tasks) * static_cast<size_t>(steps);
  g.ops.resize(n);
  g.preds.assign(n, {});
  g.succs.assign(n, {});
  g.cost.resize(n);
  for (int t = 0; t < num_tasks; ++t) {
    const int base = t * steps;
    for (int s = 0; s < steps; ++s) {
      const int i = base + s;
      g.ops[i] = OpRef{t, s};
      g.cost[i] = std::max(p.steps[s].cost.flops, 1.0);
      for (int q : step_pred[s]) {
        g.preds[i].push_back(base + q);
        g.succs[base + q].push_back(i);
      }
    }
  }
  // preds are sorted and unique per step; succs are appended in increasing consumer
  // order and, since each (consumer, producer) pair is added once, unique as well.
  return g;
}

// A merged group: at least two same-input convolutions of one task (exec/conv_merge.h).
static Status validate_merged(const ExecutionPlan& plan, const Group& gr, const std::string& at) {
  if (gr.ops.size() < 2) return InvalidArgument("schedule: " + at + " is merged but has fewer than two operators");
  std::string key;
  for (const OpRef& r : gr.ops) {
    if (r.step < 0 || r.step >= static_cast<int>(plan.steps.size()) || r.task != gr.ops[0].task)
      return InvalidArgument("schedule: " + at + " is merged across tasks or out of range");
    std::string k = conv_merge_key(plan, r.step);
    if (k.empty() || (!key.empty() && k != key))
      return InvalidArgument("schedule: " + at + " is merged but " + op_desc(plan, r) +
                             " is not a convolution of the same input and window as the others");
    key = k;
  }
  return Status::Ok();
}

Status validate(const Schedule& s) {
  if (!s.plan) return InvalidArgument("schedule has no plan");
  if (s.num_tasks < 1)
    return InvalidArgument("schedule has num_tasks " + std::to_string(s.num_tasks) + " (must be >= 1)");
  const ExecutionPlan& plan = *s.plan;
  const int steps = static_cast<int>(plan.steps.size());
  const size_t n = static_cast<size_t>(s.num_tasks) * static_cast<size_t>(steps);

  struct Pos {
    int stage = -1, group = -1, index = -1;
  };
  std::vector<Pos> pos(n);

  // Pass 1: ranges, empty groups, duplicates; records where every op sits.
  for (size_t si = 0; si < s.stages.size(); ++si) {
    const Stage& st = s.stages[si];
    if (st.groups.empty()) return InvalidArgument("schedule: stage " + std::to_string(si) + " has no groups");
    for (size_t gi = 0; gi < st.groups.size(); ++gi) {
      const Group& gr = st.groups[gi];
      if (gr.ops.empty()) return InvalidArgument("schedule: " + where(si, gi) + " is empty");
      if (gr.merged) TOP_RETURN_IF_ERROR(validate_merged(plan, gr, where(si, gi)));
      for (size_t oi = 0; oi < gr.ops.size(); ++oi) {
        const OpRef& r = gr.ops[oi];
        if (r.task < 0 || r.task >= s.num_tasks)
          return InvalidArgument("schedule: " + where(si, gi) + ": task index " + std::to_string(r.task) +
                                 " out of range [0, " + std::to_string(s.num_tasks) + ")");
        if (r.step < 0 || r.step >= steps)
          return InvalidArgument("schedule: " + where(si, gi) + ": step index " + std::to_string(r.step) +
                                 " out of range [0, " + std::to_string(steps) + ") (task " +
                                 std::to_string(r.task) + ")");
        Pos& p = pos[static_cast<size_t>(r.task) * steps + r.step];
        if (p.stage >= 0)
          return InvalidArgument("schedule: " + op_desc(plan, r) + " appears twice: in " +
                                 where(p.stage, p.group) + " and in " + where(si, gi));
        p = Pos{static_cast<int>(si), static_cast<int>(gi), static_cast<int>(oi)};
      }
    }
  }

  // Pass 2: every op present.
  for (size_t i = 0; i < n; ++i) {
    if (pos[i].stage < 0) {
      OpRef r{static_cast<int>(i / steps), static_cast<int>(i % steps)};
      return InvalidArgument("schedule: " + op_desc(plan, r) + " is missing");
    }
  }

  // Pass 3: dependencies, in schedule order so the first violation reported is the
  // earliest op that would read an unready input.
  std::vector<int> producer = step_producers(plan);
  std::vector<std::vector<int>> step_pred(steps);
  for (int i = 0; i < steps; ++i) step_pred[i] = step_preds(plan, producer, static_cast<size_t>(i));
  for (size_t si = 0; si < s.stages.size(); ++si) {
    for (size_t gi = 0; gi < s.stages[si].groups.size(); ++gi) {
      const Group& gr = s.stages[si].groups[gi];
      for (size_t oi = 0; oi < gr.ops.size(); ++oi) {
        const OpRef& r = gr.ops[oi];
        for (int q : step_pred[r.step]) {
          const Pos& pp = pos[static_cast<size_t>(r.task) * steps + q];
          const bool earlier_stage = pp.stage < static_cast<int>(si);
          const bool earlier_in_group = pp.stage == static_cast<int>(si) && pp.group == static_cast<int>(gi) &&
                                        pp.index < static_cast<int>(oi);
          if (earlier_stage || earlier_in_group) continue;
          std::string why = pp.stage > static_cast<int>(si)      ? "a later stage"
                            : pp.group != static_cast<int>(gi) ? "another group of the same stage"
                                                                : "later in the same group";
          return InvalidArgument("schedule: " + where(si, gi) + ": " + op_desc(plan, r) + " reads the output of " +
                                 op_desc(plan, OpRef{r.task, q}) + ", which is in " + where(pp.stage, pp.group) +
                                 " (" + why + ")");
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace top::exec

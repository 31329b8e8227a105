// Schedule generators: sequential (the baseline) and greedy (ASAP wavefronts).
#include "sched/generators.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>

#include "sched/ios_dp.h"

namespace top::sched {

using exec::Group;
using exec::OpRef;
using exec::Schedule;
using exec::Stage;
using exec::TaskGraph;

namespace {

Status check_graph(const TaskGraph& g) {
  if (!g.plan) return InvalidArgument("task graph has no plan");
  if (g.num_tasks < 1) return InvalidArgument("task graph has num_tasks " + std::to_string(g.num_tasks) + " (must be >= 1)");
  const size_t n = static_cast<size_t>(g.num_tasks) * g.plan->steps.size();
  if (g.ops.size() != n || g.preds.size() != n || g.succs.size() != n || g.cost.size() != n)
    return InvalidArgument("task graph is inconsistent with its plan (build it with TaskGraph::build)");
  return Status::Ok();
}

// Kahn's algorithm taking the smallest ready node first, so a plan whose steps are
// already topological (every ExecutionPlan) comes out in task-major plan order.
Result<std::vector<int>> topological_order(const TaskGraph& g) {
  const int n = static_cast<int>(g.ops.size());
  std::vector<int> indeg(n);
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i) {
    indeg[i] = static_cast<int>(g.preds[i].size());
    if (indeg[i] == 0) ready.push(i);
  }
  std::vector<int> order;
  order.reserve(n);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int s : g.succs[i])
      if (--indeg[s] == 0) ready.push(s);
  }
  if (static_cast<int>(order.size()) != n) {
    for (int i = 0; i < n; ++i)
      if (indeg[i] > 0)
        return InvalidArgument("task graph has a cycle through task " + std::to_string(g.ops[i].task) + " step " +
                               std::to_string(g.ops[i].step));
  }
  return order;
}

// Weight used to balance groups: the caller's predicted latency when given, else flops.
// Negative or non-finite predictions count as zero so they cannot upset the packing.
std::vector<double> op_weights(const TaskGraph& g, const GeneratorOptions& opts) {
  std::vector<double> w(g.ops.size());
  for (size_t i = 0; i < w.size(); ++i) {
    double v = opts.op_cost ? opts.op_cost(g.ops[i]) : g.cost[i];
    w[i] = (std::isfinite(v) && v > 0) ? v : 0.0;
  }
  return w;
}

// Stages run one after another and a stage lasts as long as its slowest group: a
// barrier model, pessimistic for an executor that starts groups on data readiness.
double barrier_estimate(const Schedule& s, const TaskGraph& g, const std::vector<double>& w) {
  double total = 0;
  for (const Stage& st : s.stages) {
    double slowest = 0;
    for (const Group& gr : st.groups) {
      double load = 0;
      for (const OpRef& r : gr.ops) load += w[g.index_of(r)];
      slowest = std::max(slowest, load);
    }
    total += slowest;
  }
  return total;
}

}  // namespace

// One stage holding one group with every operator in task-major topological order
// (task 0's steps in plan order, then task 1's, ...). This is the same execution as one
// single-group stage per operator, without a stage boundary between every two ops.
Result<Schedule> sequential_schedule(const TaskGraph& g, const GeneratorOptions& opts) {
  TOP_RETURN_IF_ERROR(check_graph(g));
  TOP_ASSIGN_OR_RETURN(std::vector<int> order, topological_order(g));
  Schedule s;
  s.plan = g.plan;
  s.num_tasks = g.num_tasks;
  s.generator = "sequential";
  if (!order.empty()) {
    Group gr;
    gr.ops.reserve(order.size());
    for (int i : order) gr.ops.push_back(g.ops[i]);
    s.stages.push_back(Stage{{std::move(gr)}});
  }
  if (opts.op_cost) s.predicted_ms = barrier_estimate(s, g, op_weights(g, opts));
  return s;
}

// ASAP wavefronts. Level(op) = longest path (in ops) from a source; the ops of one
// level have no path between them, so they may run concurrently and form one stage.
// Each level is packed onto `max_groups` logical streams in two passes:
//   1. chains: in decreasing weight, an op takes the stream of one of its producers
//      from the previous level, if no other op of this level has taken it yet. The op
//      then follows its producer on the same stream (no cross-stream wait), and a
//      stream gets at most one op this way, so chains cannot pile onto one stream.
//   2. balance: the remaining ops, in decreasing weight, go to the least loaded stream
//      (longest-processing-time first; ties broken by op count, then by preferring a
//      producer's stream, then by the lowest stream).
// Empty streams are dropped (groups keep stream order), and consecutive stages of a
// single group are merged into one stage: a chain runs as one group with no sync point.
// The stage count is at most the critical path length in ops.
Result<Schedule> greedy_schedule(const TaskGraph& g, const GeneratorOptions& opts) {
  TOP_RETURN_IF_ERROR(check_graph(g));
  if (opts.max_groups < 1)
    return InvalidArgument("greedy schedule: max_groups must be >= 1, got " + std::to_string(opts.max_groups));
  TOP_ASSIGN_OR_RETURN(std::vector<int> order, topological_order(g));
  const int n = static_cast<int>(g.ops.size());
  const int streams = opts.max_groups;
  const std::vector<double> w = op_weights(g, opts);

  std::vector<int> level(n, 0);
  int num_levels = 0;
  for (int i : order) {
    for (int p : g.preds[i]) level[i] = std::max(level[i], level[p] + 1);
    num_levels = std::max(num_levels, level[i] + 1);
  }
  std::vector<std::vector<int>> by_level(num_levels);
  for (int i = 0; i < n; ++i) by_level[level[i]].push_back(i);  // increasing node index

  std::vector<int> stream_of(n, -1);
  std::vector<Stage> stages;
  stages.reserve(num_levels);
  for (int L = 0; L < num_levels; ++L) {
    std::vector<int> ops = by_level[L];
    std::stable_sort(ops.begin(), ops.end(), [&](int a, int b) { return w[a] > w[b]; });

    std::vector<double> load(streams, 0.0);
    std::vector<int> count(streams, 0);
    std::vector<bool> chained(streams, false);
    auto place = [&](int op, int st) {
      stream_of[op] = st;
      load[st] += w[op];
      ++count[st];
    };
    auto producer_streams = [&](int op) {
      std::vector<int> out;
      for (int p : g.preds[op])
        if (level[p] == L - 1) out.push_back(stream_of[p]);
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    };

    // Pass 1: chains.
    for (int op : ops) {
      for (int st : producer_streams(op)) {
        if (!chained[st]) {
          chained[st] = true;
          place(op, st);
          break;
        }
      }
    }
    // Pass 2: balance.
    for (int op : ops) {
      if (stream_of[op] >= 0) continue;
      std::vector<int> mine = producer_streams(op);
      int best = 0;
      for (int st = 1; st < streams; ++st) {
        if (load[st] != load[best]) {
          if (load[st] < load[best]) best = st;
          continue;
        }
        if (count[st] != count[best]) {
          if (count[st] < count[best]) best = st;
          continue;
        }
        bool st_mine = std::binary_search(mine.begin(), mine.end(), st);
        bool best_mine = std::binary_search(mine.begin(), mine.end(), best);
        if (st_mine && !best_mine) best = st;
      }
      place(op, best);
    }

    Stage stage;
    std::vector<std::vector<int>> members(streams);
    for (int op : by_level[L]) members[stream_of[op]].push_back(op);  // node order within a group
    for (int st = 0; st < streams; ++st) {
      if (members[st].empty()) continue;
      Group gr;
      for (int op : members[st]) gr.ops.push_back(g.ops[op]);
      stage.groups.push_back(std::move(gr));
    }
    stages.push_back(std::move(stage));
  }

  Schedule s;
  s.plan = g.plan;
  s.num_tasks = g.num_tasks;
  s.generator = "greedy";
  for (Stage& st : stages) {
    if (st.groups.size() == 1 && !s.stages.empty() && s.stages.back().groups.size() == 1) {
      std::vector<OpRef>& dst = s.stages.back().groups[0].ops;
      dst.insert(dst.end(), st.groups[0].ops.begin(), st.groups[0].ops.end());
    } else {
      s.stages.push_back(std::move(st));
    }
  }
  if (opts.op_cost) s.predicted_ms = barrier_estimate(s, g, w);
  return s;
}

Result<Schedule> greedy_guarded_schedule(const TaskGraph& g, const GeneratorOptions& opts) {
  TOP_ASSIGN_OR_RETURN(Schedule s, greedy_schedule(g, opts));
  // Never slower than sequential under the model: parallelism that does not pay (tiny
  // ops, a device already full) is dropped. ios-dp makes the same comparison itself.
  if (opts.op_cost || opts.stage_cost) {
    TOP_ASSIGN_OR_RETURN(Schedule seq, sequential_schedule(g, opts));
    TOP_ASSIGN_OR_RETURN(double greedy_cost, predicted_cost(s, g, opts));
    TOP_ASSIGN_OR_RETURN(double seq_cost, predicted_cost(seq, g, opts));
    if (seq_cost < greedy_cost) {
      seq.generator = "greedy(sequential)";
      seq.predicted_ms = seq_cost;
      return seq;
    }
    s.predicted_ms = greedy_cost;
  }
  return s;
}

}  // namespace top::sched

// ios-dp: the IOS-style dynamic program over stage sequences (see ios_dp.h).
#include "sched/ios_dp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <queue>
#include <unordered_map>
#include <utility>

namespace top::sched {

using exec::Group;
using exec::OpRef;
using exec::Schedule;
using exec::Stage;
using exec::TaskGraph;

namespace {

constexpr int kMaxBlockOps = 64;  // a block's done-set is one 64-bit mask
constexpr double kInf = std::numeric_limits<double>::infinity();

inline uint64_t bit(int i) { return uint64_t{1} << i; }
inline int lowest(uint64_t m) { return __builtin_ctzll(m); }
inline int popcount(uint64_t m) { return __builtin_popcountll(m); }

// Costs from callers may be anything: NaN and +inf make a stage unusable, a negative
// cost counts as free.
double sanitize(double v) {
  if (std::isnan(v)) return kInf;
  return v < 0 ? 0.0 : v;
}

Status check_options(const GeneratorOptions& o) {
  auto bad = [](const char* what, int v, int min) {
    return InvalidArgument(std::string("ios-dp schedule: ") + what + " must be >= " + std::to_string(min) + ", got " +
                           std::to_string(v));
  };
  if (o.max_groups < 1) return bad("max_groups", o.max_groups, 1);
  if (o.max_group_size < 1) return bad("max_group_size", o.max_group_size, 1);
  if (o.max_block_ops < 1) return bad("max_block_ops", o.max_block_ops, 1);
  if (o.max_dp_states < 2) return bad("max_dp_states", o.max_dp_states, 2);
  if (o.max_stage_choices < 1) return bad("max_stage_choices", o.max_stage_choices, 1);
  return Status::Ok();
}

// The stage cost model shared by the DP and by predicted_cost().
class CostModel {
 public:
  CostModel(const TaskGraph& g, const GeneratorOptions& opts, size_t* calls) : g_(g), opts_(opts), calls_(calls) {
    w_.resize(g.ops.size());
    double total = 0;
    for (size_t i = 0; i < w_.size(); ++i) {
      double v = opts.op_cost ? opts.op_cost(g.ops[i]) : g.cost[i];
      w_[i] = (std::isfinite(v) && v > 0) ? v : 0.0;
      total += w_[i];
    }
    overhead_ = opts.stage_overhead >= 0 ? opts.stage_overhead
                                         : (w_.empty() ? 0.0 : 0.01 * total / static_cast<double>(w_.size()));
  }

  bool custom() const { return static_cast<bool>(opts_.stage_cost); }
  double weight(int node) const { return w_[node]; }
  double overhead() const { return overhead_; }

  // Groups given as node ids, each in run order.
  double stage(const std::vector<std::vector<int>>& groups) const {
    if (custom()) {
      std::vector<std::vector<OpRef>> refs(groups.size());
      for (size_t i = 0; i < groups.size(); ++i)
        for (int n : groups[i]) refs[i].push_back(g_.ops[n]);
      if (calls_) ++*calls_;
      return sanitize(opts_.stage_cost(refs));
    }
    double slowest = 0;
    for (const auto& gr : groups) {
      double load = 0;
      for (int n : gr) load += w_[n];
      slowest = std::max(slowest, load);
    }
    return slowest + overhead_;
  }

  double schedule(const Schedule& s) const {
    double total = 0;
    std::vector<std::vector<int>> groups;
    for (const Stage& st : s.stages) {
      groups.assign(st.groups.size(), {});
      for (size_t i = 0; i < st.groups.size(); ++i)
        for (const OpRef& r : st.groups[i].ops) groups[i].push_back(g_.index_of(r));
      total += stage(groups);
    }
    return total;
  }

 private:
  const TaskGraph& g_;
  const GeneratorOptions& opts_;
  size_t* calls_;
  std::vector<double> w_;
  double overhead_ = 0;
};

// Nodes sorted by ASAP level (longest path in ops from a source), then by index: a
// topological order in which the k tasks of a merged graph interleave, so a block holds
// the same depth range of every task and the DP can run tasks side by side.
std::vector<int> level_order(const TaskGraph& g, std::vector<int>& level) {
  const int n = static_cast<int>(g.ops.size());
  std::vector<int> indeg(n);
  level.assign(n, 0);
  std::queue<int> ready;
  for (int i = 0; i < n; ++i) {
    indeg[i] = static_cast<int>(g.preds[i].size());
    if (indeg[i] == 0) ready.push(i);
  }
  while (!ready.empty()) {  // the graph is known to be acyclic (sequential_schedule checked)
    int i = ready.front();
    ready.pop();
    for (int s : g.succs[i]) {
      level[s] = std::max(level[s], level[i] + 1);
      if (--indeg[s] == 0) ready.push(s);
    }
  }
  std::vector<int> order(n);
  for (int i = 0; i < n; ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return level[a] < level[b]; });
  return order;
}

// Number of down-closed subsets of order[a, a+len), counted up to `cap` (returns cap + 1
// when there are more). Include/exclude each op in order; an op may be included only when
// its in-segment producers are. Every branch ends in a distinct set, so the work is
// O(count × len).
struct DownSetCounter {
  const std::vector<uint64_t>& pred_mask;
  long cap;
  long count = 0;
  void rec(size_t i, uint64_t mask) {
    if (count > cap) return;
    if (i == pred_mask.size()) {
      ++count;
      return;
    }
    if ((pred_mask[i] & ~mask) == 0) rec(i + 1, mask | bit(static_cast<int>(i)));
    rec(i + 1, mask);
  }
};

long count_down_sets(const std::vector<uint64_t>& pred_mask, long cap) {
  DownSetCounter c{pred_mask, cap};
  c.rec(0, 0);
  return c.count;
}

// In-segment producer masks of order[a, a+len), by position in the segment.
std::vector<uint64_t> segment_preds(const TaskGraph& g, const std::vector<int>& order, const std::vector<int>& pos, int a,
                                    int len) {
  std::vector<uint64_t> m(len, 0);
  for (int i = 0; i < len; ++i)
    for (int p : g.preds[order[a + i]])
      if (pos[p] >= a && pos[p] < a + len) m[i] |= bit(pos[p] - a);
  return m;
}

// Consecutive blocks [begin, end) of the level order; see ios_dp.h.
std::vector<std::pair<int, int>> partition_blocks(const TaskGraph& g, const std::vector<int>& order,
                                                  const std::vector<int>& level, const GeneratorOptions& opts) {
  const int n = static_cast<int>(order.size());
  std::vector<int> pos(n);
  for (int i = 0; i < n; ++i) pos[order[i]] = i;
  // width[p]: ops before cut p (positions < p) whose outputs are read at or after p.
  std::vector<int> diff(n + 2, 0);
  for (int u = 0; u < n; ++u) {
    int last = -1;
    for (int s : g.succs[u]) last = std::max(last, pos[s]);
    if (last > pos[u]) {
      ++diff[pos[u] + 1];
      --diff[last + 1];
    }
  }
  std::vector<int> width(n + 1, 0);
  for (int p = 1, run = 0; p <= n; ++p) {
    run += diff[p];
    width[p] = run;
  }

  const int max_ops = std::min(opts.max_block_ops, kMaxBlockOps);
  std::vector<std::pair<int, int>> blocks;
  int start = 0;
  while (start < n) {
    // Longest allowed length: down-set counts only grow with the length (a prefix of the
    // segment is down-closed in it), so binary search.
    int lo = 1, hi = std::min(max_ops, n - start);
    while (lo < hi) {
      int mid = (lo + hi + 1) / 2;
      if (count_down_sets(segment_preds(g, order, pos, start, mid), opts.max_dp_states) <= opts.max_dp_states)
        lo = mid;
      else
        hi = mid - 1;
    }
    // Where to cut, among the second half of the allowed length: the narrowest point if
    // it is narrow (at most one live op per task: a module boundary), else the last level
    // boundary, else as late as allowed.
    int end = start + lo;
    if (end < n) {
      const int first = start + (lo + 1) / 2;
      int narrow = -1, boundary = -1;
      for (int p = end; p >= first; --p) {
        if (width[p] <= g.num_tasks && (narrow < 0 || width[p] < width[narrow])) narrow = p;
        if (boundary < 0 && level[order[p - 1]] != level[order[p]]) boundary = p;
      }
      end = narrow >= 0 ? narrow : boundary >= 0 ? boundary : end;
    }
    blocks.emplace_back(start, end);
    start = end;
  }
  return blocks;
}

// The DP on one block: local op i is order[begin + i]; masks are over local ops.
class BlockSolver {
 public:
  BlockSolver(const TaskGraph& g, const CostModel& model, const GeneratorOptions& opts, std::vector<int> nodes,
              IosDpStats& stats)
      : g_(g), model_(model), opts_(opts), nodes_(std::move(nodes)), stats_(stats) {
    const int n = static_cast<int>(nodes_.size());
    std::unordered_map<int, int> local;
    for (int i = 0; i < n; ++i) local[nodes_[i]] = i;
    anc_.assign(n, 0);
    w_.resize(n);
    for (int i = 0; i < n; ++i) {
      anc_[i] = bit(i);
      for (int p : g.preds[nodes_[i]]) {
        auto it = local.find(p);
        if (it != local.end()) anc_[i] |= anc_[it->second];  // producers come earlier in the order
      }
      w_[i] = model.weight(nodes_[i]);
    }
    full_ = n == 64 ? ~uint64_t{0} : bit(n) - 1;
    memo_.reserve(static_cast<size_t>(std::min(opts.max_dp_states, 1 << 16)));
  }

  double solve() {
    double c = best(0);
    stats_.states += memo_.size();
    return c;
  }

  // The chosen stages, in order (only when solve() returned a finite cost).
  void emit(std::vector<Stage>& out) const {
    uint64_t done = 0;
    while (done != full_) {
      std::vector<uint64_t> groups = memo_.at(done).groups;
      std::sort(groups.begin(), groups.end(), [](uint64_t a, uint64_t b) { return lowest(a) < lowest(b); });
      Stage st;
      for (uint64_t gm : groups) {
        Group gr;
        for (uint64_t m = gm; m; m &= m - 1) gr.ops.push_back(g_.ops[nodes_[lowest(m)]]);
        st.groups.push_back(std::move(gr));
        done |= gm;
      }
      out.push_back(std::move(st));
    }
  }

 private:
  struct Choice {
    double cost = kInf;
    std::vector<uint64_t> groups;
  };

  double stage_cost(std::vector<uint64_t> groups) {
    std::sort(groups.begin(), groups.end(), [](uint64_t a, uint64_t b) { return lowest(a) < lowest(b); });
    if (!model_.custom()) {
      double slowest = 0;
      for (uint64_t gm : groups) {
        double load = 0;
        for (uint64_t m = gm; m; m &= m - 1) load += w_[lowest(m)];
        slowest = std::max(slowest, load);
      }
      return slowest + model_.overhead();
    }
    auto it = stage_memo_.find(groups);
    if (it != stage_memo_.end()) return it->second;
    std::vector<std::vector<int>> ids(groups.size());
    for (size_t i = 0; i < groups.size(); ++i)
      for (uint64_t m = groups[i]; m; m &= m - 1) ids[i].push_back(nodes_[lowest(m)]);
    double c = model_.stage(ids);
    stage_memo_.emplace(std::move(groups), c);
    return c;
  }

  double best(uint64_t done) {
    if (done == full_) return 0;
    auto found = memo_.find(done);
    if (found != memo_.end()) return found->second.cost;

    const uint64_t rest = full_ & ~done;
    const int m = opts_.max_groups, r = opts_.max_group_size;
    struct Cand {
      uint64_t closure;
    };
    std::vector<Cand> cands;
    std::vector<int> ready;
    for (uint64_t x = rest; x; x &= x - 1) {
      int i = lowest(x);
      uint64_t cl = anc_[i] & rest;  // i and its ancestors not yet done (see ios_dp.h)
      if (cl == bit(i)) ready.push_back(i);
      if (popcount(cl) <= r) cands.push_back({cl});
    }

    Choice choice;
    auto consider = [&](const std::vector<uint64_t>& groups, uint64_t all) {
      ++stats_.stage_evaluations;
      double c = stage_cost(groups);
      if (!(c < kInf)) return;
      double total = c + best(done | all);
      if (total < choice.cost) {
        choice.cost = total;
        choice.groups = groups;
      }
    };

    // The wavefront: every ready op, packed onto m groups of at most r ops (LPT).
    const int nready = static_cast<int>(ready.size());
    if (nready > m && nready <= static_cast<long>(m) * r) {
      std::vector<int> by_weight = ready;
      std::stable_sort(by_weight.begin(), by_weight.end(), [&](int a, int b) { return w_[a] > w_[b]; });
      std::vector<uint64_t> groups(m, 0);
      std::vector<double> load(m, 0);
      for (int i : by_weight) {
        int g = -1;
        for (int k = 0; k < m; ++k)
          if (popcount(groups[k]) < r && (g < 0 || load[k] < load[g])) g = k;
        groups[g] |= bit(i);
        load[g] += w_[i];
      }
      uint64_t all = 0;
      for (uint64_t gm : groups) all |= gm;
      consider(groups, all);
    }

    // IOS stages: 1..m disjoint single-tail closures, tails in increasing order.
    size_t tried = 0;
    bool truncated = false;
    std::vector<uint64_t> picked;
    std::function<void(size_t, uint64_t)> extend = [&](size_t from, uint64_t all) {
      for (size_t c = from; c < cands.size(); ++c) {
        if (cands[c].closure & all) continue;
        if (tried >= static_cast<size_t>(opts_.max_stage_choices)) {
          truncated = true;
          return;
        }
        ++tried;
        picked.push_back(cands[c].closure);
        consider(picked, all | cands[c].closure);
        if (static_cast<int>(picked.size()) < m) extend(c + 1, all | cands[c].closure);
        picked.pop_back();
        if (truncated) return;
      }
    };
    extend(0, 0);
    if (truncated) ++stats_.truncated_states;

    double cost = choice.cost;
    memo_.emplace(done, std::move(choice));
    return cost;
  }

  const TaskGraph& g_;
  const CostModel& model_;
  const GeneratorOptions& opts_;
  std::vector<int> nodes_;
  IosDpStats& stats_;
  std::vector<uint64_t> anc_;  // local ancestors within the block, self included
  std::vector<double> w_;
  uint64_t full_ = 0;
  std::unordered_map<uint64_t, Choice> memo_;
  std::map<std::vector<uint64_t>, double> stage_memo_;  // custom stage_cost only
};

}  // namespace

Result<double> predicted_cost(const Schedule& s, const TaskGraph& g, const GeneratorOptions& opts) {
  if (s.plan != g.plan || s.num_tasks != g.num_tasks)
    return InvalidArgument("predicted_cost: the schedule is not of this task graph (plan or num_tasks differ)");
  TOP_RETURN_IF_ERROR(exec::validate(s));
  if (g.ops.size() != static_cast<size_t>(g.num_tasks) * g.plan->steps.size() || g.cost.size() != g.ops.size())
    return InvalidArgument("predicted_cost: task graph is inconsistent with its plan (build it with TaskGraph::build)");
  CostModel model(g, opts, nullptr);
  return model.schedule(s);
}

Result<Schedule> ios_dp_schedule(const TaskGraph& g, const GeneratorOptions& opts, IosDpStats* stats_out) {
  const auto t0 = std::chrono::steady_clock::now();
  TOP_RETURN_IF_ERROR(check_options(opts));
  // The baselines; sequential_schedule also checks the graph and rejects cycles.
  TOP_ASSIGN_OR_RETURN(Schedule seq, sequential_schedule(g, opts));
  TOP_ASSIGN_OR_RETURN(Schedule greedy, greedy_schedule(g, opts));

  IosDpStats stats;
  CostModel model(g, opts, &stats.stage_cost_calls);
  std::vector<int> level;
  const std::vector<int> order = level_order(g, level);

  Schedule dp;
  dp.plan = g.plan;
  dp.num_tasks = g.num_tasks;
  dp.generator = "ios-dp";
  bool dp_ok = true;
  for (const auto& [begin, end] : partition_blocks(g, order, level, opts)) {
    stats.block_ops.push_back(end - begin);
    BlockSolver solver(g, model, opts, std::vector<int>(order.begin() + begin, order.begin() + end), stats);
    if (!(solver.solve() < kInf)) {  // every stage unusable under opts.stage_cost
      dp_ok = false;
      break;
    }
    solver.emit(dp.stages);
  }

  // Costed the same way for all three, summing stages front to back.
  stats.sequential_cost = model.schedule(seq);
  stats.greedy_cost = model.schedule(greedy);
  stats.dp_cost = dp_ok ? model.schedule(dp) : kInf;

  Schedule chosen;
  double cost;
  if (dp_ok && stats.dp_cost <= std::min(stats.sequential_cost, stats.greedy_cost)) {
    chosen = std::move(dp);
    cost = stats.dp_cost;
    stats.chosen = "ios-dp";
  } else if (stats.sequential_cost <= stats.greedy_cost || !(stats.greedy_cost < kInf)) {
    chosen = std::move(seq);
    cost = stats.sequential_cost;
    chosen.generator = "ios-dp(sequential)";
    stats.chosen = "sequential";
  } else {
    chosen = std::move(greedy);
    cost = stats.greedy_cost;
    chosen.generator = "ios-dp(greedy)";
    stats.chosen = "greedy";
  }
  chosen.predicted_ms = (opts.op_cost || opts.stage_cost) ? cost : 0.0;
  stats.search_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (stats_out) *stats_out = std::move(stats);
  return chosen;
}

}  // namespace top::sched

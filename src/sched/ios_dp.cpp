// ios-dp: the IOS-style dynamic program over stage sequences (see ios_dp.h).
#include "sched/ios_dp.h"

#include "exec/conv_merge.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
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

// splitmix64's finaliser: a cheap, well-spread 64-bit hash.
inline size_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return static_cast<size_t>(x ^ (x >> 31));
}

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
  bool merging() const { return static_cast<bool>(opts_.merged_cost); }
  // A merge stage: the nodes (same-input convolutions) as one wide convolution.
  double merged(const std::vector<int>& nodes) const {
    std::vector<OpRef> refs;
    for (int n : nodes) refs.push_back(g_.ops[n]);
    return sanitize(opts_.merged_cost(refs)) + overhead_;
  }
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
      const bool merge_stage = st.groups.size() == 1 && st.groups[0].merged && merging();
      total += merge_stage ? merged(groups[0]) : stage(groups);
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
      if (narrow >= 0) {
        end = narrow;
      } else if (boundary >= 0) {
        end = boundary;
      } else {
        // Inside a level too wide for one block: split what is left of it evenly, so
        // that no block gets a small remainder.
        int next = end;
        while (next < n && level[order[next]] == level[order[next - 1]]) ++next;
        const int left = next - start, parts = (left + lo - 1) / lo;
        end = start + (left + parts - 1) / parts;
      }
    }
    blocks.emplace_back(start, end);
    start = end;
  }
  return blocks;
}

// Memo of the DP: done-set -> best cost from there and the first stage taken (its group
// masks, in a shared pool). Open addressing; the all-ones mask never needs storing (it is
// the full 64-op block, whose cost is 0) and marks an empty slot.
class StateTable {
 public:
  static constexpr uint64_t kEmpty = ~uint64_t{0};
  struct Entry {
    uint64_t key = kEmpty;
    double cost = 0;
    uint32_t first = 0, count = 0;  // groups: pool[first, first + count)
    bool merged = false;            // the stage is one merged group
  };

  explicit StateTable(size_t expected) {
    size_t cap = 64;
    while (cap < 2 * expected && cap < (size_t{1} << 22)) cap <<= 1;
    slots_.resize(cap);
  }
  const Entry* find(uint64_t key) const {
    for (size_t i = mix(key) & (slots_.size() - 1);; i = (i + 1) & (slots_.size() - 1)) {
      if (slots_[i].key == key) return &slots_[i];
      if (slots_[i].key == kEmpty) return nullptr;
    }
  }
  void insert(uint64_t key, double cost, const uint64_t* groups, size_t count, bool merged) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Entry e{key, cost, static_cast<uint32_t>(pool_.size()), static_cast<uint32_t>(count), merged};
    pool_.insert(pool_.end(), groups, groups + count);
    place(e);
    ++size_;
  }
  size_t size() const { return size_; }
  std::vector<uint64_t> groups(const Entry& e) const {
    return std::vector<uint64_t>(pool_.begin() + e.first, pool_.begin() + e.first + e.count);
  }

 private:
  void place(const Entry& e) {
    size_t i = mix(e.key) & (slots_.size() - 1);
    while (slots_[i].key != kEmpty) i = (i + 1) & (slots_.size() - 1);
    slots_[i] = e;
  }
  void grow() {
    std::vector<Entry> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Entry& e : old)
      if (e.key != kEmpty) place(e);
  }
  std::vector<Entry> slots_;
  std::vector<uint64_t> pool_;
  size_t size_ = 0;
};

// The DP on one block: local op i is nodes[i] (level order); masks are over local ops.
class BlockSolver {
 public:
  BlockSolver(const TaskGraph& g, const CostModel& model, const GeneratorOptions& opts, std::vector<int> nodes,
              IosDpStats& stats)
      : g_(g),
        model_(model),
        opts_(opts),
        nodes_(std::move(nodes)),
        stats_(stats),
        memo_(static_cast<size_t>(std::min(opts.max_dp_states, 1 << 20))) {
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
    // Same-input convolutions of one task share a merge class (-1: not mergeable).
    merge_class_.assign(n, -1);
    if (model.merging()) {
      std::unordered_map<std::string, int> classes;
      for (int i = 0; i < n; ++i) {
        const OpRef& r = g.ops[nodes_[i]];
        std::string key = exec::conv_merge_key(*g.plan, r.step);
        if (key.empty()) continue;
        key += "|task=" + std::to_string(r.task);
        merge_class_[i] = classes.emplace(key, static_cast<int>(classes.size())).first->second;
      }
    }
    full_ = n == 64 ? ~uint64_t{0} : bit(n) - 1;
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
      const StateTable::Entry& entry = *memo_.find(done);
      std::vector<uint64_t> groups = memo_.groups(entry);
      std::sort(groups.begin(), groups.end(), [](uint64_t a, uint64_t b) { return lowest(a) < lowest(b); });
      Stage st;
      for (uint64_t gm : groups) {
        Group gr;
        gr.merged = entry.merged;
        for (uint64_t m = gm; m; m &= m - 1) gr.ops.push_back(g_.ops[nodes_[lowest(m)]]);
        st.groups.push_back(std::move(gr));
        done |= gm;
      }
      out.push_back(std::move(st));
    }
  }

 private:
  struct Cand {
    uint64_t closure;
    double weight;
  };
  // One DP state's enumeration.
  struct Frame {
    uint64_t done;
    std::vector<Cand> cands;
    std::vector<uint64_t> picked;  // current stage
    std::vector<uint64_t> best_groups;
    bool picked_merged = false, best_merged = false;
    double work = 0;  // of the ops not done
    double best = kInf;
    size_t tried = 0;
    bool truncated = false;
  };

  // opts.merged_cost of the convolutions in `mask`, memoised per mask.
  double merged_cost(uint64_t mask) {
    auto it = merged_memo_.find(mask);
    if (it != merged_memo_.end()) return it->second;
    std::vector<int> ids;
    for (uint64_t m = mask; m; m &= m - 1) ids.push_back(nodes_[lowest(m)]);
    return merged_memo_[mask] = model_.merged(ids);
  }

  // opts.stage_cost, memoised per distinct stage (the groups as a set: an order-free
  // hash, then a comparison).
  double custom_cost(const std::vector<uint64_t>& groups, uint64_t all) {
    if (stage_slots_.empty()) stage_slots_.resize(1024);
    uint64_t h = all;
    for (uint64_t gm : groups) h += mix(gm);
    const size_t mask = stage_slots_.size() - 1;
    size_t i = mix(h) & mask;
    for (; stage_slots_[i].count; i = (i + 1) & mask) {
      const StageSlot& e = stage_slots_[i];
      if (e.hash != h || e.all != all || e.count != groups.size()) continue;
      bool same = true;
      for (uint64_t gm : groups)
        same = same && std::find(stage_pool_.begin() + e.first, stage_pool_.begin() + e.first + e.count, gm) !=
                           stage_pool_.begin() + e.first + e.count;
      if (same) return e.cost;
    }
    std::vector<uint64_t> sorted = groups;
    std::sort(sorted.begin(), sorted.end(), [](uint64_t a, uint64_t b) { return lowest(a) < lowest(b); });
    std::vector<std::vector<int>> ids(sorted.size());
    for (size_t k = 0; k < sorted.size(); ++k)
      for (uint64_t m = sorted[k]; m; m &= m - 1) ids[k].push_back(nodes_[lowest(m)]);
    const double c = model_.stage(ids);
    stage_slots_[i] = StageSlot{h, all, stage_pool_.size(), groups.size(), c};
    stage_pool_.insert(stage_pool_.end(), groups.begin(), groups.end());
    if (2 * ++stage_count_ > stage_slots_.size()) grow_stage_cache();
    return c;
  }

  void grow_stage_cache() {
    std::vector<StageSlot> old(stage_slots_.size() * 2);
    old.swap(stage_slots_);
    const size_t mask = stage_slots_.size() - 1;
    for (const StageSlot& e : old) {
      if (!e.count) continue;
      size_t i = mix(e.hash) & mask;
      while (stage_slots_[i].count) i = (i + 1) & mask;
      stage_slots_[i] = e;
    }
  }

  // Stage `f.picked` (covering `all`, of total weight `work`), whose slowest group weighs
  // `slowest`. The default model bounds what the rest can cost from below: every stage
  // lasts at least its work spread over max_groups streams, plus the overhead.
  void consider(Frame& f, uint64_t all, double slowest, double work) {
    ++stats_.stage_evaluations;
    double c, bound = 0;
    if (f.picked_merged) {
      c = merged_cost(all);
    } else if (model_.custom()) {
      c = custom_cost(f.picked, all);
    } else {
      c = slowest + model_.overhead();
      const double left = f.work - work;
      if ((f.done | all) != full_) bound = std::max(0.0, left) / opts_.max_groups + model_.overhead();
    }
    if (!(c + bound < f.best)) return;  // also drops +inf
    double total = c + best(f.done | all);
    if (total < f.best) {
      f.best = total;
      f.best_groups = f.picked;
      f.best_merged = f.picked_merged;
    }
  }

  // IOS stages: 1..max_groups disjoint closures, tails in increasing order.
  void extend(Frame& f, size_t from, uint64_t all, double slowest, double work) {
    for (size_t c = from; c < f.cands.size(); ++c) {
      if (f.cands[c].closure & all) continue;
      if (f.tried >= static_cast<size_t>(opts_.max_stage_choices)) {
        f.truncated = true;
        return;
      }
      ++f.tried;
      const uint64_t next = all | f.cands[c].closure;
      const double heaviest = std::max(slowest, f.cands[c].weight), sum = work + f.cands[c].weight;
      f.picked.push_back(f.cands[c].closure);
      consider(f, next, heaviest, sum);
      if (static_cast<int>(f.picked.size()) < opts_.max_groups) extend(f, c + 1, next, heaviest, sum);
      f.picked.pop_back();
      if (f.truncated) return;
    }
  }

  double best(uint64_t done) {
    if (done == full_) return 0;
    if (const StateTable::Entry* e = memo_.find(done)) return e->cost;

    const uint64_t rest = full_ & ~done;
    const int m = opts_.max_groups, r = opts_.max_group_size;
    Frame f;
    f.done = done;
    std::vector<int> ready;
    for (uint64_t x = rest; x; x &= x - 1) {
      int i = lowest(x);
      uint64_t cl = anc_[i] & rest;  // i and its ancestors not yet done (see ios_dp.h)
      f.work += w_[i];
      if (cl == bit(i)) ready.push_back(i);
      if (popcount(cl) <= r) {
        double wsum = 0;
        for (uint64_t y = cl; y; y &= y - 1) wsum += w_[lowest(y)];
        f.cands.push_back({cl, wsum});
      }
    }

    // The wavefront: every ready op, packed onto m groups of at most r ops (LPT).
    const int nready = static_cast<int>(ready.size());
    if (nready > m && static_cast<long>(nready) <= static_cast<long>(m) * r) {
      std::stable_sort(ready.begin(), ready.end(), [&](int a, int b) { return w_[a] > w_[b]; });
      std::vector<uint64_t> groups(m, 0);
      std::vector<double> load(m, 0);
      for (int i : ready) {
        int g = -1;
        for (int k = 0; k < m; ++k)
          if (popcount(groups[k]) < r && (g < 0 || load[k] < load[g])) g = k;
        groups[g] |= bit(i);
        load[g] += w_[i];
      }
      uint64_t all = 0;
      for (uint64_t gm : groups) all |= gm;
      f.picked = groups;
      double work = 0;
      for (double l : load) work += l;
      consider(f, all, *std::max_element(load.begin(), load.end()), work);
      f.picked.clear();
    }

    // IOS merge stages: all ready convolutions of one merge class as one convolution.
    if (model_.merging()) {
      std::unordered_map<int, uint64_t> by_class;
      for (int i : ready)
        if (merge_class_[i] >= 0) by_class[merge_class_[i]] |= bit(i);
      for (const auto& [cls, mask] : by_class) {
        if (popcount(mask) < 2) continue;
        double work = 0;
        for (uint64_t y = mask; y; y &= y - 1) work += w_[lowest(y)];
        f.picked = {mask};
        f.picked_merged = true;
        consider(f, mask, work, work);
        f.picked_merged = false;
        f.picked.clear();
      }
    }

    extend(f, 0, 0, 0.0, 0.0);
    if (f.truncated) ++stats_.truncated_states;
    memo_.insert(done, f.best, f.best_groups.data(), f.best_groups.size(), f.best_merged);
    return f.best;
  }

  const TaskGraph& g_;
  const CostModel& model_;
  const GeneratorOptions& opts_;
  std::vector<int> nodes_;
  IosDpStats& stats_;
  std::vector<uint64_t> anc_;  // local ancestors within the block, self included
  std::vector<double> w_;
  std::vector<int> merge_class_;
  std::unordered_map<uint64_t, double> merged_memo_;
  uint64_t full_ = 0;
  StateTable memo_;
  // Custom stage costs: open addressing over a pool of group masks (count 0 = empty).
  struct StageSlot {
    uint64_t hash = 0, all = 0;
    size_t first = 0, count = 0;
    double cost = 0;
  };
  std::vector<StageSlot> stage_slots_;  // a power of two once used
  std::vector<uint64_t> stage_pool_;
  size_t stage_count_ = 0;
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

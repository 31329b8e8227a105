#include "exec/memory_plan.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "exec/plan.h"

namespace top::exec {

namespace {

size_t aligned_bytes(size_t bytes) {
  return (std::max<size_t>(bytes, 1) + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

// Both planners place blocks largest first, each at the lowest offset where it does
// not meet a block it conflicts with. Scanning every placed block for conflicts made
// planning quadratic (minutes for a 100k-node model); these two segment trees over a
// position axis (steps) find the conflicting ones in O(log n + answers).

int leaves(int positions) {
  int n = 1;
  while (n < positions) n *= 2;
  return n;
}

// Intervals [l, r] of positions; which contain a given position.
class IntervalStabIndex {
 public:
  explicit IntervalStabIndex(int positions) : size_(leaves(positions)), nodes_(2 * size_) {}
  void insert(int id, int l, int r) {
    for (l += size_, r += size_ + 1; l < r; l /= 2, r /= 2) {
      if (l & 1) nodes_[l++].push_back(id);
      if (r & 1) nodes_[--r].push_back(id);
    }
  }
  // Each interval lies in at most one node on a leaf's path to the root: no repeats.
  void stab(int p, std::vector<int>& out) const {
    for (int x = p + size_; x >= 1; x /= 2) out.insert(out.end(), nodes_[x].begin(), nodes_[x].end());
  }

 private:
  int size_;
  std::vector<std::vector<int>> nodes_;  // canonical segments of each interval
};

// Points; which lie in a given range [l, r).
class PointRangeIndex {
 public:
  explicit PointRangeIndex(int positions) : size_(leaves(positions)), nodes_(2 * size_) {}
  void insert(int id, int p) {
    for (int x = p + size_; x >= 1; x /= 2) nodes_[x].push_back(id);
  }
  void range(int l, int r, std::vector<int>& out) const {
    for (l += size_, r += size_; l < r; l /= 2, r /= 2) {
      if (l & 1) append(nodes_[l++], out);
      if (r & 1) append(nodes_[--r], out);
    }
  }

 private:
  static void append(const std::vector<int>& from, std::vector<int>& out) {
    out.insert(out.end(), from.begin(), from.end());
  }
  int size_;
  std::vector<std::vector<int>> nodes_;  // every point, in each ancestor of its leaf
};

// The lowest offset where `bytes` fits between `busy` blocks ([offset, end) pairs, any
// order; blocks of equal offset may come in any order, the gap found is the same).
size_t lowest_fit(std::vector<std::pair<size_t, size_t>>& busy, size_t bytes) {
  std::sort(busy.begin(), busy.end());
  size_t offset = 0;
  for (const auto& [b, e] : busy) {
    if (b >= offset + bytes) break;
    offset = std::max(offset, e);
  }
  return offset;
}

}  // namespace

MemoryPlan plan_activation_memory(ExecutionPlan& plan) {
  struct Interval {
    ir::ValueId value;
    int first, last;
    size_t bytes;
  };
  std::vector<int> first(plan.slots.size(), -1), last(plan.slots.size(), -1);
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue && first[v] < 0) first[v] = last[v] = static_cast<int>(s);
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue) last[v] = std::max(last[v], static_cast<int>(s));
  }
  std::vector<Interval> items;
  MemoryPlan mp;
  for (size_t v = 0; v < plan.slots.size(); ++v) {
    if (plan.slots[v].kind != Slot::Kind::kActivation || first[v] < 0) continue;
    size_t bytes = aligned_bytes(plan.slots[v].bytes);
    items.push_back({static_cast<ir::ValueId>(v), first[v], last[v], bytes});
    mp.naive_bytes += bytes;
  }
  std::stable_sort(items.begin(), items.end(), [](const Interval& a, const Interval& b) { return a.bytes > b.bytes; });
  // A placed lifetime [f, l] meets [first, last] exactly when it contains `first` or
  // starts in (first, last].
  const int steps = static_cast<int>(plan.steps.size());
  IntervalStabIndex lifetimes(steps);
  PointRangeIndex starts(steps);
  std::vector<std::pair<size_t, size_t>> placed;  // [offset, end), by placement order
  placed.reserve(items.size());
  std::vector<int> ids;
  std::vector<std::pair<size_t, size_t>> busy;
  for (const Interval& it : items) {
    ids.clear();
    lifetimes.stab(it.first, ids);
    starts.range(it.first + 1, it.last + 1, ids);
    busy.clear();
    for (int id : ids) busy.push_back(placed[id]);
    const size_t offset = lowest_fit(busy, it.bytes);
    const int id = static_cast<int>(placed.size());
    lifetimes.insert(id, it.first, it.last);
    starts.insert(id, it.first);
    placed.push_back({offset, offset + it.bytes});
    plan.slots[it.value].offset = offset;
    mp.arena_bytes = std::max(mp.arena_bytes, offset + it.bytes);
  }
  return mp;
}

// Two activations conflict unless every use (the writer and each reader) of one happens
// before the writer of the other. Reachability comes from a cover of the order DAG by
// chains (each step of a chain happens before the next, so reaching one step of a
// chain means reaching every later one): first_reached[s][c] is the first
// position on chain c that step s happens before. Then the steps whose writes conflict
// with activation `a` are, on each chain, one contiguous range — from the first step
// after a's writer in topological order up to the first step every use of a reaches —
// and the placement finds conflicting blocks with the same segment trees as above, one
// pair per chain. Exact, so the layout equals the pairwise check it replaced, in
// O((edges + activations * uses) * chains + n log n + conflicts).
//
// The reachability table is steps x chains; when a graph needs more chains than
// `max_tracked_chains` (or the memory budget) allows, only the longest chains are
// tracked and the steps of the others are lumped together on one axis in topological
// order where an activation conflicts with every write after its own: safe, at the
// price of less reuse around those steps.
ArenaLayout plan_memory_for_order(const ExecutionPlan& plan, const std::vector<std::vector<int>>& happens_before,
                                  int max_tracked_chains) {
  const int n = static_cast<int>(plan.steps.size());
  ArenaLayout layout;
  layout.offset.assign(plan.slots.size(), 0);
  // Order edges: data dependencies plus the extra relation.
  std::vector<int> producer(plan.slots.size(), -1);
  for (int s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue) producer[v] = s;
  std::vector<std::vector<int>> succ(n), pred(n);
  auto add_edge = [&](int from, int to) {
    succ[from].push_back(to);
    pred[to].push_back(from);
  };
  for (int s = 0; s < n; ++s) {
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue && producer[v] >= 0 && producer[v] != s) add_edge(producer[v], s);
    if (static_cast<size_t>(s) < happens_before.size())
      for (int t : happens_before[s])
        if (t >= 0 && t < n && t != s) add_edge(s, t);
  }
  std::vector<int> indeg(n, 0), topo;
  topo.reserve(n);
  for (int s = 0; s < n; ++s) indeg[s] = static_cast<int>(pred[s].size());
  for (int s = 0; s < n; ++s)
    if (indeg[s] == 0) topo.push_back(s);
  for (size_t i = 0; i < topo.size(); ++i)
    for (int t : succ[topo[i]])
      if (--indeg[t] == 0) topo.push_back(t);
  const bool acyclic = static_cast<int>(topo.size()) == n;

  struct Item {
    ir::ValueId value;
    int def;
    std::vector<int> uses;  // readers, plus the writer itself
    size_t bytes;
  };
  std::vector<Item> items;
  std::vector<int> item_of(plan.slots.size(), -1);
  for (int s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue && plan.slots[v].kind == Slot::Kind::kActivation && item_of[v] < 0) {
        item_of[v] = static_cast<int>(items.size());
        items.push_back({v, s, {s}, aligned_bytes(plan.slots[v].bytes)});
      }
  for (int s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue && item_of[v] >= 0) items[item_of[v]].uses.push_back(s);
  std::vector<int> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return items[a].bytes > items[b].bytes; });

  if (!acyclic) {  // no order to rely on: nothing shares
    for (int i : order) {
      layout.offset[items[i].value] = layout.arena_bytes;
      layout.arena_bytes += items[i].bytes;
    }
    return layout;
  }

  // Chains, greedily in topological order: a step continues the chain whose last step
  // is its nearest ancestor among the last steps (a bounded backward search). Chains
  // need not follow edges, only reachability, so a fork-join block (x -> a, x -> b,
  // a + b) costs one chain per concurrent branch, not one per fork.
  constexpr int kChainSearch = 64;  // ancestors visited per step
  std::vector<int> rank(n), chain_of(n, -1), seen(n, -1), frontier;
  std::vector<std::vector<int>> chains;
  for (int i = 0; i < n; ++i) rank[topo[i]] = i;
  for (int s : topo) {
    int c = -1;
    frontier.assign(1, s);
    seen[s] = s;
    for (size_t f = 0; f < frontier.size() && c < 0 && f < kChainSearch; ++f)
      for (int p : pred[frontier[f]]) {
        if (seen[p] == s) continue;
        seen[p] = s;
        if (chains[chain_of[p]].back() == p) {
          c = chain_of[p];
          break;
        }
        frontier.push_back(p);
      }
    if (c < 0) {
      c = static_cast<int>(chains.size());
      chains.emplace_back();
    }
    chain_of[s] = c;
    chains[c].push_back(s);
  }
  // Track the longest chains; the rest become one extra axis ("lumped").
  constexpr size_t kReachBudget = size_t(1) << 24;  // table entries (64 MiB)
  int tracked = static_cast<int>(chains.size());
  if (max_tracked_chains >= 0) tracked = std::min(tracked, max_tracked_chains);
  tracked = static_cast<int>(std::min<size_t>(tracked, std::max<size_t>(1, kReachBudget / std::max(n, 1))));
  std::vector<int> by_length(chains.size());
  for (size_t c = 0; c < chains.size(); ++c) by_length[c] = static_cast<int>(c);
  std::stable_sort(by_length.begin(), by_length.end(),
                   [&](int a, int b) { return chains[a].size() > chains[b].size(); });
  const int lumped = tracked;  // axis index of the untracked steps
  std::vector<int> axis_of_chain(chains.size(), lumped);
  for (int k = 0; k < tracked; ++k) axis_of_chain[by_length[k]] = k;
  std::vector<std::vector<int>> axes(tracked + 1);  // per axis: steps in topological order
  std::vector<int> axis(n), at(n);
  for (int s : topo) {
    axis[s] = axis_of_chain[chain_of[s]];
    at[s] = static_cast<int>(axes[axis[s]].size());
    axes[axis[s]].push_back(s);
  }
  // first_reached[s * tracked + k]: first position on tracked axis k that s happens
  // before (the axis length when none), filled in reverse topological order; a chain
// step reaches the next, so reaching position p reaches every later one.
  const size_t T = static_cast<size_t>(tracked);
  std::vector<int> first_reached(static_cast<size_t>(n) * T);
  for (int k = 0; k < tracked; ++k)
    for (int s = 0; s < n; ++s) first_reached[static_cast<size_t>(s) * T + k] = static_cast<int>(axes[k].size());
  for (int i = n - 1; i >= 0; --i) {
    const int s = topo[i];
    // data() + offset, not &v[i]: with no tracked axis the table is empty (T == 0).
    int* r = first_reached.data() + static_cast<size_t>(s) * T;
    for (int t : succ[s]) {
      const int* rt = first_reached.data() + static_cast<size_t>(t) * T;
      for (size_t k = 0; k < T; ++k) r[k] = std::min(r[k], rt[k]);
      if (axis[t] < tracked) r[axis[t]] = std::min(r[axis[t]], at[t]);
    }
  }

  // Conflict ranges of each item, per axis: [from, to) in axis positions.
  struct Range {
    int axis, from, to;
  };
  std::vector<std::vector<Range>> ranges(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const Item& it = items[i];
    const int def_rank = rank[it.def];
    for (int k = 0; k <= tracked; ++k) {
      const std::vector<int>& ax = axes[k];
      const int from = static_cast<int>(std::lower_bound(ax.begin(), ax.end(), def_rank,
                                                         [&](int s, int r) { return rank[s] < r; }) -
                                        ax.begin());
      int to = static_cast<int>(ax.size());
      if (k < tracked) {
        to = 0;
        for (int u : it.uses) to = std::max(to, first_reached[static_cast<size_t>(u) * T + k]);
      }
      if (from < to) ranges[i].push_back({k, from, to});
    }
  }

  // a conflicts with b exactly when b's writer lies in one of a's ranges, or a's in
  // one of b's: stab the new item's writer into placed ranges, and look for placed
  // writers inside the new item's ranges.
  std::vector<IntervalStabIndex> placed_ranges;
  std::vector<PointRangeIndex> placed_writers;
  for (int k = 0; k <= tracked; ++k) {
    placed_ranges.emplace_back(static_cast<int>(axes[k].size()));
    placed_writers.emplace_back(static_cast<int>(axes[k].size()));
  }
  std::vector<int> ids;
  std::vector<std::pair<size_t, size_t>> busy;
  std::vector<size_t> offset_of(items.size(), 0);
  for (int i : order) {
    const Item& it = items[i];
    ids.clear();
    placed_ranges[axis[it.def]].stab(at[it.def], ids);
    for (const Range& r : ranges[i]) placed_writers[r.axis].range(r.from, r.to, ids);
    busy.clear();
    for (int j : ids) busy.push_back({offset_of[j], offset_of[j] + items[j].bytes});
    const size_t offset = lowest_fit(busy, it.bytes);
    for (const Range& r : ranges[i]) placed_ranges[r.axis].insert(i, r.from, r.to - 1);
    placed_writers[axis[it.def]].insert(i, at[it.def]);
    offset_of[i] = offset;
    layout.offset[it.value] = offset;
    layout.arena_bytes = std::max(layout.arena_bytes, offset + it.bytes);
  }
  return layout;
}

}  // namespace top::exec

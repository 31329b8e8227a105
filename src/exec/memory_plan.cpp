#include "exec/memory_plan.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "exec/plan.h"

namespace top::exec {

namespace {

size_t aligned_bytes(size_t bytes) {
  return (std::max<size_t>(bytes, 1) + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

// Placed blocks indexed by lifetime, so that finding the blocks alive together with a
// new one costs O(log n + answers) instead of a scan over every block placed so far
// (which made planning quadratic: minutes for a 100k-node model). A block [first, last]
// meets [a, b] exactly when it contains a, or starts in (a, b]; the first is a stabbing
// query on a segment tree over steps, the second a range query on a tree of start steps.
class LifetimeIndex {
 public:
  explicit LifetimeIndex(int steps) {
    while (size_ < std::max(steps, 1)) size_ *= 2;
    covering_.resize(2 * size_);
    starting_.resize(2 * size_);
  }

  void insert(int id, int first, int last) {
    for (int l = first + size_, r = last + size_ + 1; l < r; l /= 2, r /= 2) {
      if (l & 1) covering_[l++].push_back(id);
      if (r & 1) covering_[--r].push_back(id);
    }
    for (int x = first + size_; x >= 1; x /= 2) starting_[x].push_back(id);
  }

  // Appends the ids of blocks whose lifetime meets [a, b] (each once).
  void overlapping(int a, int b, std::vector<int>& out) const {
    for (int x = a + size_; x >= 1; x /= 2) out.insert(out.end(), covering_[x].begin(), covering_[x].end());
    for (int l = a + 1 + size_, r = b + size_ + 1; l < r; l /= 2, r /= 2) {
      if (l & 1) append(starting_[l++], out);
      if (r & 1) append(starting_[--r], out);
    }
  }

 private:
  static void append(const std::vector<int>& from, std::vector<int>& out) { out.insert(out.end(), from.begin(), from.end()); }

  int size_ = 1;
  std::vector<std::vector<int>> covering_;  // canonical segments of each block's lifetime
  std::vector<std::vector<int>> starting_;  // blocks by first step, in every ancestor of it
};

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
  struct Block {
    size_t offset, end;
  };
  std::vector<Block> placed;
  placed.reserve(items.size());
  LifetimeIndex index(static_cast<int>(plan.steps.size()));
  std::vector<int> live_ids;
  std::vector<Block> live;
  for (const Interval& it : items) {
    // Blocks alive at the same time as `it`, by offset; take the lowest gap that fits.
    // Blocks of equal offset may come in any order: the gap found is the same.
    live_ids.clear();
    index.overlapping(it.first, it.last, live_ids);
    live.clear();
    for (int id : live_ids) live.push_back(placed[id]);
    std::sort(live.begin(), live.end(), [](const Block& a, const Block& b) { return a.offset < b.offset; });
    size_t offset = 0;
    for (const Block& p : live) {
      if (p.offset >= offset + it.bytes) break;
      offset = std::max(offset, p.end);
    }
    index.insert(static_cast<int>(placed.size()), it.first, it.last);
    placed.push_back({offset, offset + it.bytes});
    plan.slots[it.value].offset = offset;
    mp.arena_bytes = std::max(mp.arena_bytes, offset + it.bytes);
  }
  return mp;
}

ArenaLayout plan_memory_for_order(const ExecutionPlan& plan, const std::vector<std::vector<int>>& happens_before) {
  const size_t n = plan.steps.size();
  ArenaLayout layout;
  layout.offset.assign(plan.slots.size(), 0);
  // Order edges: data dependencies plus the extra relation.
  std::vector<int> producer(plan.slots.size(), -1);
  for (size_t s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue) producer[v] = static_cast<int>(s);
  std::vector<std::vector<int>> succ(n);
  for (size_t s = 0; s < n; ++s) {
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue && producer[v] >= 0 && producer[v] != static_cast<int>(s)) succ[producer[v]].push_back(static_cast<int>(s));
    if (s < happens_before.size())
      for (int t : happens_before[s])
        if (t >= 0 && static_cast<size_t>(t) < n && t != static_cast<int>(s)) succ[s].push_back(t);
  }
  // Reachability bitsets (reach[s] = steps that start after s finished), in reverse
  // topological order of the combined relation (Kahn).
  std::vector<int> indeg(n, 0), topo;
  for (size_t s = 0; s < n; ++s)
    for (int t : succ[s]) indeg[t]++;
  for (size_t s = 0; s < n; ++s)
    if (indeg[s] == 0) topo.push_back(static_cast<int>(s));
  for (size_t i = 0; i < topo.size(); ++i)
    for (int t : succ[topo[i]])
      if (--indeg[t] == 0) topo.push_back(t);
  const size_t words = (n + 63) / 64;
  std::vector<uint64_t> reach(n * words, 0);
  auto bit = [&](int from, int to) { return (reach[static_cast<size_t>(from) * words + to / 64] >> (to % 64)) & 1; };
  for (size_t i = topo.size(); i-- > 0;) {
    int s = topo[i];
    uint64_t* r = &reach[static_cast<size_t>(s) * words];
    for (int t : succ[s]) {
      r[t / 64] |= uint64_t(1) << (t % 64);
      const uint64_t* rt = &reach[static_cast<size_t>(t) * words];
      for (size_t w = 0; w < words; ++w) r[w] |= rt[w];
    }
  }
  const bool acyclic = topo.size() == n;

  struct Item {
    ir::ValueId value;
    int def;
    std::vector<int> uses;  // readers, plus the writer itself
    size_t bytes;
  };
  std::vector<Item> items;
  std::vector<int> item_of(plan.slots.size(), -1);
  for (size_t s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue && plan.slots[v].kind == Slot::Kind::kActivation && item_of[v] < 0) {
        size_t bytes = aligned_bytes(plan.slots[v].bytes);
        item_of[v] = static_cast<int>(items.size());
        items.push_back({v, static_cast<int>(s), {static_cast<int>(s)}, bytes});
      }
  for (size_t s = 0; s < n; ++s)
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue && item_of[v] >= 0) items[item_of[v]].uses.push_back(static_cast<int>(s));
  // a is dead before b is written: every use of a happens before b's writer.
  auto dead_before = [&](const Item& a, const Item& b) {
    if (!acyclic) return false;
    for (int u : a.uses)
      if (u == b.def || !bit(u, b.def)) return false;
    return true;
  };
  std::vector<int> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return items[a].bytes > items[b].bytes; });
  struct Placed {
    int item;
    size_t offset;
  };
  std::vector<Placed> placed;
  for (int i : order) {
    const Item& it = items[i];
    std::vector<std::pair<size_t, size_t>> busy;  // [offset, end) of conflicting blocks
    for (const Placed& p : placed) {
      const Item& o = items[p.item];
      if (!dead_before(it, o) && !dead_before(o, it)) busy.push_back({p.offset, p.offset + o.bytes});
    }
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (const auto& [b, e] : busy) {
      if (b >= offset + it.bytes) break;
      offset = std::max(offset, e);
    }
    placed.push_back({i, offset});
    layout.offset[it.value] = offset;
    layout.arena_bytes = std::max(layout.arena_bytes, offset + it.bytes);
  }
  return layout;
}

}  // namespace top::exec

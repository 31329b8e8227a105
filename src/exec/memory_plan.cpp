#include "exec/memory_plan.h"

#include <algorithm>
#include <vector>

#include "exec/plan.h"

namespace top::exec {

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
    size_t bytes = (std::max<size_t>(plan.slots[v].bytes, 1) + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    items.push_back({static_cast<ir::ValueId>(v), first[v], last[v], bytes});
    mp.naive_bytes += bytes;
  }
  std::stable_sort(items.begin(), items.end(), [](const Interval& a, const Interval& b) { return a.bytes > b.bytes; });
  struct Placed {
    size_t offset, bytes;
    int first, last;
  };
  std::vector<Placed> placed;
  for (const Interval& it : items) {
    // Blocks alive at the same time as `it`, by offset; take the lowest gap that fits.
    std::vector<Placed> live;
    for (const Placed& p : placed)
      if (p.first <= it.last && it.first <= p.last) live.push_back(p);
    std::sort(live.begin(), live.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    size_t offset = 0;
    for (const Placed& p : live) {
      if (p.offset >= offset + it.bytes) break;
      offset = std::max(offset, p.offset + p.bytes);
    }
    placed.push_back({offset, it.bytes, it.first, it.last});
    plan.slots[it.value].offset = offset;
    mp.arena_bytes = std::max(mp.arena_bytes, offset + it.bytes);
  }
  return mp;
}

}  // namespace top::exec

// Memory planners at scale and against brute force: plan_activation_memory and
// plan_memory_for_order find conflicting blocks through segment trees; these tests
// check the layouts equal the pairwise first-fit they replaced on random DAGs, never
// overlap live tensors, and that a 100k-step plan is planned (a quadratic planner takes
// minutes here and runs into the test timeout).
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>
#include <set>
#include <vector>

#include "exec/memory_plan.h"
#include "exec/plan.h"

namespace top {
namespace {

using exec::ExecutionPlan;
using exec::Slot;

size_t aligned(size_t b) {
  return (std::max<size_t>(b, 1) + exec::kTensorAlignment - 1) / exec::kTensorAlignment * exec::kTensorAlignment;
}

// Value 0 is the input; step s writes value s + 1 and reads up to `fan_in` earlier
// values, mostly of the last 4 steps (a chain with branches), one in 8 up to `max_skip`
// steps back (residual skips).
ExecutionPlan random_plan(std::mt19937& rng, int steps, int fan_in, size_t max_bytes, int max_skip) {
  ExecutionPlan plan;
  plan.slots.resize(static_cast<size_t>(steps) + 1);
  plan.slots[0].kind = Slot::Kind::kInput;
  for (int v = 1; v <= steps; ++v) {
    plan.slots[v].kind = Slot::Kind::kActivation;
    plan.slots[v].bytes = 1 + rng() % max_bytes;
  }
  for (int s = 0; s < steps; ++s) {
    exec::Step st;
    const int reads = 1 + static_cast<int>(rng() % fan_in);
    for (int r = 0; r < reads; ++r) {
      const int reach = rng() % 8 == 0 ? max_skip : 4;
      const int back = 1 + static_cast<int>(rng() % std::min(s + 1, reach));
      st.inputs.push_back(static_cast<ir::ValueId>(s + 1 - back));
    }
    st.outputs.push_back(static_cast<ir::ValueId>(s + 1));
    plan.steps.push_back(st);
  }
  return plan;
}

// Step-order lifetimes [first write, last read] of every value.
void lifetimes(const ExecutionPlan& plan, std::vector<int>& first, std::vector<int>& last) {
  first.assign(plan.slots.size(), -1);
  last.assign(plan.slots.size(), -1);
  for (int s = 0; s < static_cast<int>(plan.steps.size()); ++s) {
    for (auto v : plan.steps[s].outputs)
      if (first[v] < 0) first[v] = last[v] = s;
    for (auto v : plan.steps[s].inputs) last[v] = std::max(last[v], s);
  }
}

// First fit, largest first, against every placed block (the quadratic planner).
std::vector<size_t> pairwise_first_fit(const std::vector<size_t>& bytes, const std::function<bool(int, int)>& conflict) {
  std::vector<int> order;
  for (size_t i = 0; i < bytes.size(); ++i)
    if (bytes[i] > 0) order.push_back(static_cast<int>(i));
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return bytes[a] > bytes[b]; });
  std::vector<size_t> offset(bytes.size(), 0);
  std::vector<int> placed;
  for (int i : order) {
    std::vector<std::pair<size_t, size_t>> busy;
    for (int p : placed)
      if (conflict(i, p)) busy.push_back({offset[p], offset[p] + bytes[p]});
    std::sort(busy.begin(), busy.end());
    size_t o = 0;
    for (auto [b, e] : busy) {
      if (b >= o + bytes[i]) break;
      o = std::max(o, e);
    }
    offset[i] = o;
    placed.push_back(i);
  }
  return offset;
}

// Sweep over steps: blocks live at once never overlap and fit in the arena. O(n log n),
// so it can check the large plans too.
void expect_no_live_overlap(const ExecutionPlan& plan, size_t arena) {
  std::vector<int> first, last;
  lifetimes(plan, first, last);
  std::vector<std::vector<int>> born(plan.steps.size()), dies(plan.steps.size());
  for (size_t v = 0; v < plan.slots.size(); ++v)
    if (plan.slots[v].kind == Slot::Kind::kActivation && first[v] >= 0) {
      born[first[v]].push_back(static_cast<int>(v));
      dies[last[v]].push_back(static_cast<int>(v));
    }
  std::set<std::pair<size_t, int>> live;  // (offset, value)
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    for (int v : born[s]) {
      const size_t b = plan.slots[v].offset, e = b + aligned(plan.slots[v].bytes);
      ASSERT_LE(e, arena) << "value " << v;
      auto next = live.lower_bound({b, -1});
      if (next != live.end()) {
        ASSERT_GE(next->first, e) << "values " << v << " and " << next->second << " overlap at step " << s;
      }
      if (next != live.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + aligned(plan.slots[prev->second].bytes), b)
            << "values " << v << " and " << prev->second << " overlap at step " << s;
      }
      live.insert({b, v});
    }
    for (int v : dies[s]) live.erase({plan.slots[v].offset, v});
  }
}

TEST(MemoryPlanScale, EqualsPairwiseFirstFitOnRandomDags) {
  std::mt19937 rng(2026);
  for (int trial = 0; trial < 40; ++trial) {
    ExecutionPlan plan = random_plan(rng, 20 + static_cast<int>(rng() % 200), 3, trial % 2 ? 5000 : 300, 1000);
    exec::MemoryPlan mp = exec::plan_activation_memory(plan);
    std::vector<int> first, last;
    lifetimes(plan, first, last);
    std::vector<size_t> bytes(plan.slots.size(), 0);
    for (size_t v = 1; v < plan.slots.size(); ++v) bytes[v] = aligned(plan.slots[v].bytes);
    auto ref = pairwise_first_fit(bytes, [&](int a, int b) { return first[a] <= last[b] && first[b] <= last[a]; });
    size_t ref_arena = 0;
    for (size_t v = 1; v < plan.slots.size(); ++v) {
      ASSERT_EQ(plan.slots[v].offset, ref[v]) << "trial " << trial << " value " << v;
      ref_arena = std::max(ref_arena, ref[v] + bytes[v]);
    }
    EXPECT_EQ(mp.arena_bytes, ref_arena);
    expect_no_live_overlap(plan, mp.arena_bytes);
  }
}

// 100k steps of a chain with branches and long skips, sizes from 1 byte to 64 KiB.
TEST(MemoryPlanScale, HundredThousandStepPlanIsValid) {
  std::mt19937 rng(7);
  ExecutionPlan plan = random_plan(rng, 100000, 3, 65536, 64);
  exec::MemoryPlan mp = exec::plan_activation_memory(plan);
  expect_no_live_overlap(plan, mp.arena_bytes);
  EXPECT_LT(mp.arena_bytes, mp.naive_bytes / 50);  // reuse, not one block per tensor
}

// With one group running every step in plan order, the concurrent-order planner sees a
// total order: it must give exactly the plan-order layout, at 100k steps.
TEST(MemoryPlanScale, ConcurrentOrderOfOneStreamEqualsPlanOrder) {
  std::mt19937 rng(11);
  ExecutionPlan plan = random_plan(rng, 100000, 3, 65536, 64);
  std::vector<std::vector<int>> hb(plan.steps.size());
  for (size_t s = 0; s + 1 < plan.steps.size(); ++s) hb[s].push_back(static_cast<int>(s + 1));
  exec::ArenaLayout layout = exec::plan_memory_for_order(plan, hb);
  exec::MemoryPlan mp = exec::plan_activation_memory(plan);
  EXPECT_EQ(layout.arena_bytes, mp.arena_bytes);
  for (size_t v = 1; v < plan.slots.size(); ++v) ASSERT_EQ(layout.offset[v], plan.slots[v].offset) << "value " << v;
}

// Random DAGs, steps split into random groups (each group's steps in order): the layout
// equals the pairwise first fit under "neither is dead before the other is written"
// (reachability by BFS); with reachability tracked for only one chain or none, the
// layout may reuse less but must still never share bytes between conflicting tensors.
TEST(MemoryPlanScale, ConcurrentOrderMatchesBruteForceOnRandomDags) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int steps = 10 + static_cast<int>(rng() % 120);
    ExecutionPlan plan = random_plan(rng, steps, 3, 2000, 1000);
    const int groups = 1 + static_cast<int>(rng() % 4);
    std::vector<std::vector<int>> hb(static_cast<size_t>(steps));
    std::vector<int> tail(groups, -1);
    for (int s = 0; s < steps; ++s) {
      const int g = static_cast<int>(rng() % groups);
      if (tail[g] >= 0) hb[tail[g]].push_back(s);
      tail[g] = s;
    }
    std::vector<std::vector<int>> succ = hb;
    for (int s = 0; s < steps; ++s)
      for (auto v : plan.steps[s].inputs)
        if (v > 0) succ[v - 1].push_back(s);  // value v is written by step v - 1
    std::vector<std::vector<bool>> reach(steps, std::vector<bool>(steps, false));
    for (int a = 0; a < steps; ++a) {
      std::vector<int> stack{a};
      while (!stack.empty()) {
        int x = stack.back();
        stack.pop_back();
        for (int y : succ[x])
          if (!reach[a][y]) reach[a][y] = true, stack.push_back(y);
      }
    }
    std::vector<std::vector<int>> uses(plan.slots.size());
    for (int s = 0; s < steps; ++s) {
      uses[s + 1].push_back(s);
      for (auto v : plan.steps[s].inputs) uses[v].push_back(s);
    }
    auto dead_before = [&](int a, int b) {
      for (int u : uses[a])
        if (!reach[u][b - 1]) return false;
      return true;
    };
    auto conflict = [&](int a, int b) { return !dead_before(a, b) && !dead_before(b, a); };
    std::vector<size_t> bytes(plan.slots.size(), 0);
    for (size_t v = 1; v < plan.slots.size(); ++v) bytes[v] = aligned(plan.slots[v].bytes);
    auto ref = pairwise_first_fit(bytes, conflict);
    exec::ArenaLayout exact = exec::plan_memory_for_order(plan, hb);
    for (size_t v = 1; v < plan.slots.size(); ++v)
      ASSERT_EQ(exact.offset[v], ref[v]) << "trial " << trial << " value " << v;
    for (int tracked : {0, 1}) {
      exec::ArenaLayout layout = exec::plan_memory_for_order(plan, hb, tracked);
      for (int a = 1; a <= steps; ++a)
        for (int b = a + 1; b <= steps; ++b) {
          const bool overlap = layout.offset[a] < layout.offset[b] + bytes[b] && layout.offset[b] < layout.offset[a] + bytes[a];
          ASSERT_FALSE(overlap && conflict(a, b)) << "trial " << trial << " tracked " << tracked << " values " << a << "," << b;
          ASSERT_LE(layout.offset[a] + bytes[a], layout.arena_bytes);
        }
    }
  }
}

}  // namespace
}  // namespace top

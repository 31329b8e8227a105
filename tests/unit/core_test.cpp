// Core pieces without operators: Status/Result, Tensor, npy round trips, graph
// utilities (topological order, cycles), the thread pool and the memory planner.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include <atomic>
#include <cstdio>
#include <random>

#include "exec/memory_plan.h"
#include "exec/plan.h"
#include "ir/graph.h"
#include "util/half.h"
#include "util/npy.h"
#include "util/thread_pool.h"

namespace top {
namespace {

Result<int> half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Status quarter(int x, int* out) {
  TOP_ASSIGN_OR_RETURN(int h, half(x));
  TOP_ASSIGN_OR_RETURN(*out, half(h));
  return Status::Ok();
}

TEST(Status, PropagatesAndFormats) {
  int out = 0;
  EXPECT_TRUE(quarter(8, &out).ok());
  EXPECT_EQ(out, 2);
  Status s = quarter(6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.to_string(), "InvalidArgument: odd");
  EXPECT_EQ(s.with_context("node 'a'").message(), "node 'a': odd");
}

TEST(Tensor, ShareAndClone) {
  Tensor a = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor b = a;
  Tensor c = a.clone();
  b.data<float>()[0] = 9;
  EXPECT_EQ(a.data<float>()[0], 9);
  EXPECT_EQ(c.data<float>()[0], 1);
  EXPECT_EQ(shape_str(a.shape()), "[2,2]");
  EXPECT_EQ(a.nbytes(), 16u);
}

TEST(Npy, RoundTripRandom) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-3, 3);
  Tensor t = Tensor::zeros(DataType::kFloat32, {3, 5, 7});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
  std::string path = ::testing::TempDir() + "/rt.npy";
  ASSERT_TRUE(npy::save(path, t).ok());
  auto back = npy::load(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  ASSERT_EQ(back->shape(), t.shape());
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(back->data<float>()[i], t.data<float>()[i]);

  Tensor ints = Tensor::from_vector<int64_t>({4}, {1, -2, 3, 1LL << 40});
  ASSERT_TRUE(npy::save(path, ints).ok());
  auto ib = npy::load(path);
  ASSERT_TRUE(ib.ok());
  EXPECT_EQ(ib->to_int_vector(), (std::vector<int64_t>{1, -2, 3, 1LL << 40}));
}

TEST(Npy, RejectsGarbage) {
  std::string path = ::testing::TempDir() + "/bad.npy";
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fputs("definitely not numpy", f);
  std::fclose(f);
  auto r = npy::load(path);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(npy::load(path + ".missing").ok());
}

// a -> b -> d, a -> c -> d, built directly in the IR.
ir::Graph diamond() {
  ir::Graph g;
  auto val = [&](const std::string& n) {
    ir::Value v;
    v.name = n;
    return g.add_value(v);
  };
  ir::ValueId x = val("x"), a = val("a"), b = val("b"), c = val("c"), d = val("d");
  g.values[x].is_input = true;
  g.inputs.push_back(x);
  auto node = [&](const std::string& n, std::vector<ir::ValueId> in, std::vector<ir::ValueId> out) {
    ir::Node nd;
    nd.name = n;
    nd.op_type = "Relu";
    nd.inputs = std::move(in);
    nd.outputs = std::move(out);
    g.add_node(std::move(nd));
  };
  node("D", {b, c}, {d});  // listed first: order must come from the edges
  node("A", {x}, {a});
  node("B", {a}, {b});
  node("C", {a}, {c});
  g.outputs.push_back(d);
  return g;
}

TEST(Graph, TopologicalOrderAndWidth) {
  ir::Graph g = diamond();
  auto order = g.topological_order();
  ASSERT_TRUE(order.ok());
  std::vector<int> pos(4);
  for (size_t i = 0; i < order->size(); ++i) pos[(*order)[i]] = static_cast<int>(i);
  EXPECT_LT(pos[1], pos[2]);
  EXPECT_LT(pos[2], pos[0]);
  EXPECT_LT(pos[3], pos[0]);
  EXPECT_EQ(g.max_level_width(*order), 2);
  EXPECT_EQ(g.predecessors(0), (std::vector<ir::NodeId>{2, 3}));
  EXPECT_EQ(g.successors(1), (std::vector<ir::NodeId>{2, 3}));
}

TEST(Graph, CycleIsAnError) {
  ir::Graph g = diamond();
  // Make A read D's output: A -> B -> D -> A.
  g.nodes[1].inputs[0] = 4;
  g.values[4].consumers.push_back(1);
  auto order = g.topological_order();
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("cycle"), std::string::npos);
}

TEST(ThreadPool, CoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {0, 1, 7, 1000, 100003}) {
    std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
    pool.parallel_for(n, 10, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
    });
    for (auto& h : hits) ASSERT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ConcurrentCallers) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int r = 0; r < 50; ++r)
        pool.parallel_for(1000, 1, [&](int64_t b, int64_t e) { total += e - b; });
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(total.load(), 4 * 50 * 1000);
}

// Random chains and fans of activations: no two live tensors may overlap, and reuse
// must beat the naive sum on a long chain.
TEST(MemoryPlan, LiveTensorsNeverOverlap) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    exec::ExecutionPlan plan;
    int n = 5 + static_cast<int>(rng() % 40);
    plan.slots.resize(static_cast<size_t>(n));
    for (int v = 0; v < n; ++v) {
      plan.slots[v].kind = v == 0 ? exec::Slot::Kind::kInput : exec::Slot::Kind::kActivation;
      plan.slots[v].bytes = 1 + rng() % 5000;
    }
    for (int s = 1; s < n; ++s) {
      exec::Step st;
      st.inputs.push_back(static_cast<ir::ValueId>(rng() % s));
      if (s > 2) st.inputs.push_back(static_cast<ir::ValueId>(rng() % s));
      st.outputs.push_back(s);
      plan.steps.push_back(st);
    }
    exec::MemoryPlan mp = exec::plan_activation_memory(plan);
    std::vector<int> first(n, -1), last(n, -1);
    for (int s = 0; s < static_cast<int>(plan.steps.size()); ++s) {
      first[plan.steps[s].outputs[0]] = last[plan.steps[s].outputs[0]] = s;
      for (auto v : plan.steps[s].inputs) last[v] = std::max(last[v], s);
    }
    for (int a = 1; a < n; ++a)
      for (int b = a + 1; b < n; ++b) {
        bool live_together = first[a] <= last[b] && first[b] <= last[a];
        bool overlap = plan.slots[a].offset < plan.slots[b].offset + plan.slots[b].bytes &&
                       plan.slots[b].offset < plan.slots[a].offset + plan.slots[a].bytes;
        ASSERT_FALSE(live_together && overlap) << "trial " << trial << " values " << a << "," << b;
      }
    EXPECT_LE(mp.arena_bytes, mp.naive_bytes);
  }
}

}  // namespace
}  // namespace top

namespace top {
namespace {

// Random plans and random extra orderings: whenever two activations share bytes, every
// use of one must happen before the other is written (checked by a BFS here).
TEST(MemoryPlan, LayoutForConcurrentOrderNeverSharesLiveBytes) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 60; ++trial) {
    exec::ExecutionPlan plan;
    int n = 4 + static_cast<int>(rng() % 30);
    plan.slots.resize(static_cast<size_t>(n));
    for (int v = 0; v < n; ++v) {
      plan.slots[v].kind = v == 0 ? exec::Slot::Kind::kInput : exec::Slot::Kind::kActivation;
      plan.slots[v].bytes = 1 + rng() % 3000;
    }
    for (int s = 1; s < n; ++s) {
      exec::Step st;
      st.inputs.push_back(static_cast<ir::ValueId>(rng() % s));
      if (rng() % 2) st.inputs.push_back(static_cast<ir::ValueId>(rng() % s));
      st.outputs.push_back(s);
      plan.steps.push_back(st);
    }
    const int steps = n - 1;
    // Extra order: steps split into two random chains (two "groups"), each in step order.
    std::vector<std::vector<int>> hb(static_cast<size_t>(steps));
    int last[2] = {-1, -1};
    for (int s = 0; s < steps; ++s) {
      int g = static_cast<int>(rng() % 2);
      if (last[g] >= 0) hb[last[g]].push_back(s);
      last[g] = s;
    }
    exec::ArenaLayout layout = exec::plan_memory_for_order(plan, hb);
    // Full order = data edges + hb; reach[a][b]: b starts after a finished.
    std::vector<std::vector<int>> succ = hb;
    for (int s = 0; s < steps; ++s)
      for (auto v : plan.steps[s].inputs)
        if (v > 0) succ[v - 1].push_back(s);  // value v is written by step v-1
    auto reaches = [&](int a, int b) {
      std::vector<int> stack{a};
      std::vector<bool> seen(static_cast<size_t>(steps), false);
      while (!stack.empty()) {
        int x = stack.back();
        stack.pop_back();
        for (int y : succ[x])
          if (!seen[y]) {
            if (y == b) return true;
            seen[y] = true;
            stack.push_back(y);
          }
      }
      return false;
    };
    auto uses = [&](int v) {
      std::vector<int> u{v - 1};
      for (int s = 0; s < steps; ++s)
        for (auto in : plan.steps[s].inputs)
          if (in == v) u.push_back(s);
      return u;
    };
    auto dead_before = [&](int a, int b) {
      for (int u : uses(a))
        if (!reaches(u, b - 1)) return false;
      return true;
    };
    for (int a = 1; a < n; ++a)
      for (int b = a + 1; b < n; ++b) {
        bool overlap = layout.offset[a] < layout.offset[b] + plan.slots[b].bytes &&
                       layout.offset[b] < layout.offset[a] + plan.slots[a].bytes;
        if (overlap) {
          ASSERT_TRUE(dead_before(a, b) || dead_before(b, a)) << "trial " << trial << " values " << a << "," << b;
        }
      }
  }
}

}  // namespace
}  // namespace top

namespace top {
namespace {

TEST(Tensor, Float16ItemsReadAsTheirValues) {  // util/half.h
  // 0x3c00 = 1, 0xc500 = -5, 0x7bff = 65504, 0x0001 = 2^-24 (subnormal), 0x7e00 = NaN.
  const uint16_t bits[] = {0x3c00, 0xc500, 0x7bff, 0x0001, 0x7e00};
  Tensor h = Tensor::zeros(DataType::kFloat16, {5});
  ASSERT_TRUE(h.defined());
  std::memcpy(h.raw_data(), bits, sizeof(bits));
  EXPECT_EQ(h.item_as_double(0), 1.0);
  EXPECT_EQ(h.item_as_double(1), -5.0);
  EXPECT_EQ(h.item_as_double(2), 65504.0);
  EXPECT_EQ(h.item_as_double(3), std::ldexp(1.0, -24));
  EXPECT_TRUE(std::isnan(h.item_as_double(4)));
  for (float f : {1.0f, -5.0f, 65504.0f, 0.333f}) EXPECT_NEAR(half_to_float(float_to_half(f)), f, std::fabs(f) * 1e-3);
}

}  // namespace
}  // namespace top

// rl/graphs: synthetic RandWire / NASNet task graphs build, plan, run, and are
// deterministic per seed.
#include "rl/graphs/synthetic_graphs.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "exec/executor.h"
#include "exec/schedule.h"
#include "rl/graphs/watts_strogatz.h"

namespace top::rl {
namespace {

SyntheticGraphSpec small_spec(const std::string& family, uint64_t seed, int size) {
  SyntheticGraphSpec s;
  s.family = family;
  s.seed = seed;
  s.size = size;
  s.channels = 8;
  s.resolution = 16;
  return s;
}

std::shared_ptr<const exec::ExecutionPlan> plan_of(const SyntheticGraphSpec& s) {
  auto p = synthetic_plan(s);
  EXPECT_TRUE(p.ok()) << s.name() << ": " << p.status().to_string();
  return p.ok() ? *p : nullptr;
}

// What identifies a plan's structure: per step its op type, and the step's
// predecessors in the task graph.
struct Structure {
  std::vector<std::string> op_types;
  std::vector<std::vector<int>> preds;
  bool operator==(const Structure& o) const { return op_types == o.op_types && preds == o.preds; }
};

Structure structure_of(const std::shared_ptr<const exec::ExecutionPlan>& plan) {
  Structure s;
  for (const exec::Step& st : plan->steps) s.op_types.push_back(plan->graph->nodes[st.node].op_type);
  s.preds = exec::TaskGraph::build(plan, 1).preds;
  return s;
}

// Operators per ASAP level of the plan's task graph.
std::vector<int> level_widths(const std::shared_ptr<const exec::ExecutionPlan>& plan) {
  const exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  std::vector<int> level(tg.ops.size(), 0);
  std::vector<int> widths;
  for (size_t i = 0; i < tg.ops.size(); ++i) {  // task graph nodes are in topological order
    for (int p : tg.preds[i]) level[i] = std::max(level[i], level[p] + 1);
    if (level[i] >= static_cast<int>(widths.size())) widths.resize(level[i] + 1, 0);
    widths[level[i]]++;
  }
  return widths;
}

TEST(WattsStrogatz, KeepsTheLatticeEdgeCountAndIsSeeded) {
  const auto a = watts_strogatz(16, 4, 0.75, 3);
  EXPECT_EQ(a.size(), 32u);  // n * k / 2
  for (const auto& [u, v] : a) {
    EXPECT_LT(u, v);
    EXPECT_LT(v, 16);
  }
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(a, watts_strogatz(16, 4, 0.75, 3));
  EXPECT_NE(a, watts_strogatz(16, 4, 0.75, 4));
  // p = 0 leaves the ring lattice: each node linked to the next two (mod n).
  const auto ring = watts_strogatz(6, 4, 0.0, 1);
  const std::vector<std::pair<int, int>> expect = {{0, 1}, {0, 2}, {0, 4}, {0, 5}, {1, 2}, {1, 3},
                                                   {1, 5}, {2, 3}, {2, 4}, {3, 4}, {3, 5}, {4, 5}};
  EXPECT_EQ(ring, expect);
}

TEST(SyntheticGraphs, EveryFamilyBuildsAndPlansForSeveralSeedsAndSizes) {
  for (const std::string family : {"randwire", "nasnet"}) {
    for (uint64_t seed : {0, 1, 5}) {
      for (int size : {2, 3, 7}) {
        SyntheticGraphSpec s = small_spec(family, seed, size);
        s.stages = size == 7 ? 3 : 1;
        s.batch = size == 3 ? 2 : 1;
        auto g = synthetic_graph(s);
        ASSERT_TRUE(g.ok()) << s.name() << ": " << g.status().to_string();
        ASSERT_EQ((*g)->inputs.size(), 1u);
        ASSERT_EQ((*g)->outputs.size(), 1u);
        const ir::Value& in = (*g)->values[(*g)->inputs[0]];
        EXPECT_EQ(in.name, "input");
        EXPECT_EQ(in.dtype, DataType::kFloat32);
        EXPECT_EQ(in.shape, (Shape{-1, 3, 16, 16}));
        EXPECT_EQ((*g)->default_opset, 13);
        for (const ir::Node& n : (*g)->nodes) {
          EXPECT_EQ(n.opset, 13);
          EXPECT_NE(n.op, nullptr) << n.name;
        }
        auto plan = plan_of(s);
        ASSERT_NE(plan, nullptr);
        EXPECT_GT(plan->steps.size(), 10u) << s.name();
        EXPECT_GT(plan->total_flops(), 0.0);
        EXPECT_EQ(plan->slots[(*g)->outputs[0]].shape, (Shape{s.batch, 100})) << s.name();
      }
    }
  }
}

TEST(SyntheticGraphs, SameSpecGivesTheSamePlan) {
  for (const std::string family : {"randwire", "nasnet"}) {
    const SyntheticGraphSpec s = small_spec(family, 11, 6);
    auto a = plan_of(s), b = plan_of(s);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->steps.size(), b->steps.size());
    EXPECT_TRUE(structure_of(a) == structure_of(b)) << s.name();
    EXPECT_EQ(a->total_flops(), b->total_flops());
    EXPECT_EQ(a->arena_bytes, b->arena_bytes);
  }
}

TEST(SyntheticGraphs, DifferentSeedsGiveDifferentWiring) {
  for (const std::string family : {"randwire", "nasnet"}) {
    auto a = plan_of(small_spec(family, 0, 8));
    ASSERT_NE(a, nullptr);
    int differing = 0;
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      auto b = plan_of(small_spec(family, seed, 8));
      ASSERT_NE(b, nullptr);
      if (!(structure_of(a) == structure_of(b))) differing++;
    }
    EXPECT_EQ(differing, 4) << family;
  }
}

TEST(SyntheticGraphs, GraphsHaveParallelBranches) {
  for (const std::string family : {"randwire", "nasnet"}) {
    for (uint64_t seed : {0, 1, 2}) {
      auto plan = plan_of(small_spec(family, seed, 8));
      ASSERT_NE(plan, nullptr);
      const std::vector<int> widths = level_widths(plan);
      const int widest = *std::max_element(widths.begin(), widths.end());
      EXPECT_GE(widest, 2) << family << " seed " << seed;
      // Not a chain with one fork: several levels hold concurrent operators.
      EXPECT_GE(std::count_if(widths.begin(), widths.end(), [](int w) { return w >= 2; }), 3) << family;
    }
  }
}

TEST(SyntheticGraphs, PlansRunOnTheCpuWithFiniteOutputs) {
  for (const std::string family : {"randwire", "nasnet"}) {
    SyntheticGraphSpec s = small_spec(family, 3, 6);
    s.batch = 2;
    auto plan = plan_of(s);
    ASSERT_NE(plan, nullptr);
    std::mt19937 rng(9);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> x(2 * 3 * 16 * 16);
    for (float& v : x) v = normal(rng);
    const Tensor input = Tensor::from_vector<float>({2, 3, 16, 16}, x);
    exec::Arena arena;
    auto out = exec::run_plan(*plan, {&input}, arena, nullptr);
    ASSERT_TRUE(out.ok()) << s.name() << ": " << out.status().to_string();
    ASSERT_EQ(out->size(), 1u);
    const Tensor& y = (*out)[0];
    ASSERT_EQ(y.shape(), (Shape{2, 100}));
    float max_abs = 0;
    for (int64_t i = 0; i < y.numel(); ++i) {
      ASSERT_TRUE(std::isfinite(y.data<float>()[i])) << s.name() << " output " << i;
      max_abs = std::max(max_abs, std::abs(y.data<float>()[i]));
    }
    EXPECT_GT(max_abs, 0.0f) << s.name();
    // The two samples differ, so the output depends on the input.
    EXPECT_NE(y.data<float>()[0], y.data<float>()[100]) << s.name();
  }
}

TEST(SyntheticGraphs, OutOfRangeSpecsAreInvalidArgumentNamingTheField) {
  struct Case {
    std::string field;
    void (*edit)(SyntheticGraphSpec&);
  };
  const std::vector<Case> cases = {
      {"size", [](SyntheticGraphSpec& s) { s.size = 1; }},
      {"size", [](SyntheticGraphSpec& s) { s.size = 65; }},
      {"stages", [](SyntheticGraphSpec& s) { s.stages = 0; }},
      {"stages", [](SyntheticGraphSpec& s) { s.stages = 5; }},
      {"channels", [](SyntheticGraphSpec& s) { s.channels = 3; }},
      {"channels", [](SyntheticGraphSpec& s) { s.channels = 513; }},
      {"resolution", [](SyntheticGraphSpec& s) { s.resolution = 7; }},
      {"resolution", [](SyntheticGraphSpec& s) { s.resolution = 513; }},
      {"batch", [](SyntheticGraphSpec& s) { s.batch = 0; }},
      {"batch", [](SyntheticGraphSpec& s) { s.batch = 65; }},
      {"family", [](SyntheticGraphSpec& s) { s.family = "resnet"; }},
  };
  for (const Case& c : cases) {
    SyntheticGraphSpec s;
    c.edit(s);
    auto g = synthetic_graph(s);
    ASSERT_FALSE(g.ok()) << c.field;
    EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument) << c.field;
    EXPECT_NE(g.status().message().find(c.field), std::string::npos) << g.status().message();
    auto p = synthetic_plan(s);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  }
  // The bounds themselves are valid.
  SyntheticGraphSpec edge = small_spec("randwire", 0, 2);
  edge.resolution = 8;
  edge.channels = 4;
  edge.stages = 4;
  EXPECT_NE(plan_of(edge), nullptr);
  edge.family = "nasnet";
  edge.size = 9;  // three reductions take 8 pixels down to 1
  EXPECT_NE(plan_of(edge), nullptr);
}

TEST(SyntheticGraphs, NamesAreStableAndDistinguishSpecs) {
  SyntheticGraphSpec s;
  s.seed = 7;
  EXPECT_EQ(s.name(), "randwire-n16-st2-c32-r32-s7");
  s.family = "nasnet";
  s.size = 6;
  s.batch = 4;
  EXPECT_EQ(s.name(), "nasnet-n6-c32-r32-s7-b4");
}

TEST(SyntheticGraphs, SuiteIsDeterministicAndCoversBothFamilies) {
  const auto a = synthetic_suite(0, 24, false);
  const auto b = synthetic_suite(0, 24, false);
  ASSERT_EQ(a.size(), 24u);
  std::set<std::string> names, families;
  std::set<int> widths, resolutions;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].name(), b[i].name());
    EXPECT_EQ(a[i].seed, i);
    EXPECT_TRUE(validate(a[i]).ok()) << a[i].name();
    names.insert(a[i].name());
    families.insert(a[i].family);
    widths.insert(a[i].channels);
    resolutions.insert(a[i].resolution);
  }
  EXPECT_EQ(names.size(), a.size());
  EXPECT_EQ(families, (std::set<std::string>{"nasnet", "randwire"}));
  EXPECT_GE(widths.size(), 3u);
  EXPECT_GE(resolutions.size(), 3u);
  // Held-out seeds name other graphs.
  for (const auto& s : synthetic_suite(1000, 8, false)) EXPECT_EQ(names.count(s.name()), 0u) << s.name();
}

// The curriculum relies on these sizes (synthetic_graphs.h).
TEST(SyntheticGraphs, SuiteStepCountsStayInTheirRanges) {
  for (bool large : {false, true}) {
    for (const auto& s : synthetic_suite(0, 40, large)) {
      auto plan = plan_of(s);
      ASSERT_NE(plan, nullptr);
      const size_t steps = plan->steps.size();
      if (large) {
        EXPECT_LE(steps, 450u) << s.name();
      } else if (s.family == "randwire") {
        EXPECT_GE(steps, 40u) << s.name();
        EXPECT_LE(steps, 200u) << s.name();
      } else {
        EXPECT_GE(steps, 60u) << s.name();
        EXPECT_LE(steps, 250u) << s.name();
      }
    }
  }
}

}  // namespace
}  // namespace top::rl

// TaskGraph construction, schedule validation and the sequential / greedy generators,
// on execution plans built by hand (random DAGs, chains, diamonds) without ONNX.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>

#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/graph.h"
#include "plan_builder.h"
#include "sched/generators.h"
#include "sched/ios_dp.h"

namespace top {
namespace {

using testing::chains_plan;
using testing::PlanBuilder;

using exec::ExecutionPlan;
using exec::OpRef;
using exec::Schedule;
using exec::TaskGraph;
using ir::kNoValue;
using ir::ValueId;

// A random DAG in topological order: each step reads 1-3 values among graph inputs,
// constants, earlier outputs and absent optionals, and writes 1-2 values (sometimes an
// omitted kNoValue output).
std::shared_ptr<const ExecutionPlan> random_plan(std::mt19937& rng) {
  PlanBuilder b;
  std::vector<ValueId> available;  // graph inputs + constants + earlier outputs
  const int sources = std::uniform_int_distribution<int>(1, 3)(rng);
  for (int i = 0; i < sources; ++i) available.push_back(b.new_value());
  const int steps = std::uniform_int_distribution<int>(1, 30)(rng);
  for (int s = 0; s < steps; ++s) {
    std::vector<ValueId> in;
    const int nin = std::uniform_int_distribution<int>(1, 3)(rng);
    for (int j = 0; j < nin; ++j) {
      int r = std::uniform_int_distribution<int>(0, 9)(rng);
      if (r == 0) {
        in.push_back(kNoValue);
      } else if (r == 1) {
        in.push_back(b.new_value());  // a constant: no producer
      } else {
        // Prefer recent values so the DAG has depth as well as width.
        int lo = std::max(0, static_cast<int>(available.size()) - 6);
        int pick = r < 6 ? std::uniform_int_distribution<int>(lo, static_cast<int>(available.size()) - 1)(rng)
                         : std::uniform_int_distribution<int>(0, static_cast<int>(available.size()) - 1)(rng);
        in.push_back(available[pick]);
      }
    }
    std::vector<ValueId> out;
    const int nout = std::uniform_int_distribution<int>(1, 2)(rng);
    for (int j = 0; j < nout; ++j) {
      if (j > 0 && std::uniform_int_distribution<int>(0, 3)(rng) == 0) {
        out.push_back(kNoValue);
      } else {
        ValueId v = b.new_value();
        out.push_back(v);
        available.push_back(v);
      }
    }
    double flops = std::uniform_int_distribution<int>(0, 4)(rng) == 0
                       ? 0.0
                       : std::uniform_real_distribution<double>(1.0, 1e6)(rng);
    b.add_step(in, out, flops);
  }
  return b.finish();
}


// Independent check that every op appears exactly once and no group is empty.
void expect_each_op_once(const Schedule& s) {
  const int steps = static_cast<int>(s.plan->steps.size());
  std::map<std::pair<int, int>, int> seen;
  for (const auto& st : s.stages) {
    for (const auto& gr : st.groups) {
      EXPECT_FALSE(gr.ops.empty());
      for (const OpRef& r : gr.ops) ++seen[{r.task, r.step}];
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(s.num_tasks) * steps);
  for (const auto& kv : seen) {
    EXPECT_EQ(kv.second, 1) << "task " << kv.first.first << " step " << kv.first.second;
    EXPECT_GE(kv.first.first, 0);
    EXPECT_LT(kv.first.first, s.num_tasks);
    EXPECT_GE(kv.first.second, 0);
    EXPECT_LT(kv.first.second, steps);
  }
}

size_t total_ops(const Schedule& s) {
  size_t n = 0;
  for (const auto& st : s.stages)
    for (const auto& gr : st.groups) n += gr.ops.size();
  return n;
}

// ---- TaskGraph -----------------------------------------------------------------

TEST(TaskGraph, EdgesFollowValuesWithinEachTask) {
  PlanBuilder b;
  ValueId in = b.new_value(), w = b.new_value();
  ValueId a_out = b.new_value(), a_out2 = b.new_value(), b_out = b.new_value(), c_out = b.new_value();
  b.add_step({in, w}, {a_out, a_out2}, 0.0);             // 0: reads input + constant
  b.add_step({a_out, kNoValue, a_out2}, {b_out}, 10.0);  // 1: reads two outputs of 0 -> one edge
  b.add_step({a_out, b_out, a_out}, {c_out, kNoValue}, 5.0);  // 2: depends on 0 and 1
  auto plan = b.finish();

  TaskGraph g = TaskGraph::build(plan, 2);
  ASSERT_EQ(g.ops.size(), 6u);
  EXPECT_EQ(g.ops[4].task, 1);
  EXPECT_EQ(g.ops[4].step, 1);
  EXPECT_EQ(g.index_of(OpRef{1, 2}), 5);
  EXPECT_TRUE(g.preds[0].empty());
  EXPECT_EQ(g.preds[1], (std::vector<int>{0}));
  EXPECT_EQ(g.preds[2], (std::vector<int>{0, 1}));
  EXPECT_EQ(g.preds[3].size(), 0u);  // no edges between tasks
  EXPECT_EQ(g.preds[5], (std::vector<int>{3, 4}));
  EXPECT_EQ(g.succs[0], (std::vector<int>{1, 2}));
  EXPECT_EQ(g.succs[3], (std::vector<int>{4, 5}));
  EXPECT_TRUE(g.succs[2].empty());
  EXPECT_EQ(g.cost[0], 1.0);  // flops 0 -> 1
  EXPECT_EQ(g.cost[1], 10.0);
  EXPECT_EQ(g.cost[5], 5.0);
}

// ---- validate ------------------------------------------------------------------

// Chain n0 -> n1 -> n2 plus an independent n3, k = 2.
struct BrokenFixture {
  std::shared_ptr<const ExecutionPlan> plan;
  Schedule good;
  BrokenFixture() {
    PlanBuilder b;
    ValueId x = b.new_value();
    ValueId v0 = b.new_value(), v1 = b.new_value(), v2 = b.new_value(), v3 = b.new_value();
    b.add_step({x}, {v0});
    b.add_step({v0}, {v1});
    b.add_step({v1}, {v2});
    b.add_step({x}, {v3});
    plan = b.finish();
    good.plan = plan;
    good.num_tasks = 2;
    // stage 0: [t0 n0, t0 n1] | [t1 n0, t1 n3]; stage 1: [t0 n2, t0 n3] | [t1 n1, t1 n2]
    good.stages.resize(2);
    good.stages[0].groups.resize(2);
    good.stages[0].groups[0].ops = {{0, 0}, {0, 1}};
    good.stages[0].groups[1].ops = {{1, 0}, {1, 3}};
    good.stages[1].groups.resize(2);
    good.stages[1].groups[0].ops = {{0, 2}, {0, 3}};
    good.stages[1].groups[1].ops = {{1, 1}, {1, 2}};
  }
};

void expect_rejected(const Schedule& s, const std::vector<std::string>& fragments) {
  Status st = exec::validate(s);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  for (const std::string& f : fragments)
    EXPECT_NE(st.message().find(f), std::string::npos) << "'" << f << "' not in: " << st.message();
}

TEST(ValidateSchedule, AcceptsHandWrittenSchedule) {
  BrokenFixture f;
  Status st = exec::validate(f.good);
  EXPECT_TRUE(st.ok()) << st.to_string();
  EXPECT_EQ(f.good.num_groups(), 4u);
}

TEST(ValidateSchedule, RejectsMissingOp) {
  BrokenFixture f;
  Schedule s = f.good;
  s.stages[1].groups[1].ops.pop_back();  // drop t1 n2
  expect_rejected(s, {"'n2'", "task 1", "missing"});
}

TEST(ValidateSchedule, RejectsDuplicatedOp) {
  BrokenFixture f;
  Schedule s = f.good;
  s.stages[1].groups[0].ops.push_back({1, 3});
  expect_rejected(s, {"'n3'", "task 1", "twice", "stage 0 group 1", "stage 1 group 0"});
}

TEST(ValidateSchedule, RejectsInvertedDependencyInGroup) {
  BrokenFixture f;
  Schedule s = f.good;
  std::swap(s.stages[1].groups[1].ops[0], s.stages[1].groups[1].ops[1]);  // t1: n2 before n1
  expect_rejected(s, {"'n2'", "'n1'", "task 1", "stage 1 group 1", "later in the same group"});
}

TEST(ValidateSchedule, RejectsProducerInLaterStage) {
  BrokenFixture f;
  Schedule s = f.good;
  // Move t0 n1 from stage 0 to the end of stage 1 group 0: n2 now runs before it.
  s.stages[0].groups[0].ops.pop_back();
  s.stages[1].groups[0].ops.push_back({0, 1});
  expect_rejected(s, {"'n2'", "'n1'", "task 0", "stage 1 group 0", "later in the same group"});

  Schedule s2 = f.good;
  // Move producer t0 n0 to stage 1: its consumer t0 n1 in stage 0 now reads ahead of it.
  s2.stages[0].groups[0].ops.erase(s2.stages[0].groups[0].ops.begin());
  s2.stages[1].groups[0].ops.push_back({0, 0});
  expect_rejected(s2, {"'n1'", "'n0'", "task 0", "stage 0 group 0", "a later stage"});
}

TEST(ValidateSchedule, RejectsProducerInOtherGroupOfSameStage) {
  BrokenFixture f;
  Schedule s = f.good;
  // t1 n1 moves to stage 0 group 0: its producer t1 n0 is in stage 0 group 1.
  s.stages[1].groups[1].ops.erase(s.stages[1].groups[1].ops.begin());
  s.stages[0].groups[0].ops.push_back({1, 1});
  expect_rejected(s, {"'n1'", "'n0'", "task 1", "another group of the same stage"});
}

TEST(ValidateSchedule, RejectsOutOfRangeIndices) {
  BrokenFixture f;
  Schedule s = f.good;
  s.stages[1].groups[0].ops.push_back({2, 0});
  expect_rejected(s, {"task index 2", "stage 1 group 0"});
  s = f.good;
  s.stages[0].groups[1].ops.push_back({-1, 0});
  expect_rejected(s, {"task index -1", "stage 0 group 1"});
  s = f.good;
  s.stages[0].groups[1].ops.push_back({1, 4});
  expect_rejected(s, {"step index 4", "stage 0 group 1"});
  s = f.good;
  s.num_tasks = 1;  // task 1's ops are now out of range
  expect_rejected(s, {"task index 1", "stage 0 group 1"});
}

TEST(ValidateSchedule, RejectsEmptyGroupsAndStages) {
  BrokenFixture f;
  Schedule s = f.good;
  s.stages[1].groups.push_back({});
  expect_rejected(s, {"stage 1 group 2", "empty"});
  s = f.good;
  s.stages.insert(s.stages.begin() + 1, exec::Stage{});
  expect_rejected(s, {"stage 1", "no groups"});
  s = f.good;
  s.plan = nullptr;
  expect_rejected(s, {"no plan"});
}

// ---- generators ----------------------------------------------------------------

TEST(Generators, RandomDagsValidate) {
  std::mt19937 rng(20250711);
  size_t multi_group_stages = 0;  // the DAGs must exercise concurrency, not only chains
  for (int trial = 0; trial < 100; ++trial) {
    auto plan = random_plan(rng);
    for (int k : {1, 2, 3}) {
      TaskGraph g = TaskGraph::build(plan, k);
      const size_t n = g.ops.size();
      auto seq = sched::sequential_schedule(g);
      ASSERT_TRUE(seq.ok()) << seq.status().to_string();
      Status sv = exec::validate(*seq);
      ASSERT_TRUE(sv.ok()) << "trial " << trial << " k " << k << ": " << sv.to_string();
      expect_each_op_once(*seq);
      ASSERT_EQ(seq->stages.size(), 1u);
      ASSERT_EQ(seq->num_groups(), 1u);
      EXPECT_EQ(seq->generator, "sequential");
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(seq->stages[0].groups[0].ops[i], g.ops[i]);  // task-major

      for (int groups : {1, 2, 4}) {
        sched::GeneratorOptions opts;
        opts.max_groups = groups;
        auto gr = sched::greedy_schedule(g, opts);
        ASSERT_TRUE(gr.ok()) << gr.status().to_string();
        Status gv = exec::validate(*gr);
        ASSERT_TRUE(gv.ok()) << "trial " << trial << " k " << k << " groups " << groups << ": " << gv.to_string();
        expect_each_op_once(*gr);
        EXPECT_EQ(total_ops(*gr), n);
        EXPECT_EQ(gr->generator, "greedy");
        EXPECT_LE(gr->stages.size(), n);
        for (size_t si = 0; si < gr->stages.size(); ++si) {
          EXPECT_LE(gr->stages[si].groups.size(), static_cast<size_t>(groups));
          if (gr->stages[si].groups.size() > 1) ++multi_group_stages;
          // Merging leaves no two consecutive single-group stages.
          if (si > 0) {
            EXPECT_FALSE(gr->stages[si].groups.size() == 1 && gr->stages[si - 1].groups.size() == 1);
          }
        }
        if (groups == 1) {
          EXPECT_EQ(gr->stages.size(), 1u);  // all levels merge into one
        }
      }
    }
  }
  EXPECT_GT(multi_group_stages, 100u);
}

TEST(Generators, GreedyRunsIndependentChainsSideBySide) {
  auto plan = chains_plan(8, 5);
  for (int k : {1, 2}) {
    TaskGraph g = TaskGraph::build(plan, k);
    for (int groups : {2, 4, 8}) {
      sched::GeneratorOptions opts;
      opts.max_groups = groups;
      auto s = sched::greedy_schedule(g, opts);
      ASSERT_TRUE(s.ok());
      ASSERT_TRUE(exec::validate(*s).ok());
      ASSERT_EQ(s->stages.size(), 5u);  // one per level
      for (const auto& st : s->stages) {
        ASSERT_EQ(st.groups.size(), static_cast<size_t>(groups));
        // Equal weights: the ops of a level are spread evenly.
        for (const auto& gr : st.groups) EXPECT_EQ(gr.ops.size(), static_cast<size_t>(8 * k / groups));
      }
      // Chain following: each chain stays on one group index from stage to stage.
      std::map<std::pair<int, int>, size_t> group_of_chain;  // (task, chain) -> group
      for (const auto& st : s->stages) {
        for (size_t gi = 0; gi < st.groups.size(); ++gi) {
          for (const OpRef& r : st.groups[gi].ops) {
            auto key = std::make_pair(r.task, r.step / 5);
            auto it = group_of_chain.find(key);
            if (it == group_of_chain.end())
              group_of_chain[key] = gi;
            else
              EXPECT_EQ(it->second, gi) << "task " << r.task << " chain " << r.step / 5 << " groups " << groups;
          }
        }
      }
      EXPECT_EQ(group_of_chain.size(), static_cast<size_t>(8 * k));
    }
  }
}

TEST(Generators, GreedyChainIsOneGroup) {
  auto plan = chains_plan(1, 12);
  for (int groups : {1, 2, 4}) {
    sched::GeneratorOptions opts;
    opts.max_groups = groups;
    auto s = sched::greedy_schedule(TaskGraph::build(plan, 1), opts);
    ASSERT_TRUE(s.ok());
    ASSERT_EQ(s->stages.size(), 1u);
    ASSERT_EQ(s->num_groups(), 1u);
    ASSERT_EQ(s->stages[0].groups[0].ops.size(), 12u);
    for (int i = 0; i < 12; ++i) EXPECT_EQ(s->stages[0].groups[0].ops[i].step, i);

    // Two tasks of a chain: two groups per stage (or one merged stage when max_groups 1).
    auto s2 = sched::greedy_schedule(TaskGraph::build(plan, 2), opts);
    ASSERT_TRUE(s2.ok());
    ASSERT_TRUE(exec::validate(*s2).ok());
    if (groups == 1) {
      EXPECT_EQ(s2->stages.size(), 1u);
    } else {
      EXPECT_EQ(s2->stages.size(), 12u);
      for (const auto& st : s2->stages) {
        ASSERT_EQ(st.groups.size(), 2u);
        EXPECT_NE(st.groups[0].ops[0].task, st.groups[1].ops[0].task);
      }
    }
  }
}

TEST(Generators, GreedyDiamond) {
  // a -> {b, c} -> d: stages [a] [b | c] [d]; the single-group stages are not adjacent.
  PlanBuilder b;
  ValueId x = b.new_value(), va = b.new_value(), vb = b.new_value(), vc = b.new_value(), vd = b.new_value();
  b.add_step({x}, {va});
  b.add_step({va}, {vb});
  b.add_step({va}, {vc});
  b.add_step({vb, vc}, {vd});
  auto s = sched::greedy_schedule(TaskGraph::build(b.finish(), 1));  // default max_groups 2
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(exec::validate(*s).ok());
  ASSERT_EQ(s->stages.size(), 3u);
  EXPECT_EQ(s->stages[0].groups.size(), 1u);
  ASSERT_EQ(s->stages[1].groups.size(), 2u);
  EXPECT_EQ(s->stages[2].groups.size(), 1u);
  std::set<int> mid{s->stages[1].groups[0].ops[0].step, s->stages[1].groups[1].ops[0].step};
  EXPECT_EQ(mid, (std::set<int>{1, 2}));
}

TEST(Generators, GreedyBalancesByOpCost) {
  // Eleven independent ops: one of cost 10, ten of cost 1. With two groups, LPT puts the
  // heavy one alone and the ten light ones together: both groups weigh 10.
  PlanBuilder b;
  ValueId x = b.new_value();
  for (int i = 0; i < 11; ++i) b.add_step({x}, {b.new_value()});
  TaskGraph g = TaskGraph::build(b.finish(), 1);
  sched::GeneratorOptions opts;
  opts.max_groups = 2;
  opts.op_cost = [](const OpRef& r) { return r.step == 7 ? 10.0 : 1.0; };
  auto s = sched::greedy_schedule(g, opts);
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(s->stages.size(), 1u);
  ASSERT_EQ(s->stages[0].groups.size(), 2u);
  std::vector<size_t> sizes{s->stages[0].groups[0].ops.size(), s->stages[0].groups[1].ops.size()};
  std::sort(sizes.begin(), sizes.end());
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 10}));
  EXPECT_DOUBLE_EQ(s->predicted_ms, 10.0);

  auto seq = sched::sequential_schedule(g, opts);
  ASSERT_TRUE(seq.ok());
  EXPECT_DOUBLE_EQ(seq->predicted_ms, 20.0);
  // Without op_cost there is no prediction, and flops (all 1) balance op counts.
  auto plain = sched::greedy_schedule(g, sched::GeneratorOptions{});
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->predicted_ms, 0.0);
  EXPECT_EQ(plain->stages[0].groups[0].ops.size(), 6u);
  EXPECT_EQ(plain->stages[0].groups[1].ops.size(), 5u);
}

TEST(Generators, ByNameAndBadOptions) {
  auto plan = chains_plan(2, 3);
  TaskGraph g = TaskGraph::build(plan, 1);
  auto a = sched::make_schedule("sequential", g);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->generator, "sequential");
  auto b = sched::make_schedule("greedy", g);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->generator, "greedy");
  auto c = sched::make_schedule("ios", g);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kUnsupported);
  // Other tests of this binary may register more generators (sched/registry.h).
  EXPECT_EQ(c.status().message().rfind("unknown schedule generator 'ios' (available: greedy, ios-dp, ", 0), 0u)
      << c.status().message();

  sched::GeneratorOptions zero;
  zero.max_groups = 0;
  auto d = sched::greedy_schedule(g, zero);
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);

  TaskGraph empty = TaskGraph::build(plan, 0);
  EXPECT_FALSE(sched::sequential_schedule(empty).ok());
  EXPECT_FALSE(sched::greedy_schedule(TaskGraph{}).ok());
}

// With a cost, greedy is kept only when it is predicted faster than sequential: a
// per-stage overhead larger than what two parallel chains save makes it fall back.
TEST(Generators, GreedyFallsBackToSequentialWhenParallelismDoesNotPay) {
  auto plan = chains_plan(2, 3);
  TaskGraph g = TaskGraph::build(plan, 1);
  sched::GeneratorOptions go;
  go.max_groups = 2;
  go.op_cost = [](const exec::OpRef&) { return 1.0; };
  go.stage_overhead = 0.01;  // cheap stages: two chains side by side pay
  auto fast = sched::make_schedule("greedy", g, go);
  ASSERT_TRUE(fast.ok());
  EXPECT_EQ(fast->generator, "greedy");
  EXPECT_GT(fast->num_groups(), 1u);
  EXPECT_GT(fast->predicted_ms, 0.0);
  go.stage_overhead = 100.0;  // every stage boundary costs more than any op
  auto slow = sched::make_schedule("greedy", g, go);
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->generator, "greedy(sequential)");
  EXPECT_EQ(slow->num_groups(), 1u);
  auto seq_cost = sched::predicted_cost(*slow, g, go);
  auto greedy_cost = sched::predicted_cost(*fast, g, go);
  ASSERT_TRUE(seq_cost.ok() && greedy_cost.ok());
  EXPECT_LT(*seq_cost, *greedy_cost);
  EXPECT_TRUE(exec::validate(*slow).ok());
}

}  // namespace
}  // namespace top

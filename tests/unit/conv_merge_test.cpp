// Merged same-input convolutions (exec/conv_merge.h) and ios-dp's merge stages.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <random>

#include "backend/sim/virtual_executor.h"
#include "exec/compiled_schedule.h"
#include "exec/conv_merge.h"
#include "exec/executor.h"
#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/graph.h"
#include "profile/cost_model.h"
#include "profile/device.h"
#include "runtime/stage_executor.h"
#include "sched/generators.h"
#include "sched/ios_dp.h"
#include "test_models.h"
#include "util/thread_pool.h"

namespace top {
namespace {

std::shared_ptr<const exec::ExecutionPlan> block_plan(int64_t batch = 2) {
  Model m = testing::load_proto(testing::inception_block_model());
  auto plan = exec::make_plan(m.graph(), {{batch, 8, 10, 10}});
  EXPECT_TRUE(plan.ok()) << plan.status().to_string();
  return *plan;
}

Tensor random_input(int64_t batch, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<float> v(static_cast<size_t>(batch * 8 * 100));
  for (float& x : v) x = u(rng);
  return Tensor::from_vector<float>({batch, 8, 10, 10}, v);
}

std::vector<int> steps_of(const exec::ExecutionPlan& plan, const std::string& prefix) {
  std::vector<int> out;
  for (size_t s = 0; s < plan.steps.size(); ++s)
    if (plan.graph->nodes[plan.steps[s].node].name.rfind(prefix, 0) == 0) out.push_back(static_cast<int>(s));
  return out;
}

TEST(ConvMerge, KeysGroupSameInputConvolutions) {
  auto plan = block_plan();
  std::vector<int> ones = steps_of(*plan, "conv1x1_");
  ASSERT_EQ(ones.size(), 3u);
  const std::string key = exec::conv_merge_key(*plan, ones[0]);
  ASSERT_FALSE(key.empty());
  EXPECT_EQ(exec::conv_merge_key(*plan, ones[1]), key);  // no bias, same window: still mergeable
  EXPECT_EQ(exec::conv_merge_key(*plan, ones[2]), key);
  std::vector<int> three = steps_of(*plan, "conv3x3");
  ASSERT_EQ(three.size(), 1u);
  EXPECT_NE(exec::conv_merge_key(*plan, three[0]), key);  // another window
  EXPECT_TRUE(exec::conv_merge_key(*plan, steps_of(*plan, "pool")[0]).empty());
  EXPECT_FALSE(exec::merge_convs(*plan, {ones[0], three[0]}).ok());
  EXPECT_FALSE(exec::merge_convs(*plan, {ones[0]}).ok());
}

TEST(ConvMerge, WideConvolutionEqualsTheParts) {
  auto plan = block_plan();
  std::vector<int> ones = steps_of(*plan, "conv1x1_");
  // Steps in a non-sorted order: channels follow the order given.
  std::vector<int> order{ones[2], ones[0], ones[1]};
  auto merged = exec::merge_convs(*plan, order);
  ASSERT_TRUE(merged.ok()) << merged.status().to_string();
  EXPECT_EQ((*merged)->output_shape, (Shape{2, 13, 10, 10}));
  Tensor x = random_input(2, 11);
  ThreadPool pool(1);
  exec::Arena a1, a2;
  exec::Bindings ref, got;
  ASSERT_TRUE(exec::bind(*plan, {&x}, a1, ref).ok());
  ASSERT_TRUE(exec::bind(*plan, {&x}, a2, got).ok());
  for (int s : order) ASSERT_TRUE(exec::run_step(*plan, plan->steps[s], ref, &pool).ok());
  ASSERT_TRUE(exec::run_merged_conv(*plan, **merged, got, &pool).ok());
  for (int s : order) {
    const Tensor& r = ref.tensors[plan->steps[s].outputs[0]];
    const Tensor& g = got.tensors[plan->steps[s].outputs[0]];
    ASSERT_EQ(r.shape(), g.shape());
    double max_abs = 0;
    for (int64_t i = 0; i < r.numel(); ++i) max_abs = std::max(max_abs, std::abs(double(r.data<float>()[i])));
    ASSERT_GT(max_abs, 0.1);  // random data, not zeros
    for (int64_t i = 0; i < r.numel(); ++i) ASSERT_NEAR(r.data<float>()[i], g.data<float>()[i], 1e-5 * max_abs) << i;
  }
}

// ios-dp with a merged cost cheaper than the parts emits a merge stage; the schedule
// validates and the stage executor's results equal a sequential run's.
TEST(ConvMerge, IosDpEmitsMergeStagesThatRunCorrectly) {
  auto plan = block_plan();
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 2);
  sched::GeneratorOptions go;
  go.max_groups = 2;
  go.op_cost = [](const exec::OpRef&) { return 1.0; };
  go.merged_cost = [](const std::vector<exec::OpRef>& ops) { return 0.2 * static_cast<double>(ops.size()); };
  sched::IosDpStats stats;
  auto s = sched::ios_dp_schedule(tg, go, &stats);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  ASSERT_TRUE(exec::validate(*s).ok());
  int merged_groups = 0;
  for (const auto& st : s->stages)
    for (const auto& g : st.groups) merged_groups += g.merged ? 1 : 0;
  EXPECT_EQ(merged_groups, 2) << "one merge stage per task; chosen: " << stats.chosen;
  auto predicted = sched::predicted_cost(*s, tg, go);
  ASSERT_TRUE(predicted.ok());
  EXPECT_NEAR(*predicted, stats.dp_cost, 1e-9);

  auto compiled = exec::CompiledSchedule::compile(*s);
  ASSERT_TRUE(compiled.ok()) << compiled.status().to_string();
  runtime::StageExecutor ex(2, 1, nullptr, nullptr);
  auto inst = std::make_shared<runtime::Instance>();
  inst->compiled = *compiled;
  inst->inputs = {{random_input(2, 1)}, {random_input(2, 2)}};
  ASSERT_TRUE(inst->bind().ok());
  std::promise<void> done;
  inst->on_done = [&](runtime::Instance&) { done.set_value(); };
  ex.submit(inst);
  done.get_future().wait();
  ThreadPool pool(1);
  for (int t = 0; t < 2; ++t) {
    ASSERT_TRUE(inst->task_error[t].ok()) << inst->task_error[t].to_string();
    auto outs = exec::collect_outputs(*plan, inst->bindings[t]);
    ASSERT_TRUE(outs.ok());
    exec::Arena arena;
    auto ref = exec::run_plan(*plan, {&inst->inputs[t][0]}, arena, &pool);
    ASSERT_TRUE(ref.ok());
    const Tensor& a = (*outs)[0];
    const Tensor& b = (*ref)[0];
    ASSERT_EQ(a.shape(), b.shape());
    for (int64_t i = 0; i < a.numel(); ++i) ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-4) << i;
  }
  EXPECT_EQ(inst->ops_done.load(), inst->total_ops);
}

// The simulator times a merged group as one wide convolution (the cost model's
// merged_conv), not as its parts one after another.
TEST(ConvMerge, VirtualExecutorTimesAMergedGroupAsOneConvolution) {
  auto plan = block_plan();
  std::vector<int> ones = steps_of(*plan, "conv1x1_");
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  auto seq = sched::sequential_schedule(tg);
  ASSERT_TRUE(seq.ok());
  // Stage 0: the three 1x1 convolutions merged; stage 1: everything else in order.
  exec::Schedule s = *seq;
  exec::Group merged;
  merged.merged = true;
  exec::Group rest;
  for (const exec::OpRef& r : seq->stages[0].groups[0].ops)
    (std::find(ones.begin(), ones.end(), r.step) != ones.end() ? merged : rest).ops.push_back(r);
  s.stages = {exec::Stage{{merged}}, exec::Stage{{rest}}};
  ASSERT_TRUE(exec::validate(s).ok()) << exec::validate(s).to_string();
  auto cs = exec::CompiledSchedule::compile(s);
  ASSERT_TRUE(cs.ok()) << cs.status().to_string();
  profile::CostModel cost(profile::cpu_host(1));
  auto timed = backend::sim::TimedSchedule::build(cost, *cs, 1);
  ASSERT_EQ(timed->groups.size(), 2u);
  ASSERT_EQ(timed->groups[0].size(), 1u);
  EXPECT_NEAR(timed->groups[0][0].ms, cost.merged_conv(*plan, ones, 1).ms, 1e-12);
  double parts = 0;
  for (int st : ones) parts += cost.op(*plan, plan->steps[st], 1).ms;
  EXPECT_GT(parts, 0.0);
  EXPECT_NE(timed->groups[0][0].ms, parts);
}

TEST(ConvMerge, ValidateRejectsBadMergedGroups) {
  auto plan = block_plan();
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  auto seq = sched::sequential_schedule(tg);
  ASSERT_TRUE(seq.ok());
  exec::Schedule bad = *seq;
  bad.stages[0].groups[0].merged = true;  // every op of the plan as one "convolution"
  Status st = exec::validate(bad);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("merged"), std::string::npos) << st.to_string();
}

// Without merged_cost, ios-dp never merges.
TEST(ConvMerge, NoMergingWithoutAMergedCost) {
  auto plan = block_plan();
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  sched::GeneratorOptions go;
  auto s = sched::ios_dp_schedule(tg, go);
  ASSERT_TRUE(s.ok());
  for (const auto& st : s->stages)
    for (const auto& g : st.groups) EXPECT_FALSE(g.merged);
}

}  // namespace
}  // namespace top

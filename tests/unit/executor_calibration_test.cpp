// The stage executor's calibrations (runtime/executor_calibration.h) and its stream
// polling rule (runtime/stream_spin.h): what they return, not how fast this machine is.
#include <gtest/gtest.h>

#include <cmath>
#include <future>

#include "exec/plan.h"
#include "profile/cost_model.h"
#include "runtime/executor_calibration.h"
#include "runtime/stage_executor.h"
#include "runtime/stream_spin.h"
#include "sched/generators.h"
#include "op_test_util.h"
#include "test_models.h"

namespace top {
namespace {

using testing::branchy_model;
using testing::load_proto;

// x[batch, 256] -> Relu -> Sigmoid -> Tanh: no two operators can ever run at once.
Model chain_model() {
  onnx::ModelProto m = testing::empty_model();
  onnx::GraphProto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {-1, 256});
  testing::add_node(g, "Relu", {"x"}, {"a"}, "relu");
  testing::add_node(g, "Sigmoid", {"a"}, {"b"}, "sigmoid");
  testing::add_node(g, "Tanh", {"b"}, {"y"}, "tanh");
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, 256});
  return load_proto(m);
}

TEST(StreamSpin, PollsOnlyWhenTheStreamsFitTheCores) {
  EXPECT_EQ(runtime::resolve_spin_us(runtime::kSpinAuto, 2, 1, 2), runtime::kAutoSpinUs);
  EXPECT_EQ(runtime::resolve_spin_us(runtime::kSpinAuto, 2, 2, 2), 0);  // 4 threads on 2 cores
  EXPECT_EQ(runtime::resolve_spin_us(runtime::kSpinAuto, 4, 1, 2), 0);
  EXPECT_EQ(runtime::resolve_spin_us(runtime::kSpinAuto, 1, 1, 0), 0);  // cores unknown
  EXPECT_EQ(runtime::resolve_spin_us(50, 8, 8, 2), 50);                 // given: taken as is
  EXPECT_EQ(runtime::resolve_spin_us(0, 1, 1, 64), 0);
}

// Polling or sleeping, a multi-stream schedule computes the same outputs as running the
// plan in order, every operator once.
TEST(StageExecutor, PollingAndSleepingStreamsGiveTheSameResults) {
  Model m = load_proto(branchy_model(4096));
  Tensor x = testing::random_tensor<float>({3, 4096}, 11);
  auto plan = exec::make_plan(m.graph(), {x.shape()}).value();
  sched::GeneratorOptions go;
  go.max_groups = 2;
  auto cs = exec::CompiledSchedule::compile(sched::make_schedule("greedy", exec::TaskGraph::build(plan, 1), go).value())
                .value();
  ASSERT_GT(cs->groups.size(), 1u);
  ThreadPool pool(1);
  exec::Arena ref_arena;
  auto ref = exec::run_plan(*plan, {&x}, ref_arena, &pool);
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();
  for (int spin_us : {0, 1000}) {
    runtime::StageExecutor ex(2, 1, nullptr, nullptr, spin_us);
    EXPECT_EQ(ex.spin_us(), spin_us);
    for (int rep = 0; rep < 20; ++rep) {
      auto inst = std::make_shared<runtime::Instance>();
      inst->compiled = cs;
      inst->inputs = {{x}};
      ASSERT_TRUE(inst->bind().ok());
      std::promise<void> done;
      inst->on_done = [&](runtime::Instance&) { done.set_value(); };
      ex.submit(inst);
      done.get_future().wait();
      ASSERT_TRUE(inst->task_error[0].ok()) << inst->task_error[0].to_string();
      EXPECT_EQ(inst->ops_done.load(), inst->total_ops);
      auto out = inst->task_outputs(0);
      ASSERT_TRUE(out.ok());
      const Tensor& a = (*out)[0];
      const Tensor& b = (*ref)[0];
      ASSERT_EQ(a.shape(), b.shape());
      for (int64_t i = 0; i < a.numel(); ++i) ASSERT_EQ(a.data<float>()[i], b.data<float>()[i]) << "spin " << spin_us;
    }
  }
}

TEST(ExecutorCalibration, WakeUpIsPositiveAndBelowASecond) {
  auto ms = runtime::measure_wake_ms(10);
  ASSERT_TRUE(ms.ok()) << ms.status().to_string();
  EXPECT_GT(*ms, 0.0);
  EXPECT_LT(*ms, 1000.0);
}

// A chain never overlaps two operators: nothing to measure, and nothing made up.
TEST(ExecutorCalibration, ScheduleCorunOfAChainHasNoOverlap) {
  Model m = chain_model();
  Tensor x = testing::random_tensor<float>({2, 256}, 5);
  auto plan = exec::make_plan(m.graph(), {x.shape()}).value();
  auto c = runtime::measure_schedule_corun(plan, {x}, 2, 3);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_FALSE(c->has_overlap());
  EXPECT_EQ(c->overlapped_ops, 0);
  EXPECT_DOUBLE_EQ(c->measurement.pairwise_slowdown, 1.0);
  EXPECT_TRUE(c->measurement.by_op_type.empty());
}

// A branchy model: whatever overlapped is accounted consistently (the pairwise figure is
// the ratio of the recorded sums; per-type figures only for types that were measured).
TEST(ExecutorCalibration, ScheduleCorunIsTheRatioOfOverlappedToSequentialTimes) {
  Model m = load_proto(branchy_model(1 << 16));
  Tensor x = testing::random_tensor<float>({4, 1 << 16}, 9);
  auto plan = exec::make_plan(m.graph(), {x.shape()}).value();
  auto c = runtime::measure_schedule_corun(plan, {x}, 2, 15);
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  const profile::ConcurrencyMeasurement& cm = c->measurement;
  EXPECT_EQ(cm.streams, 2);
  EXPECT_FALSE(cm.method.empty());
  if (!c->has_overlap()) GTEST_SKIP() << "no operators overlapped on this machine (one core or heavy load)";
  ASSERT_GT(cm.alone_ms, 0.0);
  EXPECT_NEAR(cm.pairwise_slowdown, cm.concurrent_ms / cm.alone_ms, 1e-9);
  EXPECT_TRUE(std::isfinite(cm.pairwise_slowdown));
  for (const auto& [type, f] : cm.by_op_type) {
    EXPECT_TRUE(type == "Relu" || type == "Sigmoid" || type == "Tanh" || type == "Neg" || type == "Add" ||
                type == "Mul")
        << type;
    EXPECT_GT(f, 0.0);
  }
}

// The trace analysis on a made-up trace: one sequential run (A 100 us, B 100 us, C 50 us)
// and one greedy run where A and B overlap for most of their time (A 120 us on stream 0,
// B 130 us on stream 1) and C runs alone: A and B count, C does not.
TEST(ExecutorCalibration, ScheduleCorunFromATraceComparesOverlappedOperatorsWithSequential) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point t0 = Clock::now();
  auto at = [&](int us) { return t0 + std::chrono::microseconds(us); };
  auto slice = [&](const char* name, const char* type, int stream, int b, int e) {
    runtime::TraceSlice s;
    s.name = name;
    s.op_type = type;
    s.stream = stream;
    s.begin = at(b);
    s.end = at(e);
    return s;
  };
  std::vector<runtime::TraceSlice> slices = {
      slice("A", "Conv", 0, 0, 100),     slice("B", "Conv", 0, 100, 200), slice("C", "Relu", 0, 200, 250),
      slice("A", "Conv", 0, 1000, 1120), slice("B", "Conv", 1, 1010, 1140), slice("C", "Relu", 0, 1150, 1200),
  };
  std::vector<runtime::RunWindow> windows = {{at(0), at(300), false}, {at(1000), at(1300), true}};
  runtime::ScheduleCorun c = runtime::schedule_corun_from_trace(slices, windows);
  EXPECT_EQ(c.overlapped_ops, 2);
  EXPECT_NEAR(c.measurement.pairwise_slowdown, 250.0 / 200.0, 1e-9);
  EXPECT_NEAR(c.measurement.alone_ms, 0.2, 1e-9);
  EXPECT_NEAR(c.measurement.concurrent_ms, 0.25, 1e-9);
  EXPECT_TRUE(c.measurement.by_op_type.empty());  // fewer than 3 overlapped Conv: pairwise only
  // B starting late enough that it overlaps A for less than half of its own time (40 of
  // 120 us), which is also less than half of A's: neither counts (C runs after B).
  slices[4] = slice("B", "Conv", 1, 1080, 1200);
  slices[5] = slice("C", "Relu", 0, 1210, 1260);
  c = runtime::schedule_corun_from_trace(slices, windows);
  EXPECT_EQ(c.overlapped_ops, 0);
  EXPECT_FALSE(c.has_overlap());
}

// The executor's calibrations travel with the profile.
TEST(ExecutorCalibration, ProfileRoundTripKeepsWakeUpAndGroupOverhead) {
  profile::Profile p;
  p.device = profile::cpu_host(1);
  p.stream_wake_ms = 0.037;
  p.group_overhead_ms = 0.002;
  p.has_sibling_concurrency = true;
  p.sibling_concurrency.pairwise_slowdown = 1.5;
  p.sibling_concurrency.by_op_type["Conv"] = 1.4;
  p.sibling_concurrency.alone_ms = 1.0;
  auto back = profile::profile_from_json(profile::profile_to_json(p));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_DOUBLE_EQ(back->stream_wake_ms, 0.037);
  EXPECT_DOUBLE_EQ(back->group_overhead_ms, 0.002);
  ASSERT_TRUE(back->has_sibling_concurrency);
  EXPECT_FALSE(back->has_concurrency);
  EXPECT_DOUBLE_EQ(back->sibling_concurrency.pairwise_slowdown, 1.5);
  EXPECT_DOUBLE_EQ(back->sibling_concurrency.by_op_type.at("Conv"), 1.4);
  // Merging another model's profile weights the sibling figures by measured time.
  profile::Profile q = p;
  q.sibling_concurrency.pairwise_slowdown = 1.0;
  q.sibling_concurrency.by_op_type["Conv"] = 1.0;
  q.sibling_concurrency.alone_ms = 3.0;
  ASSERT_TRUE(back->merge(q).ok());
  EXPECT_DOUBLE_EQ(back->sibling_concurrency.pairwise_slowdown, 1.125);
  EXPECT_DOUBLE_EQ(back->sibling_concurrency.by_op_type.at("Conv"), 1.1);
  // The cost model takes the sibling figure only for siblings.
  profile::CostModel cost(*back);
  EXPECT_NEAR(cost.corun_per_extra("Conv", /*sibling=*/true), 0.1, 1e-12);
  EXPECT_EQ(cost.corun_per_extra("Conv", /*sibling=*/false), 0.0);
}

}  // namespace
}  // namespace top

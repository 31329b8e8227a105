// The sim backend and the simulator: virtual-time runs of plans and schedules, the
// event-driven schedule prediction, and whole-runtime simulations that are
// deterministic for a seed and keep every task accounted for.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/backend.h"
#include "backend/sim/sim_backend.h"
#include "backend/sim/virtual_executor.h"
#include "exec/plan.h"
#include "profile/cost_model.h"
#include "runtime/stage_executor.h"
#include "sched/generators.h"
#include "sim/arrival.h"
#include "sim/simulator.h"
#include "test_models.h"
#include "top/stats.h"

namespace top {
namespace {

using testing::branchy_model;
using testing::inception_block_model;
using testing::load_proto;

std::shared_ptr<const profile::CostModel> h100() {
  return std::make_shared<profile::CostModel>(profile::device_by_name("h100").value());
}

std::shared_ptr<const exec::CompiledSchedule> compiled(const Model& m, const std::vector<Shape>& shapes,
                                                          const std::string& generator, int k, int groups) {
  auto plan = exec::make_plan(m.graph(), shapes).value();
  sched::GeneratorOptions go;
  go.max_groups = groups;
  auto s = sched::make_schedule(generator, exec::TaskGraph::build(plan, k), go).value();
  return exec::CompiledSchedule::compile(std::move(s)).value();
}

TEST(SimBackend, RunAdvancesTheClockByThePlanAndShapesOutputs) {
  Model m = load_proto(inception_block_model());
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  Tensor x = Tensor::zeros(DataType::kFloat32, {2, 8, 10, 10});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
  auto plan = exec::make_plan(m.graph(), {x.shape()}).value();

  backend::BackendOptions o;
  o.device = "a100";
  auto be = backend::create_backend("sim", o);
  ASSERT_TRUE(be.ok()) << be.status().to_string();
  auto& sim = static_cast<backend::SimBackend&>(**be);
  EXPECT_EQ(sim.name(), "sim");
  exec::Arena arena;
  int observed = 0;
  exec::StepObserver obs = [&](const exec::Step&, auto b, auto e) { observed += e >= b ? 1 : -1000; };
  auto outs = sim.run(*plan, {&x}, arena, &obs);
  ASSERT_TRUE(outs.ok()) << outs.status().to_string();
  ASSERT_EQ(outs->size(), 1u);
  EXPECT_EQ((*outs)[0].shape(), (Shape{2, 21, 10, 10}));
  EXPECT_EQ(observed, static_cast<int>(plan->steps.size()));
  const double once = sim.plan_ms(*plan);
  EXPECT_GT(once, 0);
  EXPECT_NEAR(sim.now_ms(), once, 1e-9 * once);
  ASSERT_TRUE(sim.run(*plan, {&x}, arena).ok());
  EXPECT_NEAR(sim.now_ms(), 2 * once, 1e-9 * once);
}

TEST(SimBackend, BadProfileOrDeviceIsAClearError) {
  backend::BackendOptions o;
  o.profile = "/nonexistent/profile.json";
  auto be = backend::create_backend("sim", o);
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().to_string().find("sim backend: profile '/nonexistent/profile.json'"), std::string::npos)
      << be.status().to_string();
  o.profile.clear();
  o.device = "tpu9000";
  be = backend::create_backend("sim", o);
  ASSERT_FALSE(be.ok());
  EXPECT_NE(be.status().to_string().find("tpu9000"), std::string::npos) << be.status().to_string();
}

// A 4-core CPU: a one-thread stream keeps a quarter of it busy, so streams overlap.
std::shared_ptr<const profile::CostModel> four_core_cpu() {
  profile::DeviceSpec d = profile::cpu_host(1);
  d.compute_units = 4;
  d.max_concurrent_kernels = 4;
  return std::make_shared<profile::CostModel>(d);
}

// One stream: the instance takes the sum of its operators. Two streams: less (the
// branches overlap) but never less than the longest group chain allows.
TEST(VirtualExecutor, ScheduleLatencyFollowsStreamsAndSharing) {
  Model m = load_proto(branchy_model(1 << 16));
  auto cost = four_core_cpu();
  auto seq = compiled(m, {{4, 1 << 16}}, "sequential", 1, 1);
  auto timed = backend::sim::TimedSchedule::build(*cost, seq, 1);
  EXPECT_NEAR(backend::sim::predict_schedule_ms(*cost, seq, 1, 1), timed->serial_ms, 1e-9 * timed->serial_ms);
  // A dispatch latency is paid once: the single group starts on a sleeping stream.
  EXPECT_NEAR(backend::sim::predict_schedule_ms(*cost, seq, 1, 1, {0.5, 0.0}), timed->serial_ms + 0.5, 1e-6);

  auto greedy = compiled(m, {{4, 1 << 16}}, "greedy", 1, 2);
  auto gt = backend::sim::TimedSchedule::build(*cost, greedy, 1);
  double one = backend::sim::predict_schedule_ms(*cost, greedy, 1, 1);
  double two = backend::sim::predict_schedule_ms(*cost, greedy, 2, 1);
  EXPECT_NEAR(one, gt->serial_ms, 1e-9 * one);
  EXPECT_LT(two, 0.95 * one);
  double longest_group = 0;
  for (const auto& g : gt->groups) {
    double s = 0;
    for (const auto& op : g) s += op.ms;
    longest_group = std::max(longest_group, s);
  }
  EXPECT_GE(two, longest_group);
}

// A stream that is still polling starts a group at once; a sleeping one pays the
// wake-up. Streams start asleep; a second instance submitted as the first ends finds
// them polling (or, without polling, the one that finished earlier asleep).
TEST(VirtualExecutor, PollingStreamsStartAtOnceSleepingOnesAfterTheWakeUp) {
  Model m = load_proto(branchy_model(1 << 16));
  auto cost = four_core_cpu();
  auto greedy = compiled(m, {{4, 1 << 16}}, "greedy", 1, 2);
  ASSERT_GT(greedy->groups.size(), 2u);
  auto timed = backend::sim::TimedSchedule::build(*cost, greedy, 1);
  const double wake = 0.5;
  // (first instance, second instance) latencies, back to back.
  auto two_runs = [&](backend::sim::StreamDispatch d) {
    backend::sim::VirtualExecutor ex(2, d);
    std::vector<double> out;
    for (int i = 0; i < 2; ++i) {
      const double t0 = ex.now_ms();
      ex.submit(timed);
      std::vector<uint64_t> finished;
      while (finished.empty()) ex.advance_to(ex.next_event_ms(), finished);
      out.push_back(ex.now_ms() - t0);
    }
    return out;
  };
  const double free_ms = two_runs({0.0, 0.0})[0];
  auto sleeping = two_runs({wake, 0.0});
  auto polling = two_runs({wake, 1e9});
  EXPECT_GE(sleeping[0], free_ms + wake - 1e-9);  // streams start asleep
  EXPECT_GE(polling[0], free_ms + wake - 1e-9);
  EXPECT_NEAR(polling[1], free_ms, 1e-6);          // both still polling: no wake-up at all
  EXPECT_GT(sleeping[1], polling[1] + 1e-6);       // the earlier-finished stream slept
  // default_dispatch: a GPU waits on events and never polls; a CPU profile's measured
  // wake-up is used, and the executor's polling rule for the device's cores.
  auto gpu = backend::sim::default_dispatch(*h100(), 2, 1);
  EXPECT_EQ(gpu.spin_ms, 0.0);
  profile::Profile p;
  p.device = cost->device();
  p.stream_wake_ms = 0.031;
  profile::CostModel cpu(p);
  auto d = backend::sim::default_dispatch(cpu, 2, 1);
  EXPECT_DOUBLE_EQ(d.wake_ms, 0.031);
  EXPECT_DOUBLE_EQ(d.spin_ms, runtime::kAutoSpinUs / 1000.0);
  EXPECT_EQ(backend::sim::default_dispatch(cpu, 8, 1).spin_ms, 0.0);  // 8 streams > 4 cores
}

// Two merged copies of a big elementwise graph on an H100: each operator fills the
// device, so two streams cannot beat one by much (processor sharing), unlike a CPU
// stream with a core of its own.
TEST(VirtualExecutor, OperatorsThatFillTheDeviceShareIt) {
  Model m = load_proto(branchy_model(1 << 20));
  auto cost = h100();
  auto merged = compiled(m, {{8, 1 << 20}}, "greedy", 2, 2);
  double one = backend::sim::predict_schedule_ms(*cost, merged, 1, 1);
  double two = backend::sim::predict_schedule_ms(*cost, merged, 2, 1);
  EXPECT_GT(two, 0.9 * one);
  EXPECT_LE(two, one * (1 + 1e-9));
}

struct Traffic {
  std::vector<sim::SimulatedModel> models;
  std::vector<double> times;
  std::vector<int> which;
};

Traffic bursty_two_models(uint64_t seed) {
  Traffic t;
  t.models.push_back({"branchy", load_proto(branchy_model(4096)), {{1, 4096}}});
  t.models.push_back({"inception", load_proto(inception_block_model()), {{1, 8, 10, 10}}});
  auto arrivals = sim::parse_arrival("bursty:on_rate=40000,off_rate=4000,on_s=0.02,off_s=0.02").value();
  t.times = arrivals->times(0.5, seed);
  t.which = sim::assign_models(sim::parse_mix("branchy:2,inception:1").value(), t.times.size(), seed + 1);
  return t;
}

sim::SimulatorConfig dynbatch_config() {
  sim::SimulatorConfig cfg;
  cfg.num_streams = 2;
  cfg.queue_capacity = 64;
  cfg.launch_policy = dynamic_batching_policy(4, 0.05, 2);
  cfg.graph_policy = fixed_graph_policy(GraphMode::kBatch, "greedy");
  cfg.cost_model = h100();
  return cfg;
}

TEST(Simulator, SameSeedSameStatsAndEveryTaskAccounted) {
  Traffic t = bursty_two_models(11);
  ASSERT_GT(t.times.size(), 1000u);
  auto a = sim::simulate(dynbatch_config(), t.models, t.times, t.which);
  auto b = sim::simulate(dynbatch_config(), t.models, t.times, t.which);
  ASSERT_TRUE(a.ok()) << a.status().to_string();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(to_json(a->stats), to_json(b->stats));
  EXPECT_EQ(a->latencies_ms, b->latencies_ms);
  EXPECT_EQ(a->completed + a->failed + a->rejected, t.times.size());
  EXPECT_EQ(a->failed, 0u);
  uint64_t done = 0;
  for (const ModelStats& m : a->stats.models) {
    done += m.completed;
    EXPECT_EQ(m.queue_length, 0u);
    EXPECT_EQ(m.in_flight, 0u);
    EXPECT_LE(m.max_queue_length, 64u);
  }
  EXPECT_EQ(done, a->completed);
  EXPECT_GT(a->last_completion_s, t.times.back());

  // Another seed: other arrivals, other figures.
  Traffic u = bursty_two_models(12);
  auto c = sim::simulate(dynbatch_config(), u.models, u.times, u.which);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(to_json(a->stats), to_json(c->stats));
}

// FIFO with arrivals far apart: every task runs alone, so its latency is exactly the
// predicted latency of its model's sequential schedule plus one dispatch.
TEST(Simulator, LoneTasksTakeThePredictedScheduleLatency) {
  Traffic t;
  t.models.push_back({"inception", load_proto(inception_block_model()), {{1, 8, 10, 10}}});
  for (int i = 0; i < 20; ++i) t.times.push_back(0.01 * i);
  t.which.assign(t.times.size(), 0);
  sim::SimulatorConfig cfg;
  cfg.num_streams = 1;
  cfg.threads_per_stream = 1;
  cfg.graph_policy = fixed_graph_policy(GraphMode::kMerge, "sequential");
  cfg.cost_model = h100();
  cfg.dispatch = backend::sim::StreamDispatch{0.002, 0.0};
  auto r = sim::simulate(cfg, t.models, t.times, t.which);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ(r->completed, 20u);
  double expect =
      backend::sim::predict_schedule_ms(*cfg.cost_model, compiled(t.models[0].model, {{1, 8, 10, 10}}, "sequential", 1, 1),
                                        1, 1, *cfg.dispatch);
  for (double ms : r->latencies_ms) EXPECT_NEAR(ms, expect, 2e-6);  // whole nanoseconds

  // A launcher that spends 0.5 ms deciding starts each lone task 0.5 ms later.
  cfg.decision_cost_ms = 0.5;
  auto slow = sim::simulate(cfg, t.models, t.times, t.which);
  ASSERT_TRUE(slow.ok()) << slow.status().to_string();
  ASSERT_EQ(slow->completed, 20u);
  for (double ms : slow->latencies_ms) EXPECT_NEAR(ms, expect + 0.5, 2e-6);
  cfg.decision_cost_ms = -1;
  EXPECT_FALSE(sim::simulate(cfg, t.models, t.times, t.which).ok());
}

TEST(Simulator, RejectsBadArguments) {
  Traffic t = bursty_two_models(1);
  sim::SimulatorConfig cfg = dynbatch_config();
  t.which[3] = 7;
  auto r = sim::simulate(cfg, t.models, t.times, t.which);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().to_string().find("arrival 3 names model index 7"), std::string::npos);
  cfg.cost_model = nullptr;
  EXPECT_FALSE(sim::simulate(cfg, t.models, t.times, t.which).ok());
}

}  // namespace
}  // namespace top

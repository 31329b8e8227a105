// The policy interfaces the learned agents need: the model scheduler's observation and
// the launcher core's feedback (every finished task and instance, with its SLO outcome),
// the same from the simulator and from the threaded runtime.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "profile/device.h"
#include "sim/arrival.h"
#include "sim/simulator.h"
#include "test_models.h"
#include "top/runtime.h"

namespace top {
namespace {

using testing::branchy_model;
using testing::inception_block_model;
using testing::load_proto;

// Decides like `inner`, records what it saw.
struct RecordingPolicies : LaunchPolicy, GraphPolicy {
  std::shared_ptr<LaunchPolicy> inner = dynamic_batching_policy(4, 0.05, 2);
  std::mutex mu;  // the runtime serialises calls; the lock only makes the test's reads safe
  std::vector<PolicyFeedback> feedback;
  std::vector<GraphObservation> chosen;
  std::vector<LaunchObservation> observed;

  std::string name() const override { return "recording"; }
  LaunchDecision decide(const LaunchObservation& obs) override {
    std::lock_guard<std::mutex> lock(mu);
    observed.push_back(obs);
    return inner->decide(obs);
  }
  using GraphPolicy::choose;
  GraphChoice choose(const GraphObservation& obs) override {
    std::lock_guard<std::mutex> lock(mu);
    chosen.push_back(obs);
    return GraphChoice{GraphMode::kMerge, "greedy"};
  }
  void on_feedback(const PolicyFeedback& f) override {
    std::lock_guard<std::mutex> lock(mu);
    feedback.push_back(f);
  }
};

// Both interfaces are one object here, so each event arrives twice (once per role).
struct Counts {
  size_t tasks = 0, within = 0, instances = 0, instance_tasks = 0;
};
Counts count(const std::vector<PolicyFeedback>& fs) {
  Counts c;
  for (const PolicyFeedback& f : fs) {
    if (f.kind == PolicyFeedback::Kind::kTaskFinished) {
      ++c.tasks;
      c.within += f.within_slo ? 1 : 0;
      EXPECT_EQ(f.within_slo, f.ok && (f.slo_ms <= 0 || f.latency_ms <= f.slo_ms));
    } else {
      ++c.instances;
      c.instance_tasks += static_cast<size_t>(f.tasks);
    }
  }
  return c;
}

TEST(PolicyFeedback, SimulatorReportsEveryTaskAndInstanceWithItsSloOutcome) {
  std::vector<sim::SimulatedModel> models;
  models.push_back({"branchy", load_proto(branchy_model(4096)), {{1, 4096}}, /*slo_ms=*/0.05});
  models.push_back({"inception", load_proto(inception_block_model()), {{1, 8, 10, 10}}, /*slo_ms=*/0});
  auto arrivals = sim::parse_arrival("bursty:on_rate=40000,off_rate=4000,on_s=0.02,off_s=0.02").value();
  std::vector<double> times = arrivals->times(0.2, 3);
  std::vector<int> which = sim::assign_models(sim::parse_mix("branchy:2,inception:1").value(), times.size(), 4);
  auto rec = std::make_shared<RecordingPolicies>();
  sim::SimulatorConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = rec;
  cfg.graph_policy = rec;
  cfg.cost_model = std::make_shared<profile::CostModel>(profile::device_by_name("h100").value());
  auto r = sim::simulate(cfg, models, times, which);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  Counts c = count(rec->feedback);
  EXPECT_EQ(c.tasks, 2 * (r->completed + r->failed));
  EXPECT_EQ(c.instances, 2 * rec->chosen.size());
  EXPECT_EQ(c.instance_tasks, c.tasks);
  EXPECT_LT(c.within, c.tasks);  // a 50 us SLO under bursts is missed sometimes ...
  EXPECT_GT(c.within, 0u);       // ... and the model without an SLO always "meets" it
  bool saw_slo = false, saw_miss_rate = false;
  for (const LaunchObservation& o : rec->observed)
    for (const ModelObservation& m : o.models) {
      EXPECT_GE(m.slo_miss_rate, 0.0);
      EXPECT_LE(m.slo_miss_rate, 1.0);
      EXPECT_GE(m.arrival_rate_short_per_s, 0.0);
      saw_slo = saw_slo || (m.model == "branchy" && m.slo_ms == 0.05);
      if (m.model == "branchy") {  // four unary branches, two Adds, one Mul
        EXPECT_EQ(m.graph_operators, 7u);
        EXPECT_EQ(m.graph_depth, 3u);
        EXPECT_EQ(m.graph_width, 4u);
      }
      saw_miss_rate = saw_miss_rate || m.slo_miss_rate > 0;
    }
  EXPECT_TRUE(saw_slo);
  EXPECT_TRUE(saw_miss_rate);
  for (const GraphObservation& g : rec->chosen) {
    EXPECT_GE(g.k, 1);
    EXPECT_LE(g.k, 4);
    EXPECT_EQ(g.num_streams, 2);
    EXPECT_GE(g.in_flight_instances, 1u);  // the group being launched counts
  }
  auto bad = models;
  bad[0].slo_ms = -1;
  EXPECT_FALSE(sim::simulate(cfg, bad, times, which).ok());
}

TEST(PolicyFeedback, RuntimeReportsEveryTaskOnce) {
  auto rec = std::make_shared<RecordingPolicies>();
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = rec;
  cfg.graph_policy = rec;
  auto rt = Runtime::create(cfg).value();
  Model a = load_proto(branchy_model(16));
  ModelOptions mo;
  mo.slo_ms = 1e6;  // generous: every task meets it
  ASSERT_TRUE(rt->load_model("a", a, mo).ok());
  mo.slo_ms = -3;
  EXPECT_EQ(rt->load_model("b", a, mo).code(), StatusCode::kInvalidArgument);
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<std::future<TaskResult>> fs;
  for (int i = 0; i < 40; ++i) {
    Tensor x = Tensor::zeros(DataType::kFloat32, {1, 16});
    for (int64_t j = 0; j < 16; ++j) x.data<float>()[j] = nd(rng);
    fs.push_back(rt->submit("a", {x}));
  }
  for (auto& f : fs) ASSERT_TRUE(f.get().status.ok());
  rt->shutdown(ShutdownMode::kDrain);
  std::lock_guard<std::mutex> lock(rec->mu);
  Counts c = count(rec->feedback);
  EXPECT_EQ(c.tasks, 2u * 40);
  EXPECT_EQ(c.within, 2u * 40);
  EXPECT_EQ(c.instance_tasks, c.tasks);
  EXPECT_EQ(c.instances, 2 * rec->chosen.size());
}

// A decide() that holds the first round with a task until the test has submitted
// again and read the stats, which both take the runtime's lock: were the policy called
// under that lock, the submit would wait for the policy and the policy for the submit
// (it gives up after 10 s and says so). Records the threads every call came from.
struct BlockingPolicies : LaunchPolicy, GraphPolicy {
  std::shared_ptr<LaunchPolicy> inner = fifo_launch_policy();
  std::mutex mu;
  std::condition_variable cv;
  bool held = false, released = false, gave_up = false;
  std::set<std::thread::id> threads;

  std::string name() const override { return "blocking"; }
  void note_thread() {
    std::lock_guard<std::mutex> lock(mu);
    threads.insert(std::this_thread::get_id());
  }
  LaunchDecision decide(const LaunchObservation& obs) override {
    note_thread();
    bool waiting = false;
    for (const ModelObservation& m : obs.models) waiting = waiting || m.queue_length > 0;
    std::unique_lock<std::mutex> lock(mu);
    if (waiting && !held) {
      held = true;
      cv.notify_all();
      gave_up = !cv.wait_for(lock, std::chrono::seconds(10), [&] { return released; });
    }
    return inner->decide(obs);
  }
  using GraphPolicy::choose;
  GraphChoice choose(const GraphObservation&) override {
    note_thread();
    return GraphChoice{GraphMode::kMerge, "greedy"};
  }
  void on_feedback(const PolicyFeedback&) override { note_thread(); }
};

TEST(PolicyFeedback, RuntimeCallsThePoliciesFromOneThreadWithoutItsLock) {
  auto pol = std::make_shared<BlockingPolicies>();
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = pol;
  cfg.graph_policy = pol;
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("a", load_proto(branchy_model(16))).ok());
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  auto input = [&] {
    Tensor x = Tensor::zeros(DataType::kFloat32, {1, 16});
    for (int64_t j = 0; j < 16; ++j) x.data<float>()[j] = nd(rng);
    return x;
  };
  std::vector<std::future<TaskResult>> fs;
  fs.push_back(rt->submit("a", {input()}));
  {
    std::unique_lock<std::mutex> lock(pol->mu);
    ASSERT_TRUE(pol->cv.wait_for(lock, std::chrono::seconds(10), [&] { return pol->held; }));
  }
  // The launcher is inside decide(): these must not wait for it.
  fs.push_back(rt->submit("a", {input()}));
  EXPECT_EQ(rt->stats().models.at(0).queue_length, 2u);
  {
    std::lock_guard<std::mutex> lock(pol->mu);
    pol->released = true;
  }
  pol->cv.notify_all();
  for (auto& f : fs) EXPECT_TRUE(f.get().status.ok());
  rt->shutdown(ShutdownMode::kDrain);
  std::lock_guard<std::mutex> lock(pol->mu);
  EXPECT_FALSE(pol->gave_up) << "submit() or stats() waited for the policy";
  EXPECT_EQ(pol->threads.size(), 1u) << "the policies were called from more than one thread";
}

}  // namespace
}  // namespace top

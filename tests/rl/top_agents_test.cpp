// The learned launcher and scheduler at decision time (rl/policies/top_agents.h), their
// features, checkpoints, the "top:" policy spec and the guard (rl/policies/policy_guard.h),
// without Torch: actors built from random or hand-set weights. The guard is checked with a
// deliberately bad checkpoint in the simulator on the small zoo.
#include "rl/policies/top_agents.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <atomic>
#include <random>
#include <thread>

#include "rl/checkpoint/checkpoint.h"
#include "rl/env/episode.h"
#include "rl/policies/policy_guard.h"
#include "rl/policies/top_policy_kind.h"
#include "runtime/policy_spec.h"
#include "test_models.h"
#include "top/runtime.h"

namespace top::rl {
namespace {

std::vector<std::vector<float>> random_params(const TopAgentsDims& d, uint64_t seed, float scale = 0.5f) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<std::vector<float>> out;
  for (const ParamSpec& s : top_actor_parameter_specs(d)) {
    std::vector<float> v(s.size());
    for (float& x : v) x = u(rng);
    out.push_back(std::move(v));
  }
  return out;
}

// Actors that always pick the given bins: zero weights, last-layer biases one-hot.
std::vector<std::vector<float>> fixed_choice_params(const TopAgentsDims& d, const LaunchAction& l, const ScheduleAction& s) {
  std::vector<std::vector<float>> out;
  for (const ParamSpec& p : top_actor_parameter_specs(d)) out.emplace_back(p.size(), 0.0f);
  const size_t nl = mlp_parameter_specs("launcher", launcher_sizes(d)).size();
  std::vector<float>& lb = out[nl - 1];
  lb[l.k] = lb[4 + l.interval] = lb[8 + l.in_flight] = lb[11 + l.wait] = 5.0f;
  std::vector<float>& sb = out.back();
  sb[s.mode] = sb[kModeBins + s.generator] = 5.0f;
  return out;
}

std::string write_actors(const std::string& name, const TopAgentsDims& d, const std::vector<std::vector<float>>& params) {
  const std::string path = (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()) + ".json")).string();
  const Checkpoint ck = top_checkpoint(d, params);
  EXPECT_TRUE(write_checkpoint(path, ck).ok());
  return path;
}

LaunchObservation observation(double now_ms, double scale = 1) {
  LaunchObservation o;
  o.now_ms = now_ms;
  o.num_streams = 2;
  o.busy_streams = 1;
  o.ready_groups = 1;
  o.in_flight_instances = 2;
  for (int i = 0; i < 3; ++i) {
    ModelObservation m;
    m.model = "m" + std::to_string(i);
    m.queue_length = 3 * i + 1;
    m.oldest_wait_ms = 4.0 * (i + 1) * scale;
    m.arrival_rate_per_s = 50.0 / scale;
    m.arrival_rate_short_per_s = 80.0 / scale;
    m.in_flight_instances = i % 2;
    m.in_flight_tasks = i;
    m.mean_progress = 0.25 * i;
    m.recent_latency_ms = 6.0 * scale;
    m.ms_since_last_dequeue = 3.0 * scale;
    m.batchable = i != 1;
    m.slo_ms = 30.0 * scale;
    m.slo_miss_rate = 0.1 * i;
    m.graph_operators = 50 + 100 * i;
    m.graph_depth = 40 + 10 * i;
    m.graph_width = 1 + i;
    o.models.push_back(m);
  }
  return o;
}

TEST(Mlp, MatchesAPlainReference) {
  const std::vector<int> sizes = {5, 7, 3};
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<std::vector<float>> params;
  for (const ParamSpec& s : mlp_parameter_specs("x", sizes)) {
    std::vector<float> v(s.size());
    for (float& x : v) x = u(rng);
    params.push_back(v);
  }
  const Mlp m = Mlp::create(sizes, params).value();
  std::vector<float> in(5), out(3), scratch;
  for (float& x : in) x = u(rng);
  m.forward(in.data(), out.data(), scratch);
  std::vector<float> h(7);
  for (int o = 0; o < 7; ++o) {
    float acc = params[1][o];
    for (int i = 0; i < 5; ++i) acc += params[0][o * 5 + i] * in[i];
    h[o] = std::max(acc, 0.0f);
  }
  for (int o = 0; o < 3; ++o) {
    float acc = params[3][o];
    for (int i = 0; i < 7; ++i) acc += params[2][o * 7 + i] * h[i];
    EXPECT_NEAR(out[o], acc, 1e-5);
  }
  EXPECT_FALSE(Mlp::create({5, 7, 3}, {params[0]}).ok());
  EXPECT_FALSE(Mlp::create({5}, {}).ok());
}

TEST(AgentFeatures, MeanTheSameOnAFasterDevice) {
  // Every time 10x shorter and every rate 10x higher: the same observation in ref units.
  const AgentObservation slow = agent_observation(observation(0, 10)), fast = agent_observation(observation(0, 1));
  ASSERT_EQ(slow.num_models, 3);
  ASSERT_EQ(slow.model.size(), fast.model.size());
  for (size_t i = 0; i < slow.model.size(); ++i) EXPECT_NEAR(slow.model[i], fast.model[i], 1e-5) << i;
  for (size_t i = 0; i < slow.global.size(); ++i) EXPECT_NEAR(slow.global[i], fast.global[i], 1e-6);
  std::vector<float> ctx(kActorContext);
  actor_context(fast, 1, ctx.data());
  EXPECT_FLOAT_EQ(ctx[0], fast.model[kModelFeatures]);  // its own features first
  EXPECT_NEAR(ctx[kModelFeatures], (fast.model[0] + fast.model[kModelFeatures] + fast.model[2 * kModelFeatures]) / 3, 1e-6);
}

TEST(AgentFeatures, GraphStatisticsTellModelsApart) {
  LaunchObservation o = observation(0);
  const AgentObservation a = agent_observation(o);
  // The last three features of a model: log1p(operators)/8, log1p(operators/depth)/4, log1p(width)/5.
  const float* m2 = &a.model[2 * kModelFeatures];
  EXPECT_NEAR(m2[kModelFeatures - 3], std::log1p(250.0) / 8, 1e-6);
  EXPECT_NEAR(m2[kModelFeatures - 2], std::log1p(250.0 / 60) / 4, 1e-6);
  EXPECT_NEAR(m2[kModelFeatures - 1], std::log1p(3.0) / 5, 1e-6);
  o.models[2].graph_width = 9;
  EXPECT_GT(agent_observation(o).model[3 * kModelFeatures - 1], m2[kModelFeatures - 1]);
}

TEST(AgentActions, BinsBecomeLaunchesAndChoices) {
  const ModelLaunch m = to_model_launch(LaunchAction{2, 3, 1, 1}, 200);
  EXPECT_EQ(m.k, 4);
  EXPECT_DOUBLE_EQ(m.dequeue_interval_ms, 20);
  EXPECT_EQ(m.max_in_flight, 2);
  EXPECT_EQ(m.min_tasks, 4);
  EXPECT_DOUBLE_EQ(m.max_delay_ms, 10);
  const ModelLaunch one = to_model_launch(LaunchAction{0, 0, 0, 1}, 200);  // waiting for 1 task is no wait
  EXPECT_EQ(one.min_tasks, 1);
  const GraphChoice c = to_graph_choice(ScheduleAction{0, 1}, {"sequential", "greedy"});
  EXPECT_EQ(c.mode, GraphMode::kBatch);
  EXPECT_EQ(c.generator, "greedy");
}

TEST(TopAgents, DecidesAtTicksAndHoldsBetween) {
  const TopAgentsDims d;
  auto actors = TopActors::create(d, random_params(d, 5)).value();
  auto p = learned_policies(actors);
  LaunchObservation o = observation(0);
  const LaunchDecision first = p.launch->decide(o);
  ASSERT_EQ(first.models.size(), 3u);
  EXPECT_EQ(p.agents->ticks(), 1u);
  // The tick is tick_ref x the mean SLO (30 ms): 15 ms. Within it, the decision holds
  // even when the order of the models changes.
  std::swap(o.models[0], o.models[2]);
  o.now_ms = 10;
  o.models[0].queue_length = 100;
  const LaunchDecision held = p.launch->decide(o);
  EXPECT_EQ(p.agents->ticks(), 1u);
  EXPECT_EQ(held.models[0].k, first.models[2].k);
  EXPECT_EQ(held.models[2].dequeue_interval_ms, first.models[0].dequeue_interval_ms);
  o.now_ms = 16;
  (void)p.launch->decide(o);
  EXPECT_EQ(p.agents->ticks(), 2u);
  // A model it has not seen forces a tick.
  o.models.push_back(o.models[0]);
  o.models.back().model = "new";
  o.now_ms = 17;
  EXPECT_EQ(p.launch->decide(o).models.size(), 4u);
  EXPECT_EQ(p.agents->ticks(), 3u);
  GraphObservation g;
  g.model = o.models[1];
  const GraphChoice c = p.graph->choose(g);
  EXPECT_TRUE(c.generator == "sequential" || c.generator == "greedy");
}

TEST(TopAgents, RecordsRewardsPerTick) {
  const TopAgentsDims d;
  auto actors = TopActors::create(d, random_params(d, 6)).value();
  auto p = learned_policies(actors, Exploration{0.2, 1.0, 9}, /*record=*/true);
  LaunchObservation o = observation(0);  // total queue 1 + 4 + 7 = 12
  (void)p.launch->decide(o);
  PolicyFeedback good, late;
  good.within_slo = true;
  good.ok = true;
  late.ok = true;
  for (int i = 0; i < 3; ++i) p.launch->on_feedback(good);
  p.launch->on_feedback(late);
  PolicyFeedback inst;
  inst.kind = PolicyFeedback::Kind::kInstanceFinished;
  p.launch->on_feedback(inst);  // not a task
  o.now_ms = 20;
  o.models[0].queue_length += 4;  // total 16: growth 4
  (void)p.launch->decide(o);
  p.launch->on_feedback(good);
  const std::vector<AgentStep> steps = p.agents->finish_episode(0);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_NEAR(steps[0].reward, (3 - 1 - 0.5 * 4) / 2.0, 1e-9);
  EXPECT_NEAR(steps[1].reward, (1 - 0 - 0.5 * -16) / 2.0, 1e-9);
  EXPECT_FALSE(steps[0].last);
  EXPECT_TRUE(steps[1].last);
  // One-hots: one bin per head.
  float sum = 0;
  for (float x : steps[0].launch_onehot) sum += x;
  EXPECT_EQ(sum, 3 * 4);
  EXPECT_EQ(steps[0].obs.num_models, 3);
}

// A miss is charged when the task becomes late, not again when it finishes late: running
// a backlog of hopeless tasks later must not look cheaper (discounting) than now.
TEST(TopAgents, ChargesAMissWhenTheTaskBecomesLate) {
  LaunchObservation o = observation(0);  // SLO 30 ms, oldest waits 4, 8, 12 ms: none late
  EXPECT_EQ(late_waiting_tasks(o), 0.0);
  o.models[2].oldest_wait_ms = 60;  // 7 queued over 60 ms, the older half past 30 ms
  EXPECT_NEAR(late_waiting_tasks(o), 3.5, 1e-9);
  const TopAgentsDims d;
  auto p = learned_policies(TopActors::create(d, random_params(d, 6)).value(), Exploration{0.2, 1.0, 9}, true);
  o = observation(0);
  (void)p.launch->decide(o);
  o.now_ms = 20;
  o.models[2].oldest_wait_ms = 60;  // 3.5 became late, nothing finished, queue unchanged
  (void)p.launch->decide(o);
  PolicyFeedback late;
  late.ok = true;  // within_slo false
  for (int i = 0; i < 3; ++i) p.launch->on_feedback(late);
  o.now_ms = 40;
  o.models[2].queue_length -= 3;  // three of the late ones ran (late): 4 left, 0.5 late
  o.models[2].oldest_wait_ms = 80;
  (void)p.launch->decide(o);
  const std::vector<AgentStep> steps = p.agents->finish_episode(0);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_NEAR(steps[0].reward, -3.5 / 2, 1e-9);  // charged as they became late
  const double late_left = 4.0 * (80 - 30) / 80;
  EXPECT_NEAR(steps[1].reward, (-(3 + late_left - 3.5) - 0.5 * -3) / 2, 1e-9);
}

// Online fine-tuning takes the steps of an episode that goes on: each call returns the
// open last step too and keeps it, so it comes back closed (with its reward) next time.
TEST(TopAgents, TakeStepsChainsAcrossCallsAndSwapsActors) {
  const TopAgentsDims d;
  auto actors = TopActors::create(d, random_params(d, 6)).value();
  auto p = learned_policies(actors, Exploration{0.2, 1.0, 9}, /*record=*/true);
  LaunchObservation o = observation(0);
  PolicyFeedback good;
  good.within_slo = good.ok = true;
  (void)p.launch->decide(o);
  p.launch->on_feedback(good);
  o.now_ms = 20;
  (void)p.launch->decide(o);
  const std::vector<AgentStep> first = p.agents->take_steps();
  ASSERT_EQ(first.size(), 2u);
  EXPECT_NEAR(first[0].reward, (1 - 0 - 0.5 * 0) / 2.0, 1e-9);
  p.launch->on_feedback(good);
  p.launch->on_feedback(good);
  o.now_ms = 40;
  (void)p.launch->decide(o);
  const std::vector<AgentStep> second = p.agents->take_steps();
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].now_ms, first[1].now_ms);   // the open step, now closed
  EXPECT_NEAR(second[0].reward, 2 / 2.0, 1e-9);   // with the reward earned since
  EXPECT_FALSE(second[0].last);
  // Other actors of the same dims are swapped in; other dims are refused.
  auto other = TopActors::create(d, random_params(d, 7)).value();
  ASSERT_TRUE(p.agents->set_actors(other).ok());
  EXPECT_EQ(p.agents->current_actors(), other);
  TopAgentsDims small = d;
  small.hidden = 8;
  EXPECT_FALSE(p.agents->set_actors(TopActors::create(small, random_params(small, 8)).value()).ok());
  EXPECT_FALSE(p.agents->set_actors(nullptr).ok());
}

// Without LibTorch's fine-tuner registered (this binary has none), finetune is refused.
TEST(TopPolicyKind, FinetuneNeedsTheTorchBuild) {
  register_top_policy_kind();
  auto spec = runtime::parse_policy("top:finetune=/tmp/top-finetune-never");
  ASSERT_FALSE(spec.ok());
  EXPECT_NE(spec.status().message().find("finetune needs a build with LibTorch"), std::string::npos)
      << spec.status().to_string();
}

TEST(TopCheckpoint, RoundTripsAndRefusesWhatDoesNotFit) {
  TopAgentsDims d;
  d.hidden = 16;
  const auto params = random_params(d, 7);
  const std::string path = write_actors("top-roundtrip", d, params);
  auto loaded = load_top_actors(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_EQ((*loaded)->dims.hidden, 16);
  EXPECT_EQ((*loaded)->dims.generators, d.generators);
  EXPECT_DOUBLE_EQ((*loaded)->dims.tick_ref, d.tick_ref);
  auto direct = learned_policies(TopActors::create(d, params).value());
  auto from_file = learned_policies(path);
  ASSERT_TRUE(from_file.ok());
  const LaunchObservation o = observation(0);
  const LaunchDecision a = direct.launch->decide(o), b = from_file->launch->decide(o);
  for (size_t i = 0; i < a.models.size(); ++i) {
    EXPECT_EQ(a.models[i].k, b.models[i].k);
    EXPECT_EQ(a.models[i].dequeue_interval_ms, b.models[i].dequeue_interval_ms);
  }
  // A GPG checkpoint is not a TOP one; a generator nobody registered is refused.
  EXPECT_FALSE(load_top_actors(std::string(TOP_SOURCE_DIR) + "/rl/checkpoints/gpg.json").ok());
  TopAgentsDims odd = d;
  odd.generators = {"no-such-generator"};
  auto bad = learned_policies(write_actors("top-badgen", odd, random_params(odd, 8)));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("no-such-generator"), std::string::npos);
}

TEST(TopPolicySpec, ParsesAndExplainsErrors) {
  register_top_policy_kind();
  const TopAgentsDims d;
  const std::string path = write_actors("top-spec", d, random_params(d, 9));
  auto p = runtime::parse_policy("top:ckpt=" + path);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  EXPECT_NE(p->launch->name().find("guarded"), std::string::npos);
  EXPECT_EQ(p->label, "top:ckpt=" + path);
  auto off = runtime::parse_policy("top:ckpt=" + path + ",guard=off");
  ASSERT_TRUE(off.ok());
  EXPECT_EQ(off->launch->name(), "top-launcher");
  EXPECT_TRUE(runtime::parse_policy("top:ckpt=" + path + ",fallback=fixed/k=2/interval=1").ok());
  for (const std::string& bad : {std::string("top:ckpt=/no/such.json"), "top:ckpt=" + path + ",guard=maybe",
                                 "top:ckpt=" + path + ",fallback=fifo", "top:ckpt=" + path + ",speed=11",
                                 "top:ckpt=" + path + ",fallback=fixed/k=-1"}) {
    auto r = runtime::parse_policy(bad);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("policy '"), std::string::npos) << r.status().message();
  }
  auto unknown = runtime::parse_policy("nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("top"), std::string::npos);  // listed among the kinds
}

// The absolute rules (also what the comparative guard uses before the fallback has a record).
TEST(PolicyGuard, HandsOverAfterBadWindowsAndBackAfterProbation) {
  GuardOptions g;
  g.comparative = false;
  auto guard = guarded_policies(fixed_launch_policy(0, 1, 1), fixed_graph_policy(GraphMode::kMerge, "greedy"),
                                dynamic_batching_policy(4, 1, 2), fixed_graph_policy(GraphMode::kBatch, "greedy"), g);
  LaunchObservation o = observation(0);  // mean SLO 30 ms: windows of 60 ms
  (void)guard.launch->decide(o);
  auto late = [&](int n) {
    PolicyFeedback f;
    f.ok = true;
    for (int i = 0; i < n; ++i) guard.launch->on_feedback(f);
  };
  late(10);
  o.now_ms = 61;
  (void)guard.launch->decide(o);
  EXPECT_TRUE(guard.state->on_learned());  // one bad window is not enough
  late(10);
  o.now_ms = 122;
  (void)guard.launch->decide(o);
  EXPECT_FALSE(guard.state->on_learned());
  EXPECT_EQ(guard.state->handovers(), 1u);
  GraphObservation go;
  go.model = o.models[0];
  EXPECT_EQ(guard.graph->choose(go).mode, GraphMode::kBatch);  // the fallback's choice
  // Healthy windows on the fallback: back after `probation` of them.
  for (int w = 1; w <= g.probation; ++w) {
    o.now_ms = 122 + 61.0 * w;
    (void)guard.launch->decide(o);
  }
  EXPECT_TRUE(guard.state->on_learned());
  EXPECT_EQ(guard.state->handbacks(), 1u);
  // Backlog growth past 4 per stream is bad too.
  for (int w = 1; w <= 2; ++w) {
    o.now_ms += 61;
    o.models[0].queue_length += 20;
    (void)guard.launch->decide(o);
  }
  EXPECT_FALSE(guard.state->on_learned());
  EXPECT_EQ(guard.state->handovers(), 2u);
}

// A guard over two static policies, fed windows of 60 ms (the observation's mean SLO is
// 30 ms) at one arrival rate, with empty queues at every switch (nothing inherited).
struct GuardDriver {
  explicit GuardDriver(GuardOptions g)
      : guard(guarded_policies(fixed_launch_policy(0, 1, 1), fixed_graph_policy(GraphMode::kMerge, "greedy"),
                               dynamic_batching_policy(4, 1, 2), fixed_graph_policy(GraphMode::kBatch, "greedy"), g)) {
    for (ModelObservation& m : o.models) m.queue_length = m.in_flight_tasks = 0;
    (void)guard.launch->decide(o);
  }
  // One window: 10 tasks arrive and finish in it, `late` of them late.
  void window(int late) {
    PolicyFeedback f;
    f.now_ms = o.now_ms + 30;
    f.latency_ms = 20;
    for (int i = 0; i < 10; ++i) {
      f.within_slo = i >= late;
      guard.launch->on_feedback(f);
    }
    o.now_ms += 61;
    (void)guard.launch->decide(o);
  }
  bool on_learned() const { return guard.state->on_learned(); }
  GuardedPolicies guard;
  LaunchObservation o = observation(0);
};

// Comparative judgement: under overload both controllers miss most SLOs; the guard
// hands back to the learned policies when their record at the same load is better than
// the fallback's (the absolute rules would keep the worse fallback), and hands over when
// the fallback's record is better even though the learned windows look fine on their own.
TEST(PolicyGuard, ComparesWithTheFallbacksRecordAtTheSameLoad) {
  auto run = [](bool comparative) {
    GuardOptions g;
    g.comparative = comparative;
    GuardDriver d(g);
    d.window(6);
    d.window(6);  // learned: 60% late, twice: handed over (no fallback record yet)
    EXPECT_FALSE(d.on_learned());
    for (int w = 0; w < g.probation; ++w) d.window(9);  // the fallback does worse: 90% late
    const bool back_after_overload = d.on_learned();    // (comparative: after 2 windows)
    for (int w = 0; w < 6; ++w) d.window(6);
    return std::make_pair(back_after_overload, d.guard.state->handovers());
  };
  const auto [back, handovers] = run(true);
  EXPECT_TRUE(back);            // learned scored -0.2 per window against the fallback's -0.8
  EXPECT_EQ(handovers, 1u);     // and keeps control while it stays the better one
  const auto [back_absolute, handovers_absolute] = run(false);
  EXPECT_FALSE(back_absolute);  // the first version stayed on the worse fallback
  EXPECT_EQ(handovers_absolute, 1u);

  // The other way round: the fallback's record is better than windows that pass the
  // absolute rules.
  GuardOptions g;
  GuardDriver d(g);
  d.window(6);
  d.window(6);
  ASSERT_FALSE(d.on_learned());
  for (int w = 0; w < g.probation; ++w) d.window(0);  // the fallback: every task on time
  EXPECT_FALSE(d.on_learned());  // learned's record (-0.2) is worse: stay ...
  int waited = 0;
  while (!d.on_learned() && waited < 100) {
    d.window(0);
    ++waited;
  }
  EXPECT_EQ(waited, 2 * g.probation);  // ... until the end of the next, doubled probation
  d.window(3);
  d.window(3);
  d.window(3);  // 30% late passes the absolute rules, but 0.4 is far below the fallback's 1.0
  EXPECT_FALSE(d.on_learned());
  EXPECT_EQ(d.guard.state->handovers(), 2u);
  EXPECT_GT(d.guard.state->compared_windows(), 0u);
}

std::string models_dir() {
  const char* env = std::getenv("TOP_MODELS_DIR");
  return env ? env : TOP_TEST_MODELS_DIR;
}

TEST(PolicyGuard, KeepsABadCheckpointNoWorseThanTheFallback) {
  if (!std::filesystem::exists(models_dir() + "/squeezenet1_1_small.onnx"))
    GTEST_SKIP() << "no small zoo in " << models_dir() << " (scripts/zoo --small-only, or set TOP_MODELS_DIR)";
  // The worst the action space allows: one task per dequeue, a dequeue per model at most
  // every 0.1 SLO, one instance per model, sequential schedules.
  const TopAgentsDims d;
  auto bad = TopActors::create(d, fixed_choice_params(d, LaunchAction{0, 3, 0, 0}, ScheduleAction{1, 0})).value();
  env::EnvCache cache(models_dir());
  env::EpisodeSpec spec;
  spec.models = {"squeezenet1_1_small", "googlenet_small"};
  spec.family = "poisson";
  spec.stationary = true;
  spec.pattern = "poisson:rate=0.6";
  spec.duration_s = 8;
  spec.seed = 21;
  auto fallback = [] { return runtime::parse_policy("dynbatch:batch=4,delay=2,instances=2").value(); };
  const env::EpisodeResult alone = env::run_episode(spec, fallback(), cache).value();
  auto unguarded = learned_policies(bad);
  const env::EpisodeResult raw = env::run_episode(spec, unguarded.launch, unguarded.graph, cache).value();
  auto lp = learned_policies(bad);
  runtime::PolicySpec fb = fallback();
  auto g = guarded_policies(lp.launch, lp.graph, fb.launch, fb.graph);
  const env::EpisodeResult guarded = env::run_episode(spec, g.launch, g.graph, cache).value();
  // The bad checkpoint alone falls well behind; guarded, it stays close to the fallback.
  EXPECT_LT(raw.goodput_per_s, 0.8 * alone.goodput_per_s) << raw.goodput_per_s << " vs " << alone.goodput_per_s;
  EXPECT_GE(guarded.goodput_per_s, 0.9 * alone.goodput_per_s) << guarded.goodput_per_s << " vs " << alone.goodput_per_s;
  EXPECT_GE(g.state->handovers(), 1u);
  std::printf("fallback alone %.1f/s, bad alone %.1f/s, bad guarded %.1f/s; %llu handovers, %llu handbacks, %llu windows\n",
              alone.goodput_per_s, raw.goodput_per_s, guarded.goodput_per_s,
              static_cast<unsigned long long>(g.state->handovers()), static_cast<unsigned long long>(g.state->handbacks()),
              static_cast<unsigned long long>(g.state->windows()));
}

// The learned policies in the threaded runtime (also run under ThreadSanitizer by
// scripts/test-sanitizers): two models, tasks submitted from two threads in bursts,
// the committed checkpoint behind the guard. Every task ends exactly once, with its outputs.
TEST(TopAgents, DriveTheLiveRuntimeAndEveryTaskEndsOnce) {
  auto loaded = learned_policies(std::string(TOP_SOURCE_DIR) + "/rl/checkpoints/top.json");
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  LearnedPolicies lp = *loaded;
  runtime::PolicySpec fb = runtime::parse_policy("fixed:k=2,instances=2").value();
  auto g = guarded_policies(lp.launch, lp.graph, fb.launch, fb.graph);
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = g.launch;
  cfg.graph_policy = g.graph;
  auto rt = Runtime::create(cfg).value();
  ModelOptions mo;
  mo.slo_ms = 5;
  const Model model = testing::load_proto(testing::branchy_model(64));
  ASSERT_TRUE(rt->load_model("a", model, mo).ok());
  mo.slo_ms = 20;
  ASSERT_TRUE(rt->load_model("b", model, mo).ok());
  constexpr int kPerThread = 60;
  std::vector<std::atomic<int>> ended(2 * kPerThread);
  std::atomic<int> failed{0};
  auto submitter = [&](int t) {
    std::mt19937 rng(40 + t);
    std::normal_distribution<float> nd(0.f, 1.f);
    for (int i = 0; i < kPerThread; ++i) {
      Tensor x = Tensor::zeros(DataType::kFloat32, {1, 64});
      for (int64_t j = 0; j < 64; ++j) x.data<float>()[j] = nd(rng);
      const int slot = t * kPerThread + i;
      Status s = rt->submit(i % 3 ? "a" : "b", {x}, [&, slot](TaskResult r) {
        ended[slot]++;
        if (!r.status.ok() || r.outputs.empty()) failed++;
      });
      EXPECT_TRUE(s.ok()) << s.to_string();
      if (i % 15 == 14) std::this_thread::sleep_for(std::chrono::milliseconds(20));  // bursts of 15
    }
  };
  std::thread t0(submitter, 0), t1(submitter, 1);
  t0.join();
  t1.join();
  rt->shutdown(ShutdownMode::kDrain);
  for (size_t i = 0; i < ended.size(); ++i) EXPECT_EQ(ended[i].load(), 1) << "task " << i;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(g.state->windows(), 1u) << rt->stats().elapsed_s << " s";  // the guard watched the live traffic
}

}  // namespace
}  // namespace top::rl

// rl/env episodes: load scaled to the device, SLOs from the cost model, the result's
// counters, the reward's signs, and the training / held-out split. Uses the small zoo
// (TOP_MODELS_DIR, default <build>/models; scripts/zoo --small-only makes it).
#include "rl/env/episode.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

#include "sim/arrival.h"

namespace top::rl::env {
namespace {

std::string models_dir() {
  const char* env = std::getenv("TOP_MODELS_DIR");
  return env ? env : TOP_TEST_MODELS_DIR;
}

class EpisodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { cache_ = new EnvCache(models_dir()); }
  static void TearDownTestSuite() { delete cache_; }
  void SetUp() override {
    if (!std::filesystem::exists(models_dir() + "/squeezenet1_1_small.onnx"))
      GTEST_SKIP() << "no small zoo in " << models_dir() << " (scripts/zoo --small-only, or set TOP_MODELS_DIR)";
  }
  static EpisodeSpec two_models(const std::string& pattern, double duration_s = 4) {
    EpisodeSpec e;
    e.models = {"squeezenet1_1_small", "googlenet_small"};
    e.family = "poisson";
    e.stationary = true;
    e.pattern = pattern;
    e.duration_s = duration_s;
    e.seed = 11;
    return e;
  }
  static EnvCache* cache_;
};
EnvCache* EpisodeTest::cache_ = nullptr;

TEST_F(EpisodeTest, RunsAndCountsEveryArrival) {
  const EpisodeSpec spec = two_models("poisson:rate=0.6");
  auto prepared = prepare_episode(spec, *cache_);
  ASSERT_TRUE(prepared.ok()) << prepared.status().to_string();
  ASSERT_EQ(prepared->models.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_GT(prepared->single_task_ms[i], 0);
    EXPECT_DOUBLE_EQ(prepared->models[i].slo_ms, 5 * prepared->single_task_ms[i]);
  }
  // Capacity = 2 streams x 1000 / the mean single-task ms (equal shares).
  EXPECT_NEAR(prepared->capacity_per_s,
              2 * 1000 / (0.5 * (prepared->single_task_ms[0] + prepared->single_task_ms[1])), 1e-9);
  auto r = run_episode(spec, runtime::parse_policy("fixed:k=2,instances=2").value(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->arrived, prepared->times_s.size());
  EXPECT_GT(r->arrived, 0u);
  EXPECT_EQ(r->completed + r->failed + r->rejected, r->arrived);
  EXPECT_LE(r->goodput_per_s, static_cast<double>(r->completed) / r->duration_s + 1e-12);
  EXPECT_GT(r->goodput_per_s, 0);
  EXPECT_LE(r->within_slo, r->completed);
  EXPECT_GE(r->slo_miss_rate, 0);
  EXPECT_LE(r->slo_miss_rate, 1);
  EXPECT_GT(r->p99_ms, 0);
  EXPECT_GE(r->p99_ms, r->p50_ms);
  EXPECT_EQ(r->final_queue_lengths.size(), 2u);
  EXPECT_GE(r->max_backlog, r->backlog_at_end);
  // Deterministic: the same spec, the same result.
  auto again = run_episode(spec, runtime::parse_policy("fixed:k=2,instances=2").value(), *cache_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->within_slo, r->within_slo);
  EXPECT_EQ(again->p99_ms, r->p99_ms);
}

TEST_F(EpisodeTest, LightStationaryLoadMissesNoSloUnderFifo) {
  auto r = run_episode(two_models("poisson:rate=0.1", 6), runtime::parse_policy("fifo").value(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_GT(r->arrived, 20u);
  // ~0: only Poisson clumps (three or four arrivals at once behind one another) miss.
  EXPECT_LE(r->slo_miss_rate, 0.03) << r->within_slo << " of " << r->arrived << " within SLO";
  EXPECT_EQ(r->rejected, 0u);
  EXPECT_LE(r->max_backlog, 3u);
}

TEST_F(EpisodeTest, OverloadBuildsBacklogAndLowersTheReward) {
  const runtime::PolicySpec fifo = runtime::parse_policy("fifo").value();
  auto light = run_episode(two_models("poisson:rate=0.1"), fifo, *cache_);
  auto heavy = run_episode(two_models("poisson:rate=2.5"), fifo, *cache_);
  ASSERT_TRUE(light.ok() && heavy.ok());
  EXPECT_GT(heavy->backlog_at_end, 10 * (light->backlog_at_end + 1));
  EXPECT_GT(heavy->slo_miss_rate, light->slo_miss_rate);
  // Per unit of offered load the overloaded episode earns less.
  EXPECT_LT(episode_reward(*heavy) / 2.5, episode_reward(*light) / 0.1);
}

TEST_F(EpisodeTest, LoadIsRelativeToTheDevice) {
  EpisodeSpec spec = two_models("poisson:rate=0.5", 2);
  auto cpu = prepare_episode(spec, *cache_);
  spec.device = "h100-sxm";
  auto gpu = prepare_episode(spec, *cache_);
  ASSERT_TRUE(cpu.ok() && gpu.ok()) << cpu.status().to_string() << gpu.status().to_string();
  EXPECT_GT(gpu->capacity_per_s, cpu->capacity_per_s);  // the H100 serves small models faster
  for (const PreparedEpisode* p : {&*cpu, &*gpu}) {
    const double expected = 0.5 * p->capacity_per_s * 2;
    EXPECT_NEAR(static_cast<double>(p->times_s.size()), expected, 5 * std::sqrt(expected) + 1);
  }
}

TEST_F(EpisodeTest, ShiftingMixAndBadSpecs) {
  EpisodeSpec spec = two_models("poisson:rate=0.5", 4);
  spec.mix = "squeezenet1_1_small:1,googlenet_small:0";
  spec.shift_to = "googlenet_small:1";
  auto p = prepare_episode(spec, *cache_);
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  size_t early_google = 0, late_google = 0, early = 0, late = 0;
  for (size_t i = 0; i < p->times_s.size(); ++i) {
    const bool google = p->which[i] == 1;
    if (p->times_s[i] < 1) early++, early_google += google;
    if (p->times_s[i] >= 3) late++, late_google += google;
  }
  ASSERT_GT(early, 20u);
  ASSERT_GT(late, 20u);
  EXPECT_LT(static_cast<double>(early_google) / early, 0.3);
  EXPECT_GT(static_cast<double>(late_google) / late, 0.7);

  spec.shift_to = "resnet50_small:1";
  EXPECT_EQ(prepare_episode(spec, *cache_).status().code(), StatusCode::kInvalidArgument);
  spec = two_models("poisson:speed=1");
  auto bad = prepare_episode(spec, *cache_);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'speed'"), std::string::npos) << bad.status().to_string();
  spec = two_models("poisson:rate=0.5");
  spec.models = {"no_such_model"};
  EXPECT_FALSE(prepare_episode(spec, *cache_).ok());
}

TEST(EpisodeReward, PenalisesBacklogAndMisses) {
  EpisodeResult base;
  base.duration_s = 10;
  base.goodput_per_s = 50;
  base.misses_per_s = 2;
  base.backlog_at_end = 10;
  EpisodeResult more_backlog = base, more_misses = base, more_goodput = base;
  more_backlog.backlog_at_end = 100;
  more_misses.misses_per_s = 5;
  more_goodput.goodput_per_s = 60;
  EXPECT_DOUBLE_EQ(episode_reward(base), 50 - kBacklogPenalty * 1 - kMissPenalty * 2);
  EXPECT_LT(episode_reward(more_backlog), episode_reward(base));
  EXPECT_LT(episode_reward(more_misses), episode_reward(base));
  EXPECT_GT(episode_reward(more_goodput), episode_reward(base));
}

TEST(EpisodeDraw, TrainingAndHeldOutAreDisjoint) {
  const EpisodeOptions o;
  const std::set<std::string> train(o.train_models.begin(), o.train_models.end());
  const std::set<std::string> held(o.held_out_models.begin(), o.held_out_models.end());
  SeededRng rng(3), rng_again(3);
  std::set<std::string> families;
  std::set<size_t> counts;
  for (int i = 0; i < 200; ++i) {
    const EpisodeSpec e = draw_episode(rng, o);
    EXPECT_EQ(e.describe(), draw_episode(rng_again, o).describe());
    families.insert(e.family);
    counts.insert(e.models.size());
    EXPECT_GE(e.models.size(), 1u);
    EXPECT_LE(e.models.size(), 4u);
    for (const std::string& m : e.models) EXPECT_TRUE(train.count(m)) << m;
    EXPECT_LT(e.seed, kHeldOutSeedBase);
    EXPECT_EQ(e.stationary, e.family == "poisson");
    EXPECT_TRUE(sim::parse_arrival(e.pattern).ok()) << e.pattern;
    EXPECT_TRUE(sim::parse_mix(e.mix).ok()) << e.mix;
  }
  EXPECT_EQ(families.size(), 6u);
  EXPECT_EQ(counts.size(), 4u);  // 1, 2, 3 and 4 models
  const std::vector<EpisodeSpec> h = held_out_episodes(o, 12, "h100-sxm");
  ASSERT_EQ(h.size(), 12u);
  for (const EpisodeSpec& e : h) {
    EXPECT_EQ(e.device, "h100-sxm");
    EXPECT_GE(e.seed, kHeldOutSeedBase);
    size_t n_held = 0;
    for (const std::string& m : e.models) n_held += held.count(m);
    EXPECT_EQ(n_held, 1u) << e.describe();
    EXPECT_TRUE(sim::parse_arrival(e.pattern).ok()) << e.pattern;
  }
  EXPECT_EQ(h[0].family, "poisson");
  EXPECT_NE(h[0].pattern, h[6].pattern);  // the second cycle varies the stationary load
}

}  // namespace
}  // namespace top::rl::env

// Online fine-tuning (rl/train/online_finetuner.h): live ticks become transitions, the
// critics warm up first, then every cycle publishes new actors and a checkpoint; old
// checkpoints are rotated out; the policy spec starts and stops it.
#include "rl/train/online_finetuner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "rl/env/episode.h"
#include "rl/policies/top_policy_kind.h"
#include "runtime/policy_spec.h"

namespace top::rl {
namespace {

namespace fs = std::filesystem;

std::string models_dir() {
  const char* env = std::getenv("TOP_MODELS_DIR");
  return env ? env : TOP_TEST_MODELS_DIR;
}

env::EpisodeSpec episode(double seconds, uint64_t seed) {
  env::EpisodeSpec e;  // two models, bursts around capacity
  e.models = {"squeezenet1_1_small", "googlenet_small"};
  e.pattern = "bursty:on_rate=1.5,off_rate=0.3,on_s=0.5,off_s=0.5";
  e.duration_s = seconds;
  e.seed = seed;
  return e;
}

size_t checkpoints_in(const fs::path& dir) {
  size_t n = 0;
  for (const auto& f : fs::directory_iterator(dir)) n += f.path().extension() == ".json";
  return n;
}

TEST(OnlineFineTuner, LearnsFromLiveTicksPublishesAndRotatesCheckpoints) {
  if (!fs::exists(models_dir() + "/squeezenet1_1_small.onnx")) GTEST_SKIP() << "no small zoo in " << models_dir();
  auto actors = load_top_actors(std::string(TOP_SOURCE_DIR) + "/rl/checkpoints/top.json");
  ASSERT_TRUE(actors.ok()) << actors.status().to_string();
  LearnedPolicies lp = learned_policies(*actors, Exploration{0.02, 0.0, 5}, /*record=*/true);
  const fs::path dir = fs::temp_directory_path() / ("top-finetune-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  FineTuneOptions o;
  o.dir = dir.string();
  o.updates_per_cycle = 8;
  o.critic_warmup_updates = 8;
  o.keep = 2;
  o.learner.batch = 32;
  OnlineFineTuner tuner(lp.agents, o, "the committed checkpoint");
  ASSERT_TRUE(tuner.start().ok());  // the thread's first cycle is 30 s away: the test drives cycle()
  env::EnvCache cache(models_dir());
  auto run = [&](uint64_t seed) {
    auto r = env::run_episode(episode(4, seed), lp.launch, lp.graph, cache);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->completed + r->failed + r->rejected, r->arrived);
  };
  run(1);  // one episode: the simulator's clock starts at 0 again in the next one
  ASSERT_TRUE(tuner.cycle().ok());
  FineTuneStats s = tuner.stats();
  EXPECT_GE(s.transitions, 32u);  // hundreds of ticks in 4 s
  EXPECT_EQ(s.critic_updates, 8u);
  EXPECT_EQ(s.checkpoints, 0u);   // critic warm-up: the actors stay
  EXPECT_EQ(lp.agents->current_actors(), *actors);
  for (uint64_t c = 0; c < 3; ++c) ASSERT_TRUE(tuner.cycle().ok());  // updates from the buffer
  s = tuner.stats();
  EXPECT_EQ(s.checkpoints, 3u);
  EXPECT_EQ(s.actor_updates, 24u);
  EXPECT_NE(lp.agents->current_actors(), *actors);  // published
  EXPECT_EQ(checkpoints_in(dir), 2u);                // rotated: the newest 2
  auto reloaded = load_top_actors(s.last_checkpoint);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().to_string();
  EXPECT_EQ((*reloaded)->launcher.params(), lp.agents->current_actors()->launcher.params());
  EXPECT_GE(s.last_launch_changed, 0.0);
  EXPECT_LE(s.last_launch_changed, 1.0);
  // The fine-tuned actors drive a live-like episode; every task still ends.
  LearnedPolicies tuned = learned_policies(lp.agents->current_actors());
  auto r = env::run_episode(episode(2, 9), tuned.launch, tuned.graph, cache);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->completed + r->failed + r->rejected, r->arrived);
  fs::remove_all(dir);
}

TEST(OnlineFineTuner, PolicySpecStartsItAndRefusesBadOptions) {
  if (!fs::exists(models_dir() + "/squeezenet1_1_small.onnx")) GTEST_SKIP() << "no small zoo in " << models_dir();
  register_top_policy_kind();
  register_top_finetuning();
  const fs::path dir = fs::temp_directory_path() / ("top-finetune-spec-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  {
    auto spec = runtime::parse_policy("top:finetune=" + dir.string() + ",finetune_every=0.01");
    ASSERT_TRUE(spec.ok()) << spec.status().to_string();
    env::EnvCache cache(models_dir());
    auto r = env::run_episode(episode(2, 3), *spec, cache);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->completed + r->failed + r->rejected, r->arrived);
    EXPECT_TRUE(fs::is_directory(dir));
  }  // the policies go, and the fine-tuner's thread with them
  for (const std::string& bad : std::vector<std::string>{"top:finetune_every=5", "top:finetune=" + dir.string() + ",finetune_every=-1",
                                "top:finetune=" + dir.string() + ",finetune_every=x"}) {
    auto spec = runtime::parse_policy(bad);
    ASSERT_FALSE(spec.ok()) << bad;
    EXPECT_NE(spec.status().message().find("finetune"), std::string::npos) << spec.status().to_string();
  }
  auto unwritable = runtime::parse_policy("top:finetune=/proc/top-finetune");
  ASSERT_FALSE(unwritable.ok());
  EXPECT_NE(unwritable.status().message().find("cannot create checkpoint directory"), std::string::npos)
      << unwritable.status().to_string();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace top::rl

// rl/nets/agent_nets + rl/train/maddpg_trainer: the Torch actor computes what the
// Torch-free one does, the critic does not care about model order or padding, the
// Gumbel heads give one-hots, and a short training run writes a checkpoint that loads
// and runs as "top:ckpt=...".
#include "rl/nets/agent_nets.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "rl/env/episode.h"
#include "rl/policies/top_policy_kind.h"
#include "rl/train/maddpg_trainer.h"
#include "runtime/policy_spec.h"

namespace top::rl {
namespace {

TEST(AgentNets, TorchActorMatchesThePlainOne) {
  torch::manual_seed(4);
  TopAgentsDims d;
  d.hidden = 24;
  TorchMlp launcher("launcher", launcher_sizes(d), 1.0);
  const Mlp plain = Mlp::create(launcher_sizes(d), launcher->export_params()).value();
  torch::Tensor x = torch::randn({5, kActorContext});
  torch::Tensor y = launcher->forward(x).detach();
  std::vector<float> out(kLaunchActionSize), scratch;
  for (int b = 0; b < 5; ++b) {
    torch::Tensor row = x[b].contiguous();
    plain.forward(row.data_ptr<float>(), out.data(), scratch);
    for (int j = 0; j < kLaunchActionSize; ++j) EXPECT_NEAR(out[j], y[b][j].item<float>(), 1e-4);
  }
  // import_params is export_params' inverse.
  TorchMlp other("launcher", launcher_sizes(d), 1.0);
  other->import_params(launcher->export_params());
  EXPECT_TRUE(torch::allclose(other->forward(x), launcher->forward(x)));
}

TEST(AgentNets, CriticIgnoresModelOrderAndPadding) {
  torch::manual_seed(5);
  Critic q(10, 16);
  torch::Tensor x = torch::randn({3, kPadModels, 10});
  torch::Tensor mask = torch::tensor({1.f, 1.f, 1.f, 0.f}).repeat({3, 1});
  torch::Tensor a = q->forward(x, mask);
  torch::Tensor perm = x.index_select(1, torch::tensor({2, 0, 1, 3}));
  EXPECT_TRUE(torch::allclose(q->forward(perm, mask), a, 1e-5, 1e-5));
  torch::Tensor junk = x.clone();
  junk.select(1, 3).fill_(100);  // the padded slot
  EXPECT_TRUE(torch::allclose(q->forward(junk, mask), a, 1e-5, 1e-5));
}

TEST(AgentNets, HeadsGiveOneHots) {
  torch::Tensor logits = torch::randn({6, kLaunchActionSize}, torch::requires_grad());
  for (bool greedy : {true, false}) {
    torch::Tensor h = heads_one_hot(logits, launch_heads(), greedy);
    ASSERT_EQ(h.size(1), kLaunchActionSize);
    int64_t off = 0;
    for (int n : launch_heads()) {
      auto part = h.narrow(1, off, n);
      EXPECT_TRUE(torch::allclose(part.sum(1), torch::ones({6})));
      EXPECT_TRUE(torch::allclose(std::get<0>(part.max(1)), torch::ones({6})));
      off += n;
    }
  }
  // The straight-through sample carries a gradient to the logits.
  torch::Tensor h = heads_one_hot(logits, launch_heads(), false);
  (h * torch::randn_like(h)).sum().backward();
  EXPECT_GT(logits.grad().abs().sum().item<float>(), 0);
}

std::string models_dir() {
  const char* env = std::getenv("TOP_MODELS_DIR");
  return env ? env : TOP_TEST_MODELS_DIR;
}

TEST(MaddpgTrainer, ShortRunWritesALoadableCheckpoint) {
  if (!std::filesystem::exists(models_dir() + "/squeezenet1_1_small.onnx"))
    GTEST_SKIP() << "no small zoo in " << models_dir();
  MaddpgOptions o;
  o.dims.hidden = 16;
  o.models_dir = models_dir();
  o.episodes.duration_s = 2;
  o.gpu_duration_s = 0.3;
  o.max_rounds = 3;
  o.minutes = 5;
  o.learner.batch = 32;
  o.updates_per_round = 4;
  o.warmup_transitions = 32;
  o.eval_every = 2;
  o.validation_episodes = 1;
  o.seed = 3;
  o.out = (std::filesystem::temp_directory_path() / ("top-train-" + std::to_string(::getpid()) + ".json")).string();
  auto report = train_maddpg(o);
  ASSERT_TRUE(report.ok()) << report.status().to_string();
  EXPECT_EQ(report->rounds, 3);
  EXPECT_EQ(report->episodes, 3 * o.threads);
  EXPECT_GT(report->transitions, 0u);
  EXPECT_GT(report->best_eval.static_best_single, 0);
  ASSERT_TRUE(write_top_checkpoint(o, *report).ok());
  auto actors = load_top_actors(o.out);
  ASSERT_TRUE(actors.ok()) << actors.status().to_string();
  EXPECT_EQ((*actors)->dims.hidden, 16);
  register_top_policy_kind();
  auto spec = runtime::parse_policy("top:ckpt=" + o.out);
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  env::EnvCache cache(models_dir());
  env::EpisodeSpec e;
  e.models = {"squeezenet1_1_small", "googlenet_small"};
  e.pattern = "poisson:rate=0.5";
  e.duration_s = 1;
  auto r = env::run_episode(e, *spec, cache);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->completed + r->failed + r->rejected, r->arrived);
  // Bad options are refused before anything runs.
  MaddpgOptions bad = o;
  bad.learner.gamma = 1;
  EXPECT_FALSE(train_maddpg(bad).ok());
}

}  // namespace
}  // namespace top::rl

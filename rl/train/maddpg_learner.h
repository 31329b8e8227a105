// The MADDPG update of TOP's launcher and scheduler (the algorithm: maddpg_trainer.h),
// apart from where the transitions come from: the trainer feeds it simulated episodes,
// the online fine-tuner (online_finetuner.h) live decision ticks.
//
//   MaddpgLearner learner(dims, LearnerOptions{});
//   learner.load_actors(params);                  // optional: start from a checkpoint
//   learner.add(agents->take_steps(), /*ended=*/false);
//   double critic_loss = learner.update(64);
//   auto actors = TopActors::create(dims, learner.actor_params());
//
// The replay buffer is bounded (LearnerOptions::replay transitions; the oldest go first).
// Not thread-safe: one thread drives a learner. LibTorch stays behind this header.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "rl/policies/top_agents.h"
#include "top/status.h"

namespace top::rl {

struct LearnerOptions {
  double gamma = 0.95;
  double tau = 0.01;
  double lr_actor = 2e-4, lr_critic = 1e-3;
  int batch = 256;
  int replay = 200000;
  int actor_every = 2;
  uint64_t seed = 1;
};

class MaddpgLearner {
 public:
  MaddpgLearner(const TopAgentsDims& dims, const LearnerOptions& options);
  ~MaddpgLearner();
  MaddpgLearner(const MaddpgLearner&) = delete;
  MaddpgLearner& operator=(const MaddpgLearner&) = delete;

  // Starts the actors and their targets from `params` (top_actor_parameter_specs order).
  Status load_actors(const std::vector<std::vector<float>>& params);
  // Consecutive decision steps of one run. `ended`: the last one ends the run (a terminal
  // transition); otherwise it is still open (its reward is not known yet): it only gives
  // the previous step its next state. Steps with more than 4 models are skipped.
  // Returns the transitions added.
  size_t add(const std::vector<AgentStep>& steps, bool ended);
  size_t buffer_size() const;
  // `n` minibatch updates (none while the buffer holds fewer than a batch): the critics
  // every time, the actors every actor_every-th unless `critics_only` (a fresh critic must
  // learn the values before it may steer trained actors). Returns the mean critic loss.
  double update(int n, bool critics_only = false);
  std::vector<std::vector<float>> actor_params() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace top::rl

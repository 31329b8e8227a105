// Training TOP's launcher and scheduler: MADDPG (Lowe et al. 2017) in the simulator.
//
// Rollouts: each round runs `threads` episodes side by side (rl/env/episode.h:
// draw_episode — 1-4 training models, the CPU profile or an H100, Poisson, bursty, ramp,
// diurnal, flash or shifting arrivals at 0.3-1.6x capacity), each under a snapshot of
// the current actors with exploration (per head: epsilon-uniform, else a softmax sample),
// recording one transition per decision tick (rl/policies/top_agents.h) into a replay
// buffer. GPU-device episodes last gpu_duration_s (an H100 serves ~15x more tasks per
// virtual second, so the same ticks take less virtual time).
// Updates (after each round, `updates_per_round` x minibatches of `batch`):
//   y     = r + gamma (1 - done) min_i Q'_i(s', mu'_L(o'), mu'_S(o', k'))
//   L_Q   = (Q_i(s, a_L, a_S) - y)^2                            centralised critics, i in {L, S}
//   L_L   = -Q_L(s, gs(mu_L(o)), a_S) + 1e-3 |logits|^2                   launcher actor
//   L_S   = -Q_S(s, a_L, gs(mu_S(o, k(a_L)))) + 1e-3 |logits|^2           scheduler actor
// gs: straight-through Gumbel-softmax per head; targets: greedy one-hots of the target
// actors; soft target updates with tau. The reward is shared, so both critics estimate
// the same value: the target takes the smaller of the two target critics (TD3's clipped
// double Q, here for free), against the overestimation that makes DDPG-style actors
// drift, and the actors step every actor_every-th update (TD3's delayed policy update). Parameters are shared across models (one actor
// applied per model, pooled critics), so the number of models varies per episode.
// Every eval_every rounds the greedy actors run a fixed validation set (training
// distribution, its own seeds) next to the small static grid's results on the same
// episodes; the parameters with the best mean normalised goodput are kept.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rl/env/episode.h"
#include "rl/policies/top_agents.h"
#include "rl/train/maddpg_learner.h"

namespace top::rl {

struct MaddpgOptions {
  TopAgentsDims dims;
  env::EpisodeOptions episodes;
  std::string models_dir;         // the zoo's *_small.onnx
  double gpu_duration_s = 4;      // episode length on device descriptions (cpu: episodes.duration_s)
  double minutes = 20;            // wall-clock budget
  int max_rounds = 1000000;
  int threads = 2;                // episodes side by side; Torch threads for the updates
  LearnerOptions learner;         // gamma, tau, learning rates, batch, replay, actor_every (seed: below)
  int updates_per_round = 64;
  int warmup_transitions = 2000;  // no updates before the buffer holds this many
  double epsilon_start = 0.5, epsilon_end = 0.05;  // decays linearly over the first half of the budget
  double temperature = 1.0;
  int eval_every = 10;            // rounds
  int validation_episodes = 8;
  // Charged per launching round in every rollout and validation run (the measured tick
  // cost, bench_top_decision_cost: ~14 us for 4 models on the AMD EPYC here).
  double decision_cost_ms = 0.02;
  uint64_t seed = 1;
  std::string command, source_commit;  // for the manifest
  std::string out;                // checkpoint manifest; empty: none
  std::string curve_csv;          // training curve; empty: none
};

struct MaddpgEval {
  double mean_normalised_goodput = 0;  // learned goodput / best static goodput, per episode, mean
  double static_best_single = 0;       // the small grid's best single setting, same measure
  double mean_reward_per_capacity = 0; // episode_reward / capacity, mean
};

struct MaddpgProgress {
  int round = 0, episodes = 0;
  double elapsed_s = 0, left_s = 0;
  size_t transitions = 0;
  double train_reward_per_capacity = 0;  // recent exploring episodes
  double critic_loss = 0;
  double rollout_s = 0, update_s = 0;  // wall time spent in each, so far
  const MaddpgEval* eval = nullptr;
};

struct MaddpgReport {
  int rounds = 0, episodes = 0;
  double seconds = 0;
  size_t transitions = 0;
  MaddpgEval first_eval, best_eval;
  std::vector<std::vector<float>> params;  // kept (top_actor_parameter_specs order)
};

Result<MaddpgReport> train_maddpg(const MaddpgOptions& opts,
                                  const std::function<void(const MaddpgProgress&)>& progress = {});
Status write_top_checkpoint(const MaddpgOptions& opts, const MaddpgReport& report);

}  // namespace top::rl

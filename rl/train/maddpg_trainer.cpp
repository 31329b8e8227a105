#include "rl/train/maddpg_trainer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "rl/checkpoint/checkpoint.h"
#include "rl/env/static_grid.h"
#include "rl/graphs/seeded_rng.h"
#include "rl/train/maddpg_learner.h"

namespace top::rl {

namespace {

using Clock = std::chrono::steady_clock;

struct EpisodeRun {
  env::EpisodeSpec spec;
  Result<env::EpisodeResult> result = Status(Internal("not run"));
  std::vector<AgentStep> steps;
};

// Runs `specs` on `threads` threads, each under its own TopAgents over `actors`.
std::vector<EpisodeRun> run_episodes(const std::vector<env::EpisodeSpec>& specs,
                                     const std::shared_ptr<const TopActors>& actors, std::optional<Exploration> explore,
                                     uint64_t seed, env::EnvCache& cache, int threads, double decision_cost_ms) {
  std::vector<EpisodeRun> runs(specs.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < specs.size(); i = next++) {
      runs[i].spec = specs[i];
      Result<env::PreparedEpisode> p = env::prepare_episode(specs[i], cache);
      if (!p.ok()) {
        runs[i].result = p.status();
        continue;
      }
      std::optional<Exploration> e = explore;
      if (e) e->seed = derive_seed(seed, i);
      LearnedPolicies lp = learned_policies(actors, e, /*record=*/explore.has_value());
      runs[i].result = env::run_prepared_episode(specs[i], *p, lp.launch, lp.graph, false, decision_cost_ms);
      runs[i].steps = lp.agents->finish_episode(0);  // the simulator drained the queues
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  return runs;
}

env::EpisodeSpec training_episode(SeededRng& rng, const MaddpgOptions& opts) {
  env::EpisodeSpec s = env::draw_episode(rng, opts.episodes);
  if (s.device != "cpu") s.duration_s = opts.gpu_duration_s;
  return s;
}

}  // namespace

Result<MaddpgReport> train_maddpg(const MaddpgOptions& opts, const std::function<void(const MaddpgProgress&)>& progress) {
  if (opts.threads < 1 || opts.threads > 64) return InvalidArgument("train top: threads must be in 1..64");
  const LearnerOptions& l = opts.learner;
  if (l.batch < 1 || l.replay < l.batch) return InvalidArgument("train top: need 1 <= batch <= replay");
  if (!(l.gamma >= 0 && l.gamma < 1) || !(l.tau > 0 && l.tau <= 1))
    return InvalidArgument("train top: gamma in [0, 1), tau in (0, 1]");
  if (opts.eval_every < 1 || opts.validation_episodes < 1)
    return InvalidArgument("train top: eval_every and validation_episodes must be >= 1");
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  // One intra-op thread: the tensors are small (a batch of 256 x 4 models x 64), where
  // Torch's thread pool costs more than it gives (measured here: 36 ms per update with 2 threads, 13 ms with 1).
  torch::set_num_threads(1);
  torch::manual_seed(opts.seed);

  const TopAgentsDims& dims = opts.dims;
  LearnerOptions lo = opts.learner;
  lo.seed = opts.seed;
  MaddpgLearner learner(dims, lo);

  env::EnvCache cache(opts.models_dir);
  // The validation set and the static grid on it, once.
  SeededRng val_rng(derive_seed(opts.seed, 1'000'003));
  std::vector<env::EpisodeSpec> validation;
  for (int i = 0; i < opts.validation_episodes; ++i) validation.push_back(training_episode(val_rng, opts));
  TOP_ASSIGN_OR_RETURN(env::GridResult grid, env::grid_search(validation, env::small_grid(), cache, opts.threads));
  std::vector<double> best_static(validation.size(), 0);
  for (size_t e = 0; e < validation.size(); ++e) best_static[e] = grid.results[env::best_for_episode(grid, e)][e].goodput_per_s;
  double static_single = 0;
  {
    const size_t s = env::best_single(grid);
    for (size_t e = 0; e < validation.size(); ++e) static_single += env::normalised_goodput(grid, s, e) / validation.size();
  }

  MaddpgReport report;
  auto evaluate = [&]() -> Result<MaddpgEval> {
    TOP_ASSIGN_OR_RETURN(auto actors, TopActors::create(dims, learner.actor_params()));
    std::vector<EpisodeRun> runs = run_episodes(validation, actors, std::nullopt, 0, cache, opts.threads, opts.decision_cost_ms);
    MaddpgEval ev;
    ev.static_best_single = static_single;
    for (size_t e = 0; e < runs.size(); ++e) {
      TOP_RETURN_IF_ERROR(runs[e].result.status());
      const env::EpisodeResult& r = *runs[e].result;
      ev.mean_normalised_goodput += (best_static[e] > 0 ? r.goodput_per_s / best_static[e] : 1.0) / runs.size();
      ev.mean_reward_per_capacity += env::episode_reward(r) / std::max(1e-9, r.capacity_per_s) / runs.size();
    }
    if (report.params.empty() || ev.mean_normalised_goodput > report.best_eval.mean_normalised_goodput) {
      report.best_eval = ev;
      report.params = learner.actor_params();
    }
    return ev;
  };

  std::ofstream curve;
  if (!opts.curve_csv.empty()) {
    curve.open(opts.curve_csv);
    if (!curve) return NotFound("train top: cannot write '" + opts.curve_csv + "'");
    curve << "round,episodes,seconds,transitions,train_reward_per_capacity,critic_loss,eval_normalised_goodput,"
             "static_best_single,eval_reward_per_capacity\n";
  }
  std::deque<double> recent_reward;
  double critic_loss = 0, rollout_s = 0, update_s = 0;
  auto report_progress = [&](int round, const MaddpgEval* ev, size_t transitions) {
    double rr = 0;
    for (double x : recent_reward) rr += x / std::max<size_t>(1, recent_reward.size());
    if (curve && ev) {
      curve << round << "," << report.episodes << "," << elapsed() << "," << transitions << "," << rr << "," << critic_loss
            << "," << ev->mean_normalised_goodput << "," << ev->static_best_single << "," << ev->mean_reward_per_capacity
            << "\n";
      curve.flush();
    }
    if (progress) {
      MaddpgProgress p;
      p.round = round;
      p.episodes = report.episodes;
      p.elapsed_s = elapsed();
      p.left_s = std::max(0.0, opts.minutes * 60 - p.elapsed_s);
      p.transitions = transitions;
      p.train_reward_per_capacity = rr;
      p.critic_loss = critic_loss;
      p.rollout_s = rollout_s;
      p.update_s = update_s;
      p.eval = ev;
      progress(p);
    }
  };
  TOP_ASSIGN_OR_RETURN(report.first_eval, evaluate());
  report_progress(0, &report.first_eval, 0);

  SeededRng episode_rng(derive_seed(opts.seed, 7));
  const double budget_s = opts.minutes * 60;
  int round = 0;
  while (round < opts.max_rounds && elapsed() < budget_s) {
    ++round;
    // Rollouts.
    const double frac = std::min(1.0, elapsed() / (0.5 * budget_s));
    Exploration ex;
    ex.epsilon = opts.epsilon_start + (opts.epsilon_end - opts.epsilon_start) * frac;
    ex.temperature = opts.temperature;
    std::vector<env::EpisodeSpec> specs;
    for (int i = 0; i < opts.threads; ++i) specs.push_back(training_episode(episode_rng, opts));
    TOP_ASSIGN_OR_RETURN(auto actors, TopActors::create(dims, learner.actor_params()));
    const auto t_roll = Clock::now();
    std::vector<EpisodeRun> runs =
        run_episodes(specs, actors, ex, derive_seed(opts.seed, 1000 + static_cast<uint64_t>(round)), cache, opts.threads,
                     opts.decision_cost_ms);
    for (EpisodeRun& r : runs) {
      TOP_RETURN_IF_ERROR(r.result.status().with_context(r.spec.describe()));
      report.transitions += learner.add(r.steps, /*ended=*/true);
      ++report.episodes;
      recent_reward.push_back(env::episode_reward(*r.result) / std::max(1e-9, r.result->capacity_per_s));
      if (recent_reward.size() > 20) recent_reward.pop_front();
    }
    rollout_s += std::chrono::duration<double>(Clock::now() - t_roll).count();
    // Updates.
    const auto t_upd = Clock::now();
    if (learner.buffer_size() >= static_cast<size_t>(std::max(opts.warmup_transitions, opts.learner.batch)))
      critic_loss = learner.update(opts.updates_per_round);
    update_s += std::chrono::duration<double>(Clock::now() - t_upd).count();
    if (round % opts.eval_every == 0) {
      TOP_ASSIGN_OR_RETURN(MaddpgEval ev, evaluate());
      report_progress(round, &ev, learner.buffer_size());
    } else {
      report_progress(round, nullptr, learner.buffer_size());
    }
  }
  TOP_ASSIGN_OR_RETURN(MaddpgEval last, evaluate());
  report_progress(round, &last, learner.buffer_size());
  report.rounds = round;
  report.seconds = elapsed();
  return report;
}

Status write_top_checkpoint(const MaddpgOptions& opts, const MaddpgReport& report) {
  if (opts.out.empty()) return InvalidArgument("write top checkpoint: no output path");
  const auto specs = top_actor_parameter_specs(opts.dims);
  if (report.params.size() != specs.size()) return InvalidArgument("write top checkpoint: no trained parameters");
  Checkpoint ck = top_checkpoint(opts.dims, report.params);
  CheckpointManifest m = training_manifest("top", top_schema_hash(), opts.episodes.devices, opts.command, opts.seed,
                                           opts.source_commit);
  m.dims = ck.manifest.dims;
  ck.manifest = m;
  auto ev = [](const MaddpgEval& e) {
    return nlohmann::json{{"normalised_goodput", e.mean_normalised_goodput},
                          {"static_best_single", e.static_best_single},
                          {"reward_per_capacity", e.mean_reward_per_capacity}};
  };
  ck.manifest.results = {{"rounds", report.rounds},
                         {"episodes", report.episodes},
                         {"seconds", report.seconds},
                         {"transitions", report.transitions},
                         {"validation_before_training", ev(report.first_eval)},
                         {"validation", ev(report.best_eval)}};
  return write_checkpoint(opts.out, ck);
}

}  // namespace top::rl

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
#include "rl/nets/agent_nets.h"

namespace top::rl {

namespace {

using Clock = std::chrono::steady_clock;

// One transition, padded to kPadModels models.
struct Transition {
  std::vector<float> ctx, next_ctx;  // kPadModels x kActorContext
  std::vector<float> mask;           // kPadModels
  std::vector<float> launch, schedule;  // kPadModels x action sizes
  float reward = 0, done = 0;
};

std::vector<float> padded_context(const AgentObservation& o) {
  std::vector<float> out(static_cast<size_t>(kPadModels) * kActorContext, 0.0f);
  for (int m = 0; m < std::min(o.num_models, kPadModels); ++m) actor_context(o, m, &out[static_cast<size_t>(m) * kActorContext]);
  return out;
}

std::vector<float> padded(const std::vector<float>& v, int per_model) {
  std::vector<float> out(static_cast<size_t>(kPadModels) * per_model, 0.0f);
  std::copy_n(v.begin(), std::min(v.size(), out.size()), out.begin());
  return out;
}

void append_transitions(const std::vector<AgentStep>& steps, int ns, std::vector<Transition>& out) {
  // Each step's context once: it is one transition's state and the previous one's next state.
  std::vector<std::vector<float>> ctx;
  for (const AgentStep& s : steps) ctx.push_back(padded_context(s.obs));
  for (size_t i = 0; i < steps.size(); ++i) {
    const AgentStep& s = steps[i];
    if (s.obs.num_models > kPadModels) continue;  // training draws 2-4 models
    Transition t;
    t.ctx = ctx[i];
    const bool done = s.last || i + 1 == steps.size();
    t.next_ctx = done ? std::vector<float>(t.ctx.size(), 0.0f) : ctx[i + 1];
    t.mask.assign(kPadModels, 0.0f);
    for (int m = 0; m < s.obs.num_models; ++m) t.mask[m] = 1.0f;
    t.launch = padded(s.launch_onehot, kLaunchActionSize);
    t.schedule = padded(s.schedule_onehot, ns);
    t.reward = static_cast<float>(s.reward);
    t.done = done ? 1.0f : 0.0f;
    out.push_back(std::move(t));
  }
}

class ReplayBuffer {
 public:
  explicit ReplayBuffer(size_t capacity) : capacity_(capacity) {}
  void add(Transition t) {
    if (items_.size() < capacity_) {
      items_.push_back(std::move(t));
    } else {
      items_[next_] = std::move(t);
      next_ = (next_ + 1) % capacity_;
    }
  }
  size_t size() const { return items_.size(); }
  const Transition& at(size_t i) const { return items_[i]; }

 private:
  size_t capacity_;
  size_t next_ = 0;
  std::vector<Transition> items_;
};

struct Batch {
  torch::Tensor ctx, next_ctx, mask, launch, schedule, reward, done;
};

Batch sample(const ReplayBuffer& buf, int n, int ns, std::mt19937_64& rng) {
  const int64_t B = n, M = kPadModels;
  std::vector<float> ctx(B * M * kActorContext), nctx(ctx.size()), mask(B * M), la(B * M * kLaunchActionSize),
      sa(B * M * ns), r(B), d(B);
  for (int64_t b = 0; b < B; ++b) {
    const Transition& t = buf.at(rng() % buf.size());
    std::copy(t.ctx.begin(), t.ctx.end(), ctx.begin() + b * M * kActorContext);
    std::copy(t.next_ctx.begin(), t.next_ctx.end(), nctx.begin() + b * M * kActorContext);
    std::copy(t.mask.begin(), t.mask.end(), mask.begin() + b * M);
    std::copy(t.launch.begin(), t.launch.end(), la.begin() + b * M * kLaunchActionSize);
    std::copy(t.schedule.begin(), t.schedule.end(), sa.begin() + b * M * ns);
    r[b] = t.reward;
    d[b] = t.done;
  }
  auto T = [](std::vector<float>& v, std::vector<int64_t> shape) {
    return torch::from_blob(v.data(), shape, torch::kFloat32).clone();
  };
  return {T(ctx, {B, M, kActorContext}), T(nctx, {B, M, kActorContext}), T(mask, {B, M}),
          T(la, {B, M, kLaunchActionSize}), T(sa, {B, M, ns}), T(r, {B}), T(d, {B})};
}

torch::Tensor scheduler_input(const torch::Tensor& ctx, const torch::Tensor& launch) {
  return torch::cat({ctx, launch.narrow(-1, 0, kSchedulerContext)}, -1);
}

struct Agents {
  TorchMlp launcher, scheduler, launcher_target, scheduler_target;
  Critic q_launch, q_schedule, q_launch_target, q_schedule_target;
};

std::vector<std::vector<float>> export_actors(const Agents& a) {
  std::vector<std::vector<float>> p = a.launcher->export_params();
  for (auto& s : a.scheduler->export_params()) p.push_back(std::move(s));
  return p;
}

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
  if (opts.batch < 1 || opts.replay < opts.batch) return InvalidArgument("train top: need 1 <= batch <= replay");
  if (!(opts.gamma >= 0 && opts.gamma < 1) || !(opts.tau > 0 && opts.tau <= 1))
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
  const int ns = kModeBins + static_cast<int>(dims.generators.size());
  const std::vector<int> lheads = launch_heads(), sheads = scheduler_heads(dims.generators.size());
  const int critic_in = kActorContext + kLaunchActionSize + ns;
  Agents a{TorchMlp("launcher", launcher_sizes(dims), 0.1),       TorchMlp("scheduler", scheduler_sizes(dims), 0.1),
           TorchMlp("launcher", launcher_sizes(dims), 0.1),       TorchMlp("scheduler", scheduler_sizes(dims), 0.1),
           Critic(critic_in, dims.hidden),                        Critic(critic_in, dims.hidden),
           Critic(critic_in, dims.hidden),                        Critic(critic_in, dims.hidden)};
  soft_update(*a.launcher_target, *a.launcher, 1.0);
  soft_update(*a.scheduler_target, *a.scheduler, 1.0);
  soft_update(*a.q_launch_target, *a.q_launch, 1.0);
  soft_update(*a.q_schedule_target, *a.q_schedule, 1.0);
  torch::optim::Adam opt_l(a.launcher->parameters(), torch::optim::AdamOptions(opts.lr_actor));
  torch::optim::Adam opt_s(a.scheduler->parameters(), torch::optim::AdamOptions(opts.lr_actor));
  torch::optim::Adam opt_ql(a.q_launch->parameters(), torch::optim::AdamOptions(opts.lr_critic));
  torch::optim::Adam opt_qs(a.q_schedule->parameters(), torch::optim::AdamOptions(opts.lr_critic));

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
    TOP_ASSIGN_OR_RETURN(auto actors, TopActors::create(dims, export_actors(a)));
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
      report.params = export_actors(a);
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

  ReplayBuffer buffer(static_cast<size_t>(opts.replay));
  SeededRng episode_rng(derive_seed(opts.seed, 7));
  std::mt19937_64 batch_rng(derive_seed(opts.seed, 11));
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
    TOP_ASSIGN_OR_RETURN(auto actors, TopActors::create(dims, export_actors(a)));
    const auto t_roll = Clock::now();
    std::vector<EpisodeRun> runs =
        run_episodes(specs, actors, ex, derive_seed(opts.seed, 1000 + static_cast<uint64_t>(round)), cache, opts.threads,
                     opts.decision_cost_ms);
    for (EpisodeRun& r : runs) {
      TOP_RETURN_IF_ERROR(r.result.status().with_context(r.spec.describe()));
      std::vector<Transition> ts;
      append_transitions(r.steps, ns, ts);
      for (Transition& t : ts) buffer.add(std::move(t));
      report.transitions += ts.size();
      ++report.episodes;
      recent_reward.push_back(env::episode_reward(*r.result) / std::max(1e-9, r.result->capacity_per_s));
      if (recent_reward.size() > 20) recent_reward.pop_front();
    }
    rollout_s += std::chrono::duration<double>(Clock::now() - t_roll).count();
    // Updates.
    const auto t_upd = Clock::now();
    if (buffer.size() >= static_cast<size_t>(std::max(opts.warmup_transitions, opts.batch))) {
      double loss_sum = 0;
      for (int u = 0; u < opts.updates_per_round; ++u) {
        Batch b = sample(buffer, opts.batch, ns, batch_rng);
        torch::Tensor y_l, y_s;
        {
          torch::NoGradGuard no_grad;
          auto l2 = heads_one_hot(a.launcher_target->forward(b.next_ctx), lheads, true);
          auto s2 = heads_one_hot(a.scheduler_target->forward(scheduler_input(b.next_ctx, l2)), sheads, true);
          auto x2 = torch::cat({b.next_ctx, l2, s2}, -1);
          const auto not_done = 1 - b.done;
          auto q2 = torch::min(a.q_launch_target->forward(x2, b.mask), a.q_schedule_target->forward(x2, b.mask));
          y_l = b.reward + opts.gamma * not_done * q2;
          y_s = y_l;
        }
        auto x = torch::cat({b.ctx, b.launch, b.schedule}, -1);
        auto loss_ql = torch::mse_loss(a.q_launch->forward(x, b.mask), y_l);
        opt_ql.zero_grad();
        loss_ql.backward();
        torch::nn::utils::clip_grad_norm_(a.q_launch->parameters(), 10.0);
        opt_ql.step();
        auto loss_qs = torch::mse_loss(a.q_schedule->forward(x, b.mask), y_s);
        opt_qs.zero_grad();
        loss_qs.backward();
        torch::nn::utils::clip_grad_norm_(a.q_schedule->parameters(), 10.0);
        opt_qs.step();
        loss_sum += 0.5 * (loss_ql.item<double>() + loss_qs.item<double>());
        if (u % std::max(1, opts.actor_every) != 0) continue;

        const auto m = b.mask.unsqueeze(-1);
        auto logits_l = a.launcher->forward(b.ctx);
        auto l_new = heads_one_hot(logits_l, lheads, false) * m;
        auto loss_l = -a.q_launch->forward(torch::cat({b.ctx, l_new, b.schedule}, -1), b.mask).mean() +
                      1e-3 * (logits_l.pow(2) * m).mean();
        opt_l.zero_grad();
        loss_l.backward();
        torch::nn::utils::clip_grad_norm_(a.launcher->parameters(), 1.0);
        opt_l.step();
        auto logits_s = a.scheduler->forward(scheduler_input(b.ctx, b.launch));
        auto s_new = heads_one_hot(logits_s, sheads, false) * m;
        auto loss_s = -a.q_schedule->forward(torch::cat({b.ctx, b.launch, s_new}, -1), b.mask).mean() +
                      1e-3 * (logits_s.pow(2) * m).mean();
        opt_s.zero_grad();
        loss_s.backward();
        torch::nn::utils::clip_grad_norm_(a.scheduler->parameters(), 1.0);
        opt_s.step();

        soft_update(*a.launcher_target, *a.launcher, opts.tau);
        soft_update(*a.scheduler_target, *a.scheduler, opts.tau);
        soft_update(*a.q_launch_target, *a.q_launch, opts.tau);
        soft_update(*a.q_schedule_target, *a.q_schedule, opts.tau);
      }
      critic_loss = loss_sum / opts.updates_per_round;
    }
    update_s += std::chrono::duration<double>(Clock::now() - t_upd).count();
    if (round % opts.eval_every == 0) {
      TOP_ASSIGN_OR_RETURN(MaddpgEval ev, evaluate());
      report_progress(round, &ev, buffer.size());
    } else {
      report_progress(round, nullptr, buffer.size());
    }
  }
  TOP_ASSIGN_OR_RETURN(MaddpgEval last, evaluate());
  report_progress(round, &last, buffer.size());
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

#include "rl/train/maddpg_learner.h"

#include <torch/torch.h>

#include <algorithm>
#include <random>

#include "rl/graphs/seeded_rng.h"
#include "rl/nets/agent_nets.h"

namespace top::rl {

namespace {

// One transition, padded to kPadModels models.
struct Transition {
  std::vector<float> ctx, next_ctx;     // kPadModels x kActorContext
  std::vector<float> mask;              // kPadModels
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

}  // namespace

struct MaddpgLearner::State {
  State(const TopAgentsDims& d, const LearnerOptions& o)
      : dims(d),
        opts(o),
        ns(kModeBins + static_cast<int>(d.generators.size())),
        lheads(launch_heads()),
        sheads(scheduler_heads(d.generators.size())),
        launcher("launcher", launcher_sizes(d), 0.1),
        scheduler("scheduler", scheduler_sizes(d), 0.1),
        launcher_target("launcher", launcher_sizes(d), 0.1),
        scheduler_target("scheduler", scheduler_sizes(d), 0.1),
        q_launch(kActorContext + kLaunchActionSize + ns, d.hidden),
        q_schedule(kActorContext + kLaunchActionSize + ns, d.hidden),
        q_launch_target(kActorContext + kLaunchActionSize + ns, d.hidden),
        q_schedule_target(kActorContext + kLaunchActionSize + ns, d.hidden),
        opt_l(launcher->parameters(), torch::optim::AdamOptions(o.lr_actor)),
        opt_s(scheduler->parameters(), torch::optim::AdamOptions(o.lr_actor)),
        opt_ql(q_launch->parameters(), torch::optim::AdamOptions(o.lr_critic)),
        opt_qs(q_schedule->parameters(), torch::optim::AdamOptions(o.lr_critic)),
        buffer(static_cast<size_t>(std::max(1, o.replay))),
        rng(derive_seed(o.seed, 11)) {
    sync_targets();
  }
  void sync_targets() {
    soft_update(*launcher_target, *launcher, 1.0);
    soft_update(*scheduler_target, *scheduler, 1.0);
    soft_update(*q_launch_target, *q_launch, 1.0);
    soft_update(*q_schedule_target, *q_schedule, 1.0);
  }
  TopAgentsDims dims;
  LearnerOptions opts;
  int ns;
  std::vector<int> lheads, sheads;
  TorchMlp launcher, scheduler, launcher_target, scheduler_target;
  Critic q_launch, q_schedule, q_launch_target, q_schedule_target;
  torch::optim::Adam opt_l, opt_s, opt_ql, opt_qs;
  ReplayBuffer buffer;
  std::mt19937_64 rng;
  uint64_t updates = 0;
};

MaddpgLearner::MaddpgLearner(const TopAgentsDims& dims, const LearnerOptions& options)
    : s_(std::make_unique<State>(dims, options)) {}
MaddpgLearner::~MaddpgLearner() = default;

Status MaddpgLearner::load_actors(const std::vector<std::vector<float>>& params) {
  const size_t nl = s_->launcher->export_params().size(), nsch = s_->scheduler->export_params().size();
  if (params.size() != nl + nsch) return InvalidArgument("maddpg learner: wrong number of actor parameter tensors");
  // TopActors::create checks every shape against the dims.
  TOP_RETURN_IF_ERROR(TopActors::create(s_->dims, params).status());
  s_->launcher->import_params({params.begin(), params.begin() + static_cast<std::ptrdiff_t>(nl)});
  s_->scheduler->import_params({params.begin() + static_cast<std::ptrdiff_t>(nl), params.end()});
  soft_update(*s_->launcher_target, *s_->launcher, 1.0);
  soft_update(*s_->scheduler_target, *s_->scheduler, 1.0);
  return Status::Ok();
}

size_t MaddpgLearner::add(const std::vector<AgentStep>& steps, bool ended) {
  // Each step's context once: it is one transition's state and the previous one's next state.
  std::vector<std::vector<float>> ctx;
  for (const AgentStep& s : steps) ctx.push_back(padded_context(s.obs));
  size_t added = 0;
  const size_t usable = ended ? steps.size() : (steps.empty() ? 0 : steps.size() - 1);
  for (size_t i = 0; i < usable; ++i) {
    const AgentStep& s = steps[i];
    if (s.obs.num_models > kPadModels || s.obs.num_models < 1) continue;  // training draws 2-4 models
    Transition t;
    t.ctx = ctx[i];
    const bool done = s.last || i + 1 == steps.size();
    t.next_ctx = done ? std::vector<float>(t.ctx.size(), 0.0f) : ctx[i + 1];
    t.mask.assign(kPadModels, 0.0f);
    for (int m = 0; m < s.obs.num_models; ++m) t.mask[m] = 1.0f;
    t.launch = padded(s.launch_onehot, kLaunchActionSize);
    t.schedule = padded(s.schedule_onehot, s_->ns);
    t.reward = static_cast<float>(s.reward);
    t.done = done ? 1.0f : 0.0f;
    s_->buffer.add(std::move(t));
    ++added;
  }
  return added;
}

size_t MaddpgLearner::buffer_size() const { return s_->buffer.size(); }

double MaddpgLearner::update(int n, bool critics_only) {
  State& a = *s_;
  if (n < 1 || a.buffer.size() < static_cast<size_t>(std::max(1, a.opts.batch))) return 0;
  double loss_sum = 0;
  for (int u = 0; u < n; ++u) {
    Batch b = sample(a.buffer, a.opts.batch, a.ns, a.rng);
    torch::Tensor y;
    {
      torch::NoGradGuard no_grad;
      auto l2 = heads_one_hot(a.launcher_target->forward(b.next_ctx), a.lheads, true);
      auto s2 = heads_one_hot(a.scheduler_target->forward(scheduler_input(b.next_ctx, l2)), a.sheads, true);
      auto x2 = torch::cat({b.next_ctx, l2, s2}, -1);
      auto q2 = torch::min(a.q_launch_target->forward(x2, b.mask), a.q_schedule_target->forward(x2, b.mask));
      y = b.reward + a.opts.gamma * (1 - b.done) * q2;
    }
    auto x = torch::cat({b.ctx, b.launch, b.schedule}, -1);
    auto loss_ql = torch::mse_loss(a.q_launch->forward(x, b.mask), y);
    a.opt_ql.zero_grad();
    loss_ql.backward();
    torch::nn::utils::clip_grad_norm_(a.q_launch->parameters(), 10.0);
    a.opt_ql.step();
    auto loss_qs = torch::mse_loss(a.q_schedule->forward(x, b.mask), y);
    a.opt_qs.zero_grad();
    loss_qs.backward();
    torch::nn::utils::clip_grad_norm_(a.q_schedule->parameters(), 10.0);
    a.opt_qs.step();
    loss_sum += 0.5 * (loss_ql.item<double>() + loss_qs.item<double>());
    if (critics_only) {
      soft_update(*a.q_launch_target, *a.q_launch, a.opts.tau);
      soft_update(*a.q_schedule_target, *a.q_schedule, a.opts.tau);
      continue;
    }
    // Delayed policy updates (TD3): the actors and all four targets every actor_every-th.
    if (a.updates++ % static_cast<uint64_t>(std::max(1, a.opts.actor_every)) != 0) continue;

    const auto m = b.mask.unsqueeze(-1);
    auto logits_l = a.launcher->forward(b.ctx);
    auto l_new = heads_one_hot(logits_l, a.lheads, false) * m;
    auto loss_l = -a.q_launch->forward(torch::cat({b.ctx, l_new, b.schedule}, -1), b.mask).mean() +
                  1e-3 * (logits_l.pow(2) * m).mean();
    a.opt_l.zero_grad();
    loss_l.backward();
    torch::nn::utils::clip_grad_norm_(a.launcher->parameters(), 1.0);
    a.opt_l.step();
    auto logits_s = a.scheduler->forward(scheduler_input(b.ctx, b.launch));
    auto s_new = heads_one_hot(logits_s, a.sheads, false) * m;
    auto loss_s = -a.q_schedule->forward(torch::cat({b.ctx, b.launch, s_new}, -1), b.mask).mean() +
                  1e-3 * (logits_s.pow(2) * m).mean();
    a.opt_s.zero_grad();
    loss_s.backward();
    torch::nn::utils::clip_grad_norm_(a.scheduler->parameters(), 1.0);
    a.opt_s.step();
    soft_update(*a.launcher_target, *a.launcher, a.opts.tau);
    soft_update(*a.scheduler_target, *a.scheduler, a.opts.tau);
    soft_update(*a.q_launch_target, *a.q_launch, a.opts.tau);
    soft_update(*a.q_schedule_target, *a.q_schedule, a.opts.tau);
  }
  return loss_sum / n;
}

std::vector<std::vector<float>> MaddpgLearner::actor_params() const {
  std::vector<std::vector<float>> p = s_->launcher->export_params();
  for (auto& s : s_->scheduler->export_params()) p.push_back(std::move(s));
  return p;
}

}  // namespace top::rl

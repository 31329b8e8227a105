#include "rl/policies/top_agents.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>

#include "rl/checkpoint/checkpoint.h"
#include "rl/env/reward.h"
#include "rl/features/fnv1a.h"
#include "sched/registry.h"

namespace top::rl {

std::vector<ParamSpec> top_actor_parameter_specs(const TopAgentsDims& dims) {
  std::vector<ParamSpec> out = mlp_parameter_specs("launcher", launcher_sizes(dims));
  for (ParamSpec& p : mlp_parameter_specs("scheduler", scheduler_sizes(dims))) out.push_back(std::move(p));
  return out;
}

uint64_t top_schema_hash() {
  uint64_t h = agent_feature_schema_hash();
  for (int k : kKBins) h = fnv1a_field("k" + std::to_string(k), h);
  for (double i : kIntervalBins) h = fnv1a_field("interval" + std::to_string(i), h);
  for (int n : kInFlightBins) h = fnv1a_field("inflight" + std::to_string(n), h);
  h = fnv1a_field("wait" + std::to_string(kWaitBins) + "@" + std::to_string(kWaitDelayRef), h);
  h = fnv1a_field("mode:batch,merge;sched_ctx:k_onehot;layers:2", h);
  return h;
}

Result<std::shared_ptr<const TopActors>> TopActors::create(const TopAgentsDims& dims,
                                                           std::vector<std::vector<float>> params) {
  if (dims.generators.empty()) return InvalidArgument("top agents: no generators to choose from");
  if (!(dims.tick_ref > 0 && dims.tick_ref <= 10)) return InvalidArgument("top agents: tick_ref must be in (0, 10]");
  const size_t nl = mlp_parameter_specs("launcher", launcher_sizes(dims)).size();
  if (params.size() < nl) return InvalidArgument("top agents: too few parameters");
  std::vector<std::vector<float>> sched(std::make_move_iterator(params.begin() + nl),
                                        std::make_move_iterator(params.end()));
  params.resize(nl);
  auto out = std::make_shared<TopActors>();
  out->dims = dims;
  TOP_ASSIGN_OR_RETURN(out->launcher, Mlp::create(launcher_sizes(dims), std::move(params)));
  TOP_ASSIGN_OR_RETURN(out->scheduler, Mlp::create(scheduler_sizes(dims), std::move(sched)));
  return std::shared_ptr<const TopActors>(std::move(out));
}

Checkpoint top_checkpoint(const TopAgentsDims& dims, const std::vector<std::vector<float>>& params) {
  Checkpoint ck;
  ck.manifest.kind = "top";
  ck.manifest.feature_schema_hash = top_schema_hash();
  ck.manifest.dims = {{"hidden", dims.hidden}, {"tick_ref_milli", static_cast<int64_t>(dims.tick_ref * 1000 + 0.5)}};
  for (size_t i = 0; i < dims.generators.size(); ++i) ck.manifest.dims["gen." + dims.generators[i]] = static_cast<int64_t>(i);
  const std::vector<ParamSpec> specs = top_actor_parameter_specs(dims);
  for (size_t i = 0; i < specs.size() && i < params.size(); ++i) ck.tensors.push_back({specs[i].name, specs[i].shape, params[i]});
  return ck;
}

std::string default_top_checkpoint() { return committed_checkpoint("top.json", "TOP_AGENTS_CHECKPOINT"); }

Result<std::shared_ptr<const TopActors>> load_top_actors(const std::string& manifest_path) {
  TOP_ASSIGN_OR_RETURN(Checkpoint ckpt, read_checkpoint(manifest_path, "top", top_schema_hash()));
  const auto& dims = ckpt.manifest.dims;
  auto bad = [&](const std::string& why) { return InvalidArgument("top checkpoint '" + manifest_path + "': " + why); };
  TopAgentsDims d;
  auto hidden = dims.find("hidden");
  auto tick = dims.find("tick_ref_milli");
  if (hidden == dims.end() || tick == dims.end()) return bad("dims.hidden and dims.tick_ref_milli are required");
  if (hidden->second < 1 || hidden->second > 1024) return bad("dims.hidden out of range [1, 1024]");
  d.hidden = static_cast<int>(hidden->second);
  d.tick_ref = static_cast<double>(tick->second) / 1000.0;
  std::vector<std::pair<int64_t, std::string>> gens;
  for (const auto& [key, value] : dims)
    if (key.rfind("gen.", 0) == 0) gens.push_back({value, key.substr(4)});
  std::sort(gens.begin(), gens.end());
  d.generators.clear();
  for (size_t i = 0; i < gens.size(); ++i) {
    if (gens[i].first != static_cast<int64_t>(i)) return bad("generator indices must be 0..n-1");
    d.generators.push_back(gens[i].second);
  }
  std::vector<std::vector<float>> params;
  for (const ParamSpec& spec : top_actor_parameter_specs(d)) {
    Result<const NamedTensor*> t = ckpt.tensor(spec.name, spec.shape);
    if (!t.ok()) return bad(t.status().message());
    params.push_back((*t)->data);
  }
  Result<std::shared_ptr<const TopActors>> actors = TopActors::create(d, std::move(params));
  if (!actors.ok()) return bad(actors.status().message());
  return actors;
}

// ---- decisions ---------------------------------------------------------------------------

TopAgents::TopAgents(std::shared_ptr<const TopActors> actors, std::optional<Exploration> explore, bool record)
    : actors_(std::move(actors)), explore_(explore), rng_(explore ? explore->seed : 1), record_(record) {}

std::vector<int> TopAgents::pick(const float* logits, const std::vector<int>& heads) {
  if (!explore_) return argmax_heads(logits, heads);
  std::vector<int> out;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int n : heads) {
    if (u(rng_) < explore_->epsilon) {
      out.push_back(static_cast<int>(rng_() % static_cast<uint64_t>(n)));
    } else if (explore_->temperature <= 0) {
      out.push_back(static_cast<int>(std::max_element(logits, logits + n) - logits));
    } else {
      const float top = *std::max_element(logits, logits + n);
      std::vector<double> p(n);
      double sum = 0;
      for (int i = 0; i < n; ++i) sum += p[i] = std::exp((logits[i] - top) / explore_->temperature);
      double r = u(rng_) * sum;
      int chosen = n - 1;
      for (int i = 0; i < n; ++i) {
        r -= p[i];
        if (r <= 0) {
          chosen = i;
          break;
        }
      }
      out.push_back(chosen);
    }
    logits += n;
  }
  return out;
}

double late_waiting_tasks(const LaunchObservation& obs) {
  double late = 0;
  for (const ModelObservation& m : obs.models)
    if (m.slo_ms > 0 && m.oldest_wait_ms > m.slo_ms && m.queue_length > 0)
      late += static_cast<double>(m.queue_length) * (m.oldest_wait_ms - m.slo_ms) / m.oldest_wait_ms;
  return late;
}

void TopAgents::close_step(size_t queue_total, double late_waiting) {
  if (steps_.empty()) return;
  const double growth = static_cast<double>(queue_total) - static_cast<double>(queue_at_tick_);
  // A late task leaving the queue is one less late waiting and one more missed: no charge.
  const double misses = missed_ + (late_waiting - late_at_tick_);
  steps_.back().reward = (good_ - env::kMissPenalty * misses - env::kBacklogPenalty * growth) / std::max(1, streams_);
}

void TopAgents::tick(const LaunchObservation& raw) {
  // Name order, so a recorded step does not depend on the launcher's FIFO ordering.
  std::vector<size_t> order(raw.models.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return raw.models[a].model < raw.models[b].model; });
  if (order.size() > static_cast<size_t>(kMaxAgentModels)) order.resize(kMaxAgentModels);
  LaunchObservation obs = raw;
  obs.models.clear();
  for (size_t i : order) obs.models.push_back(raw.models[i]);
  const AgentObservation o = agent_observation(obs);

  size_t queue_total = 0;
  for (const ModelObservation& m : raw.models) queue_total += m.queue_length;
  const double late = late_waiting_tasks(raw);
  if (record_) close_step(queue_total, late);
  good_ = missed_ = 0;
  queue_at_tick_ = queue_total;
  late_at_tick_ = late;
  streams_ = std::max(1, raw.num_streams);

  const TopActors& a = *actors_;
  const int ns = a.scheduler.outputs();
  AgentStep step;
  if (record_) {
    step.launch_onehot.assign(static_cast<size_t>(o.num_models) * kLaunchActionSize, 0.0f);
    step.schedule_onehot.assign(static_cast<size_t>(o.num_models) * ns, 0.0f);
    step.now_ms = raw.now_ms;
  }
  in_.resize(kActorContext + kSchedulerContext);
  out_.resize(std::max(kLaunchActionSize, ns));
  double mean_ref = 0;
  launch_.clear();
  schedule_.clear();
  for (int m = 0; m < o.num_models; ++m) {
    mean_ref += o.ref_ms[m];
    actor_context(o, m, in_.data());
    a.launcher.forward(in_.data(), out_.data(), scratch_);
    const std::vector<int> l = pick(out_.data(), launch_heads());
    const LaunchAction la{l[0], l[1], l[2], l[3]};
    launch_[obs.models[m].model] = to_model_launch(la, o.ref_ms[m]);
    std::fill_n(in_.data() + kActorContext, kSchedulerContext, 0.0f);
    in_[kActorContext + la.k] = 1.0f;
    a.scheduler.forward(in_.data(), out_.data(), scratch_);
    const std::vector<int> s = pick(out_.data(), scheduler_heads(a.dims.generators.size()));
    schedule_[obs.models[m].model] = to_graph_choice(ScheduleAction{s[0], s[1]}, a.dims.generators);
    if (record_) {
      float* lo = &step.launch_onehot[static_cast<size_t>(m) * kLaunchActionSize];
      int off = 0;
      for (size_t h = 0; h < l.size(); ++h) {
        lo[off + l[h]] = 1.0f;
        off += kLaunchHeads[h];
      }
      float* so = &step.schedule_onehot[static_cast<size_t>(m) * ns];
      so[s[0]] = 1.0f;
      so[kModeBins + s[1]] = 1.0f;
    }
  }
  if (o.num_models) mean_ref /= o.num_models;
  next_tick_ms_ = raw.now_ms + a.dims.tick_ref * (o.num_models ? mean_ref : 50.0);
  ++ticks_;
  if (record_) {
    step.obs = o;
    // Bounded when nobody takes the steps (the transitions at the cut are lost, not wrong:
    // take_steps chains only what it returns).
    if (steps_.size() >= kMaxRecordedSteps) steps_.erase(steps_.begin(), steps_.begin() + kMaxRecordedSteps / 2);
    steps_.push_back(std::move(step));
  }
}

LaunchDecision TopAgents::decide(const LaunchObservation& obs) {
  std::lock_guard<std::mutex> lock(mu_);
  bool known = true;
  for (const ModelObservation& m : obs.models) known = known && launch_.count(m.model);
  if (!known || obs.now_ms >= next_tick_ms_) tick(obs);
  LaunchDecision d;
  for (const ModelObservation& m : obs.models) {
    auto it = launch_.find(m.model);
    d.models.push_back(it != launch_.end() ? it->second : ModelLaunch{});  // past kMaxAgentModels: defaults
  }
  return d;
}

GraphChoice TopAgents::choose(const GraphObservation& obs) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = schedule_.find(obs.model.model);
  return it != schedule_.end() ? it->second : GraphChoice{};
}

void TopAgents::on_feedback(const PolicyFeedback& f) {
  if (f.kind != PolicyFeedback::Kind::kTaskFinished) return;
  std::lock_guard<std::mutex> lock(mu_);
  (f.within_slo ? good_ : missed_) += 1;
}

std::vector<AgentStep> TopAgents::finish_episode(size_t end_queue_total) {
  std::lock_guard<std::mutex> lock(mu_);
  close_step(end_queue_total, 0);  // the simulator drained the queues: every late task has finished
  if (!steps_.empty()) steps_.back().last = true;
  good_ = missed_ = 0;
  late_at_tick_ = 0;
  return std::exchange(steps_, {});
}

std::vector<AgentStep> TopAgents::take_steps() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<AgentStep> out = std::exchange(steps_, {});
  if (!out.empty()) steps_.push_back(out.back());
  return out;
}

Status TopAgents::set_actors(std::shared_ptr<const TopActors> actors) {
  if (!actors) return InvalidArgument("set_actors: no actors");
  std::lock_guard<std::mutex> lock(mu_);
  if (actors->dims.hidden != actors_->dims.hidden || actors->dims.generators != actors_->dims.generators)
    return InvalidArgument("set_actors: the new actors have other dims or generators");
  actors_ = std::move(actors);
  return Status::Ok();
}

std::shared_ptr<const TopActors> TopAgents::current_actors() const {
  std::lock_guard<std::mutex> lock(mu_);
  return actors_;
}

uint64_t TopAgents::ticks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ticks_;
}

// ---- the policy interfaces ---------------------------------------------------------------

namespace {

class LearnedLaunchPolicy : public LaunchPolicy {
 public:
  explicit LearnedLaunchPolicy(std::shared_ptr<TopAgents> a) : agents_(std::move(a)) {}
  std::string name() const override { return "top-launcher"; }
  LaunchDecision decide(const LaunchObservation& obs) override { return agents_->decide(obs); }
  // Rewards are counted here only: the launcher core sends each event to both policies.
  void on_feedback(const PolicyFeedback& f) override { agents_->on_feedback(f); }

 private:
  std::shared_ptr<TopAgents> agents_;
};

class LearnedGraphPolicy : public GraphPolicy {
 public:
  explicit LearnedGraphPolicy(std::shared_ptr<TopAgents> a) : agents_(std::move(a)) {}
  std::string name() const override { return "top-scheduler"; }
  GraphChoice choose(const GraphObservation& obs) override { return agents_->choose(obs); }

 private:
  std::shared_ptr<TopAgents> agents_;
};

}  // namespace

LearnedPolicies learned_policies(std::shared_ptr<const TopActors> actors, std::optional<Exploration> explore,
                                 bool record) {
  LearnedPolicies p;
  p.agents = std::make_shared<TopAgents>(std::move(actors), explore, record);
  p.launch = std::make_shared<LearnedLaunchPolicy>(p.agents);
  p.graph = std::make_shared<LearnedGraphPolicy>(p.agents);
  return p;
}

Result<LearnedPolicies> learned_policies(const std::string& manifest_path, std::optional<Exploration> explore,
                                         bool record) {
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const TopActors> actors, load_top_actors(manifest_path));
  for (const std::string& g : actors->dims.generators)
    if (!sched::find_generator(g))
      return Unsupported("top checkpoint '" + manifest_path + "': generator '" + g +
                                "' is not available (register it first, e.g. top::rl::register_gpg_generator())");
  return learned_policies(std::move(actors), explore, record);
}

}  // namespace top::rl

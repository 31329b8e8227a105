#include "rl/env/episode.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "exec/plan.h"
#include "sim/arrival.h"

namespace top::rl::env {

namespace {

constexpr double kMaxArrivals = 2e6;  // one episode; more is a mistake in the spec

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

// Index of `name` in `names`, or -1.
int index_of(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  return it == names.end() ? -1 : static_cast<int>(it - names.begin());
}

// Forwards to the policy under test and records what the episode result needs: tasks
// within SLO (the launcher core's feedback) and the queues while arrivals last.
class RecordingLaunchPolicy final : public LaunchPolicy {
 public:
  RecordingLaunchPolicy(std::shared_ptr<LaunchPolicy> inner, const std::vector<std::string>& models, double end_ms)
      : inner_(std::move(inner)), models_(models), end_ms_(end_ms), final_queues_(models.size(), 0) {}
  std::string name() const override { return inner_->name(); }
  LaunchDecision decide(const LaunchObservation& obs) override {
    if (obs.now_ms <= end_ms_) {
      size_t total = 0;
      for (const ModelObservation& m : obs.models) {
        total += m.queue_length;
        const int i = index_of(models_, m.model);
        if (i >= 0) final_queues_[static_cast<size_t>(i)] = m.queue_length;
      }
      max_backlog_ = std::max(max_backlog_, total);
    }
    return inner_->decide(obs);
  }
  void on_feedback(const PolicyFeedback& f) override {
    if (f.kind == PolicyFeedback::Kind::kTaskFinished && f.within_slo) ++within_slo_;
    inner_->on_feedback(f);
  }
  uint64_t within_slo() const { return within_slo_; }
  const std::vector<size_t>& final_queues() const { return final_queues_; }
  size_t max_backlog() const { return max_backlog_; }

 private:
  std::shared_ptr<LaunchPolicy> inner_;
  std::vector<std::string> models_;
  double end_ms_;
  uint64_t within_slo_ = 0;
  std::vector<size_t> final_queues_;
  size_t max_backlog_ = 0;
};

// Shares of `mix` in the order of `names` (0 for a name it lacks), normalised.
std::vector<double> shares_by_name(const sim::ModelMix& mix, const std::vector<std::string>& names) {
  std::vector<double> out;
  double total = 0;
  for (const std::string& n : names) {
    const int i = index_of(mix.names, n);
    out.push_back(i < 0 ? 0 : mix.shares[static_cast<size_t>(i)]);
    total += out.back();
  }
  for (double& s : out) s = total > 0 ? s / total : 0;
  return out;
}

}  // namespace

std::string EpisodeSpec::describe() const {
  std::string d = fmt::format("{} on {}: {} | {}", family, device, join(models, ","), pattern);
  if (!mix.empty()) d += " | mix " + mix;
  if (!shift_to.empty()) d += " -> " + shift_to;
  return d;
}

// ---- EnvCache -------------------------------------------------------------------------

EnvCache::EnvCache(std::string models_dir) : dir_(std::move(models_dir)) {}

Result<const EnvCache::LoadedModel*> EnvCache::model(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = models_.find(name); it != models_.end()) return &it->second;
  TOP_ASSIGN_OR_RETURN(Model m, Model::load(dir_ + "/" + name + ".onnx"));
  LoadedModel lm{m, {}};
  for (const TensorInfo& in : m.inputs()) {
    Shape s = in.shape;
    for (auto& d : s)
      if (d < 0) d = 1;  // batch 1; other symbolic dims 1, as toprt's random inputs
    lm.input_shapes.push_back(s);
  }
  return &models_.emplace(name, std::move(lm)).first->second;
}

namespace {

Result<std::shared_ptr<backend::SimBackend>> make_device(const std::string& device, int threads) {
  backend::BackendOptions o;
  o.num_threads = threads;
  if (device == "cpu") o.profile = std::string(TOP_SOURCE_DIR) + "/profiles/cpu-amd-epyc-2c.json";
  else o.device = device;
  TOP_ASSIGN_OR_RETURN(auto sim, backend::SimBackend::create(o));
  return std::shared_ptr<backend::SimBackend>(std::move(sim));
}

}  // namespace

Result<std::shared_ptr<const profile::CostModel>> EnvCache::cost_model(const std::string& device) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = device + "/1";
  auto it = devices_.find(key);
  if (it == devices_.end()) {
    TOP_ASSIGN_OR_RETURN(auto sim, make_device(device, 1));
    it = devices_.emplace(key, std::move(sim)).first;
  }
  const std::shared_ptr<backend::SimBackend>& sim = it->second;
  return std::shared_ptr<const profile::CostModel>(sim, &sim->cost_model());
}

Result<double> EnvCache::single_task_ms(const std::string& name, const std::string& device, int threads) {
  TOP_ASSIGN_OR_RETURN(const LoadedModel* m, model(name));
  const std::string key = name + "@" + device + "/" + std::to_string(threads);
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = single_ms_.find(key); it != single_ms_.end()) return it->second;
  const std::string dkey = device + "/" + std::to_string(threads);
  auto it = devices_.find(dkey);
  if (it == devices_.end()) {
    TOP_ASSIGN_OR_RETURN(auto sim, make_device(device, threads));
    it = devices_.emplace(dkey, std::move(sim)).first;
  }
  TOP_ASSIGN_OR_RETURN(auto plan, exec::make_plan(m->model.graph(), m->input_shapes));
  const double ms = it->second->plan_ms(*plan);
  single_ms_[key] = ms;
  return ms;
}

// ---- one episode ------------------------------------------------------------------------

Result<PreparedEpisode> prepare_episode(const EpisodeSpec& spec, EnvCache& cache) {
  if (spec.models.empty()) return InvalidArgument("episode names no model");
  if (spec.streams < 1 || spec.threads_per_stream < 1)
    return InvalidArgument("episode: streams and threads_per_stream must be >= 1");
  if (!(spec.slo_factor > 0) || !(spec.duration_s > 0))
    return InvalidArgument("episode: slo_factor and duration_s must be > 0");
  PreparedEpisode p;
  TOP_ASSIGN_OR_RETURN(p.cost_model, cache.cost_model(spec.device));
  for (const std::string& name : spec.models) {
    TOP_ASSIGN_OR_RETURN(const EnvCache::LoadedModel* m, cache.model(name));
    TOP_ASSIGN_OR_RETURN(double ms, cache.single_task_ms(name, spec.device, spec.threads_per_stream));
    p.single_task_ms.push_back(ms);
    p.models.push_back(sim::SimulatedModel{name, m->model, m->input_shapes, spec.slo_factor * ms});
  }
  TOP_ASSIGN_OR_RETURN(sim::ModelMix from, sim::parse_mix(spec.mix.empty() ? join(spec.models, ",") : spec.mix));
  for (const std::string& n : from.names)
    if (index_of(spec.models, n) < 0) return InvalidArgument("episode mix names '" + n + "', not one of its models");
  sim::ModelMix to = from;
  if (!spec.shift_to.empty()) {
    TOP_ASSIGN_OR_RETURN(to, sim::parse_mix(spec.shift_to));
    for (const std::string& n : to.names)
      if (index_of(from.names, n) < 0)
        return InvalidArgument("episode shift_to names '" + n + "', not in its mix (give it share 0 there)");
  }
  // Capacity from the time-averaged shares (for a fixed mix, its shares).
  const std::vector<double> a = shares_by_name(from, from.names), b = shares_by_name(to, from.names);
  double mean_ms = 0;
  for (size_t i = 0; i < from.names.size(); ++i)
    mean_ms += 0.5 * (a[i] + b[i]) * p.single_task_ms[static_cast<size_t>(index_of(spec.models, from.names[i]))];
  p.capacity_per_s = spec.streams * 1000.0 / std::max(mean_ms, 1e-6);

  TOP_ASSIGN_OR_RETURN(p.arrival_spec, sim::scale_arrival_rates(spec.pattern, p.capacity_per_s));
  TOP_ASSIGN_OR_RETURN(auto process, sim::parse_arrival(p.arrival_spec));
  if (process->expected_draws(spec.duration_s) > kMaxArrivals)
    return InvalidArgument(fmt::format("episode '{}' would draw about {:.3g} arrivals (at most {:g})", spec.describe(),
                                       process->expected_draws(spec.duration_s), kMaxArrivals));
  p.times_s = process->times(spec.duration_s, spec.seed);
  const std::vector<int> picks =
      spec.shift_to.empty() ? sim::assign_models(from, p.times_s.size(), spec.seed + 1)
                            : sim::assign_models_shifting(from, to, p.times_s, spec.duration_s, spec.seed + 1);
  for (int k : picks) p.which.push_back(index_of(spec.models, from.names[static_cast<size_t>(k)]));
  return p;
}

Result<EpisodeResult> run_episode(const EpisodeSpec& spec, const std::shared_ptr<LaunchPolicy>& launch,
                                  const std::shared_ptr<GraphPolicy>& graph, EnvCache& cache, bool one_task_at_a_time,
                                  double decision_cost_ms) {
  TOP_ASSIGN_OR_RETURN(PreparedEpisode p, prepare_episode(spec, cache));
  return run_prepared_episode(spec, p, launch, graph, one_task_at_a_time, decision_cost_ms);
}

Result<EpisodeResult> run_prepared_episode(const EpisodeSpec& spec, const PreparedEpisode& p,
                                           const std::shared_ptr<LaunchPolicy>& launch,
                                           const std::shared_ptr<GraphPolicy>& graph, bool one_task_at_a_time,
                                           double decision_cost_ms) {
  auto recorder = std::make_shared<RecordingLaunchPolicy>(launch ? launch : fifo_launch_policy(), spec.models,
                                                          spec.duration_s * 1000.0);
  sim::SimulatorConfig cfg;
  // fifo as toprt bench runs it: one task at a time with every thread (intra-op only).
  cfg.num_streams = one_task_at_a_time ? 1 : spec.streams;
  cfg.threads_per_stream = one_task_at_a_time ? spec.streams * spec.threads_per_stream : spec.threads_per_stream;
  cfg.launch_policy = recorder;
  cfg.graph_policy = graph;
  cfg.cost_model = p.cost_model;
  cfg.decision_cost_ms = decision_cost_ms;
  TOP_ASSIGN_OR_RETURN(sim::SimulationResult s, sim::simulate(cfg, p.models, p.times_s, p.which));

  EpisodeResult r;
  r.duration_s = spec.duration_s;
  r.capacity_per_s = p.capacity_per_s;
  r.arrived = p.times_s.size();
  r.completed = s.completed;
  r.failed = s.failed;
  r.rejected = s.rejected;
  r.within_slo = recorder->within_slo();
  r.goodput_per_s = static_cast<double>(r.within_slo) / spec.duration_s;
  r.throughput_per_s = static_cast<double>(r.completed) / spec.duration_s;
  const uint64_t missed = r.arrived - std::min(r.arrived, r.within_slo);
  r.slo_miss_rate = r.arrived ? static_cast<double>(missed) / static_cast<double>(r.arrived) : 0;
  r.misses_per_s = static_cast<double>(missed) / spec.duration_s;
  r.p50_ms = percentile(s.latencies_ms, 0.50);
  r.p99_ms = percentile(s.latencies_ms, 0.99);
  r.final_queue_lengths = recorder->final_queues();
  for (size_t q : r.final_queue_lengths) r.backlog_at_end += q;
  r.max_backlog = recorder->max_backlog();
  r.launch_rounds = s.launch_rounds;
  return r;
}

Result<EpisodeResult> run_episode(const EpisodeSpec& spec, const runtime::PolicySpec& policy, EnvCache& cache) {
  return run_episode(spec, policy.launch, policy.graph, cache, policy.one_task_at_a_time);
}

double episode_reward(const EpisodeResult& r) {
  if (!(r.duration_s > 0)) return 0;
  const double backlog_growth_per_s = static_cast<double>(r.backlog_at_end) / r.duration_s;
  return r.goodput_per_s - kBacklogPenalty * backlog_growth_per_s - kMissPenalty * r.misses_per_s;
}

// ---- drawing episodes ----------------------------------------------------------------------

namespace {

double between(SeededRng& rng, double lo, double hi) { return lo + (hi - lo) * rng.uniform(); }

std::string share_mix(const std::vector<std::string>& models, const std::vector<double>& shares) {
  std::string out;
  for (size_t i = 0; i < models.size(); ++i) out += fmt::format("{}{}:{:.3f}", i ? "," : "", models[i], shares[i]);
  return out;
}

// `n` distinct names from `pool`.
std::vector<std::string> pick_models(SeededRng& rng, std::vector<std::string> pool, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n && !pool.empty(); ++i) {
    const int k = rng.below(static_cast<int>(pool.size()));
    out.push_back(pool[static_cast<size_t>(k)]);
    pool.erase(pool.begin() + k);
  }
  return out;
}

const std::vector<std::string>& families() {
  static const std::vector<std::string> f = {"poisson", "bursty", "ramp", "diurnal", "flash", "shift"};
  return f;
}

}  // namespace

// Training ranges (rates in units of capacity, times as fractions of the duration D):
//   poisson  rate U(0.3, 1.3)                                  (the only stationary family)
//   bursty   mean L U(0.5, 1.0), swing s U(0.3, 0.8): on_rate L(1+s), off_rate L(1-s),
//            on_s = off_s = D x U(0.05, 0.15)                  (symmetric on/off)
//   ramp     U(0.2, 0.5) <-> U(0.9, 1.4), up or down
//   diurnal  mean U(0.5, 0.9), amplitude U(0.3, 0.8), period D x U(0.3, 1)
//   flash    base U(0.3, 0.6), peak U(1.5, 2.5), at D x U(0.2, 0.6), width D x U(0.05, 0.12)
//   shift    poisson U(0.5, 0.9), the mix moving between two random mixes
// Mixes: each share U(0.5, 2) (at most 4:1), or (one in three) one dominant model at
// U(4, 8) x the others' share.
EpisodeSpec draw_episode(SeededRng& rng, const EpisodeOptions& o) {
  EpisodeSpec e;
  e.family = families()[static_cast<size_t>(rng.below(static_cast<int>(families().size())))];
  e.device = o.devices.empty() ? "cpu" : o.devices[static_cast<size_t>(rng.below(static_cast<int>(o.devices.size())))];
  // 1-4 models: alone on a device (one in four), a model must use every stream; the
  // checkpoint trained on 2-4 kept one instance in flight and left a stream idle.
  e.models = pick_models(rng, o.train_models, 1 + rng.below(4));
  e.streams = o.streams;
  e.slo_factor = o.slo_factor;
  e.duration_s = o.duration_s;
  e.seed = kTrainSeedBase + static_cast<uint64_t>(rng.below(1'000'000'000));
  const double d = o.duration_s;
  auto random_mix = [&] {
    std::vector<double> s;
    for (size_t i = 0; i < e.models.size(); ++i) s.push_back(between(rng, 0.5, 2.0));
    // One mix in three has a dominant model (4-8x each other's share): with shares of at
    // most 4:1 only, the first checkpoint throttled a backlogged dominant model (k 1,
    // one instance) on held-out 6:1 mixes.
    if (rng.below(3) == 0) {
      std::fill(s.begin(), s.end(), 1.0);
      s[static_cast<size_t>(rng.below(static_cast<int>(s.size())))] = between(rng, 4.0, 8.0);
    }
    return share_mix(e.models, s);
  };
  e.mix = random_mix();
  if (e.family == "poisson") {
    e.stationary = true;
    e.pattern = fmt::format("poisson:rate={:.3f}", between(rng, 0.3, 1.3));
  } else if (e.family == "bursty") {
    if (rng.below(2) == 0) {  // symmetric, around a sustainable mean
      const double l = between(rng, 0.5, 1.0), s = between(rng, 0.3, 0.8), len = d * between(rng, 0.05, 0.15);
      e.pattern = fmt::format("bursty:on_rate={:.3f},off_rate={:.3f},on_s={:.3f},off_s={:.3f}", l * (1 + s),
                              l * (1 - s), len, len);
    } else {  // short overload bursts, longer quiet gaps (off 1.5-3.5x on; held out: 5.7x)
      const double on = d * between(rng, 0.03, 0.08);
      e.pattern = fmt::format("bursty:on_rate={:.3f},off_rate={:.3f},on_s={:.3f},off_s={:.3f}", between(rng, 1.5, 3.0),
                              between(rng, 0.1, 0.5), on, on * between(rng, 1.5, 3.5));
    }
  } else if (e.family == "ramp") {
    const double lo = between(rng, 0.2, 0.5), hi = between(rng, 0.9, 1.4);
    const bool up = rng.below(2) == 0;
    e.pattern = fmt::format("ramp:from={:.3f},to={:.3f}", up ? lo : hi, up ? hi : lo);
  } else if (e.family == "diurnal") {
    e.pattern = fmt::format("diurnal:mean={:.3f},amplitude={:.3f},period_s={:.3f}", between(rng, 0.5, 0.9),
                            between(rng, 0.3, 0.8), d * between(rng, 0.3, 1.0));
  } else if (e.family == "flash") {
    e.pattern = fmt::format("flash:base={:.3f},peak={:.3f},at_s={:.3f},width_s={:.3f}", between(rng, 0.3, 0.6),
                            between(rng, 1.5, 2.5), d * between(rng, 0.2, 0.6), d * between(rng, 0.05, 0.12));
  } else {  // shift
    e.pattern = fmt::format("poisson:rate={:.3f}", between(rng, 0.5, 0.9));
    e.shift_to = random_mix();
  }
  return e;
}

// Held out, beyond the training ranges: every episode has a held-out model (heavy, 6:1,
// in even episodes; light, last, in odd ones); seeds from kHeldOutSeedBase;
//   poisson  rate 0.6 or 1.1 (alternating by cycle)
//   bursty   asymmetric: on_rate 2.5 for D x 0.03, off_rate 0.3 for D x 0.17
//   ramp     1.6 -> 0.2 (down from overload, steeper than training)
//   diurnal  mean 0.8, amplitude 0.95, period D / 5 (faster)
//   flash    base 0.4, peak 2.5 at D / 2 for D x 0.15 (higher, longer)
//   shift    poisson 0.8, the mix from 9:1 to 1:9 between the first two models
std::vector<EpisodeSpec> held_out_episodes(const EpisodeOptions& o, int n, const std::string& device) {
  std::vector<EpisodeSpec> out;
  const double d = o.duration_s;
  for (int i = 0; i < n; ++i) {
    SeededRng rng(derive_seed(kHeldOutSeedBase, static_cast<uint64_t>(i)));  // nearby raw seeds draw alike
    EpisodeSpec e;
    e.family = families()[static_cast<size_t>(i) % families().size()];
    e.device = device;
    e.streams = o.streams;
    e.slo_factor = o.slo_factor;
    e.duration_s = d;
    e.seed = kHeldOutSeedBase + 1000 * static_cast<uint64_t>(i);
    const int count = 2 + i % 3;
    std::vector<std::string> held = pick_models(rng, o.held_out_models, 1);
    std::vector<std::string> rest = pick_models(rng, o.train_models, count - static_cast<int>(held.size()));
    if (i % 2 == 0) {
      e.models = held;
      e.models.insert(e.models.end(), rest.begin(), rest.end());
    } else {
      e.models = rest;
      e.models.insert(e.models.end(), held.begin(), held.end());
    }
    std::vector<double> shares(e.models.size(), 1.0);
    shares[0] = 6;
    e.mix = share_mix(e.models, shares);
    const size_t cycle = static_cast<size_t>(i) / families().size();
    if (e.family == "poisson") {
      e.stationary = true;
      e.pattern = cycle % 2 == 0 ? "poisson:rate=0.6" : "poisson:rate=1.1";
    } else if (e.family == "bursty") {
      e.pattern = fmt::format("bursty:on_rate=2.5,off_rate=0.3,on_s={:.3f},off_s={:.3f}", d * 0.03, d * 0.17);
    } else if (e.family == "ramp") {
      e.pattern = "ramp:from=1.6,to=0.2";
    } else if (e.family == "diurnal") {
      e.pattern = fmt::format("diurnal:mean=0.8,amplitude=0.95,period_s={:.3f}", d / 5);
    } else if (e.family == "flash") {
      e.pattern = fmt::format("flash:base=0.4,peak=2.5,at_s={:.3f},width_s={:.3f}", d / 2, d * 0.15);
    } else {
      std::vector<double> from(e.models.size(), 0.0), to(e.models.size(), 0.0);
      from[0] = to[1] = 9;
      from[1] = to[0] = 1;
      e.pattern = "poisson:rate=0.8";
      e.mix = share_mix(e.models, from);
      e.shift_to = share_mix(e.models, to);
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace top::rl::env

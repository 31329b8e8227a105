// `toprt bench`: replays an arrival process of inference tasks over a mix of models
// against each launch policy, in real time, and reports throughput, latency
// percentiles and backlog per policy (plus metrics JSON, Prometheus text and a
// Chrome trace on request). `--sweep-k` instead measures one model's saturated
// throughput for k tasks per dequeue, merged or batched: the self-acceleration curve.
// `--backend sim` runs the same arrivals, policies and table on the simulator
// (src/sim/simulator.h) in virtual time, with a device profile or a named device.
// With SLOs (--slo-factor, --slo NAME=MS) the models get ModelOptions::slo_ms and the
// table adds goodput: tasks finished within their SLO per second of arrivals.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "backend/sim/sim_backend.h"
#include "commands.h"
#include "inputs.h"
#include "runtime/policy_spec.h"
#include "sim/arrival.h"
#include "sim/simulator.h"
#include "top/model.h"
#include "top/runtime.h"
#include "top/session.h"

namespace toprt {

namespace {

using top::runtime::parse_policies;
using top::runtime::parse_policy;
using top::runtime::PolicySpec;
using Clock = std::chrono::steady_clock;

constexpr double kMaxArrivals = 1e7;

struct BenchArgs {
  std::vector<std::string> models;
  std::string mix;
  std::string arrival = "auto-bursty";
  double load = 1.5;
  double duration_s = 10;
  bool duration_given = false;  // else a trace is replayed whole
  bool policies_given = false;  // --sweep-k: also run these policies on the saturated burst
  std::string policies = "fifo;fixed:k=2,instances=2;dynbatch:batch=4,delay=2,instances=2";
  int threads = 2;
  int64_t batch = 1;
  uint64_t seed = 1;
  size_t queue_capacity = 4096;
  std::string metrics_out, trace_out, write_arrivals;
  std::vector<int> sweep_k;
  std::string backend = "cpu";  // cpu: the threaded runtime in real time; sim: the simulator
  std::string profile, device;  // sim: device profile JSON, or a device name
  double slo_factor = 0;           // each model's SLO = this x its single-task ms (0: none)
  std::vector<std::string> slo;    // NAME=MS, overriding slo_factor
};

struct LoadedModel {
  std::string name;
  top::Model model;
  std::vector<std::vector<top::Tensor>> input_pool;
  double single_ms = 0;  // one task alone, all threads (sim: predicted)
  double slo_ms = 0;     // latency objective (0: none)
};

struct PolicyResult {
  std::string label;
  top::RuntimeStats stats;
  double makespan_s = 0;
  uint64_t completed = 0, failed = 0, rejected = 0;
  double p50 = 0, p95 = 0, p99 = 0, max_latency = 0;
  size_t max_queue = 0;
  size_t backlog_at_end = 0;  // waiting when the last arrival came in
  uint64_t simulated_operators = 0;  // sim only
  uint64_t within_slo = 0;           // finished within their model's SLO (models without one count)
};

// Forwards to the policy and counts the tasks that finished within their SLO: the
// launcher core's feedback, the same from the runtime and the simulator.
class SloCounting : public top::LaunchPolicy {
 public:
  explicit SloCounting(std::shared_ptr<top::LaunchPolicy> inner) : inner_(std::move(inner)) {}
  std::string name() const override { return inner_->name(); }
  top::LaunchDecision decide(const top::LaunchObservation& obs) override { return inner_->decide(obs); }
  void on_feedback(const top::PolicyFeedback& f) override {
    if (f.kind == top::PolicyFeedback::Kind::kTaskFinished && f.within_slo) within_.fetch_add(1);
    inner_->on_feedback(f);
  }
  uint64_t within() const { return within_.load(); }

 private:
  std::shared_ptr<top::LaunchPolicy> inner_;
  std::atomic<uint64_t> within_{0};
};

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) ;
  return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

using SimBackendPtr = std::shared_ptr<top::backend::SimBackend>;

// One task alone with every thread: the FIFO service time, used for auto rates.
top::Result<double> single_task_ms(const LoadedModel& lm, const BenchArgs& args, const SimBackendPtr& sim) {
  if (sim) {
    std::vector<top::Shape> shapes;
    for (const top::Tensor& t : lm.input_pool[0]) shapes.push_back(t.shape());
    TOP_ASSIGN_OR_RETURN(auto plan, top::exec::make_plan(lm.model.graph(), shapes));
    return sim->plan_ms(*plan);
  }
  top::SessionOptions so;
  so.num_threads = args.threads;
  TOP_ASSIGN_OR_RETURN(auto session, top::Session::create(lm.model, so));
  std::vector<double> ms;
  for (int i = 0; i < 5; ++i) {
    auto t0 = Clock::now();
    auto r = session->run(lm.input_pool[0]);
    if (!r.ok()) return r.status().with_context("model '" + lm.name + "'");
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[2];
}

top::Result<std::vector<LoadedModel>> load_models(const BenchArgs& args, const SimBackendPtr& sim) {
  std::vector<LoadedModel> out;
  for (const std::string& m : args.models) {
    std::string name, path = m;
    size_t eq = m.find('=');
    if (eq != std::string::npos) {
      name = m.substr(0, eq);
      path = m.substr(eq + 1);
    } else {
      name = std::filesystem::path(m).stem().string();
    }
    auto model = top::Model::load(path);
    if (!model.ok()) return model.status();
    LoadedModel lm{name, *model, {}, 0};
    InputSpec spec;
    spec.batch = args.batch;
    for (int i = 0; i < 4; ++i) {
      spec.seed = args.seed * 131 + static_cast<uint64_t>(i);
      TOP_ASSIGN_OR_RETURN(auto inputs, make_inputs(*model, spec));
      lm.input_pool.push_back(std::move(inputs));
    }
    TOP_ASSIGN_OR_RETURN(lm.single_ms, single_task_ms(lm, args, sim));
    lm.slo_ms = args.slo_factor * lm.single_ms;
    out.push_back(std::move(lm));
  }
  if (out.empty()) return top::InvalidArgument("no --model given");
  for (const std::string& s : args.slo) {
    const size_t eq = s.find('=');
    auto it = std::find_if(out.begin(), out.end(), [&](const LoadedModel& m) { return m.name == s.substr(0, eq); });
    char* end = nullptr;
    const double ms = eq == std::string::npos ? 0 : std::strtod(s.c_str() + eq + 1, &end);
    if (it == out.end() || !(ms > 0) || !std::isfinite(ms) || *end != '\0')
      return top::InvalidArgument("--slo '" + s + "': want NAME=MS with a loaded model's name and MS > 0");
    it->slo_ms = ms;
  }
  return out;
}

// "auto-poisson" / "auto-bursty": rates scaled so the mean arrival rate is `load` times
// what one-at-a-time FIFO can serve (from the measured single-task latencies).
top::Result<std::string> resolve_arrival(const BenchArgs& args, const std::vector<LoadedModel>& models,
                                         const top::sim::ModelMix& mix) {
  if (args.arrival.rfind("auto-", 0) != 0) return args.arrival;
  double mean_ms = 0;
  for (size_t i = 0; i < models.size(); ++i) mean_ms += mix.shares[i] * models[i].single_ms;
  double capacity = 1000.0 / std::max(mean_ms, 1e-3);
  double rate = args.load * capacity;
  // Each arrival holds a time and a model index; tens of millions are a mistake.
  if (rate * args.duration_s > kMaxArrivals)
    return top::InvalidArgument(fmt::format("--duration {} at {:.0f} tasks/s would replay {:.3g} tasks (at most {:g})",
                                            args.duration_s, rate, rate * args.duration_s, kMaxArrivals));
  if (args.arrival == "auto-poisson") return fmt::format("poisson:rate={:.3f}", rate);
  if (args.arrival == "auto-bursty")  // 1 s bursts at 1.75x the mean rate, 1 s lulls at 0.25x
    return fmt::format("bursty:on_rate={:.3f},off_rate={:.3f},on_s=1,off_s=1", 1.75 * rate, 0.25 * rate);
  return top::InvalidArgument("unknown arrival '" + args.arrival + "' (auto-poisson, auto-bursty or a spec)");
}

// The runtime shape of a policy: fifo runs one stream with every thread (intra-op
// parallelism only), the others one-thread streams.
top::RuntimeConfig runtime_config(const PolicySpec& p, const BenchArgs& args) {
  top::RuntimeConfig cfg;
  cfg.num_streams = p.one_task_at_a_time ? 1 : args.threads;
  cfg.threads_per_stream = p.one_task_at_a_time ? args.threads : 1;
  cfg.queue_capacity = args.queue_capacity;
  cfg.launch_policy = p.launch;
  cfg.graph_policy = p.graph;
  cfg.record_trace = !args.trace_out.empty();
  if (args.backend == "cuda") {
    cfg.backend = "cuda";  // streams are CUDA streams; --profile prices the schedules
    cfg.num_streams = p.one_task_at_a_time ? 1 : std::max(2, args.threads);
    cfg.profile = args.profile;
  }
  return cfg;
}

std::string file_stem(const std::string& label) {
  std::string stem = label;
  for (char& c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return stem;
}

// Creates `dir` (and its parents) if needed; the error names the option.
top::Status make_directory(const std::string& dir, const std::string& option) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return top::InvalidArgument(option + ": cannot create '" + dir + "': " + ec.message());
  return top::Status::Ok();
}

// The table's figures of one run (real or simulated), and its metrics files.
top::Result<PolicyResult> summarize(PolicyResult r, const std::vector<double>& latencies, const BenchArgs& args) {
  r.p50 = percentile(latencies, 0.50);
  r.p95 = percentile(latencies, 0.95);
  r.p99 = percentile(latencies, 0.99);
  r.max_latency = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  for (const auto& ms : r.stats.models) r.max_queue = std::max(r.max_queue, ms.max_queue_length);
  if (!args.metrics_out.empty()) {
    TOP_RETURN_IF_ERROR(make_directory(args.metrics_out, "--metrics-out"));
    const std::string stem = args.metrics_out + "/" + file_stem(r.label);
    std::ofstream json(stem + ".json"), prom(stem + ".prom");
    json << top::to_json(r.stats);
    prom << top::to_prometheus(r.stats);
    if (!json || !prom) return top::NotFound("--metrics-out: cannot write '" + stem + ".json' / '.prom'");
  }
  return r;
}

// The same arrivals and policy on the simulator, in virtual time.
top::Result<PolicyResult> run_policy_sim(const PolicySpec& p, const std::vector<LoadedModel>& models,
                                         const std::vector<double>& times, const std::vector<int>& which,
                                         const BenchArgs& args, const SimBackendPtr& sim) {
  const top::RuntimeConfig rc = runtime_config(p, args);
  top::sim::SimulatorConfig cfg;
  cfg.num_streams = rc.num_streams;
  cfg.threads_per_stream = rc.threads_per_stream;
  cfg.queue_capacity = rc.queue_capacity;
  cfg.max_in_flight_instances = rc.max_in_flight_instances;
  auto counting = std::make_shared<SloCounting>(rc.launch_policy);
  cfg.launch_policy = counting;
  cfg.graph_policy = rc.graph_policy;
  cfg.cost_model = std::shared_ptr<const top::profile::CostModel>(sim, &sim->cost_model());
  std::vector<top::sim::SimulatedModel> sm;
  for (const auto& m : models) {
    top::sim::SimulatedModel x{m.name, m.model, {}, m.slo_ms};
    for (const top::Tensor& t : m.input_pool[0]) x.input_shapes.push_back(t.shape());
    sm.push_back(std::move(x));
  }
  TOP_ASSIGN_OR_RETURN(top::sim::SimulationResult s, top::sim::simulate(cfg, sm, times, which));
  PolicyResult r;
  r.label = p.label;
  r.stats = std::move(s.stats);
  r.completed = s.completed;
  r.failed = s.failed;
  r.rejected = s.rejected;
  r.makespan_s = s.last_completion_s - s.first_arrival_s;
  r.backlog_at_end = s.backlog_at_last_arrival;
  r.simulated_operators = s.operator_events;
  r.within_slo = counting->within();
  return summarize(std::move(r), s.latencies_ms, args);
}

top::Result<PolicyResult> run_policy(const PolicySpec& p, const std::vector<LoadedModel>& models,
                                     const std::vector<double>& times, const std::vector<int>& which,
                                     const BenchArgs& args, const SimBackendPtr& sim) {
  if (sim) return run_policy_sim(p, models, times, which, args, sim);
  top::RuntimeConfig rc = runtime_config(p, args);
  auto counting = std::make_shared<SloCounting>(rc.launch_policy);
  rc.launch_policy = counting;
  TOP_ASSIGN_OR_RETURN(auto rt, top::Runtime::create(rc));
  for (const auto& m : models) {
    top::ModelOptions mo;
    mo.slo_ms = m.slo_ms;
    TOP_RETURN_IF_ERROR(rt->load_model(m.name, m.model, mo));
  }

  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<uint64_t> ok{0}, failed{0}, rejected{0};
  Clock::time_point last_done = Clock::now();
  const Clock::time_point start = Clock::now();
  size_t backlog = 0;
  for (size_t i = 0; i < times.size(); ++i) {
    std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(times[i] * 1e6)));
    const LoadedModel& m = models[which[i]];
    top::Status s = rt->submit(m.name, m.input_pool[i % m.input_pool.size()], [&](top::TaskResult r) {
      std::lock_guard<std::mutex> lock(mu);
      if (r.status.ok()) {
        ok++;
        latencies.push_back(r.latency_ms);
      } else if (r.status.code() != top::StatusCode::kResourceExhausted) {
        failed++;
      }
      last_done = std::max(last_done, Clock::now());
    });
    if (s.code() == top::StatusCode::kResourceExhausted) rejected++;
  }
  for (const auto& ms : rt->stats().models) backlog += ms.queue_length;
  rt->shutdown(top::ShutdownMode::kDrain);

  PolicyResult r;
  r.label = p.label;
  r.stats = rt->stats();
  r.completed = ok.load();
  r.failed = failed.load();
  r.rejected = rejected.load();
  r.makespan_s = std::chrono::duration<double>(last_done - start).count() - (times.empty() ? 0 : times.front());
  r.backlog_at_end = backlog;
  r.within_slo = counting->within();
  if (!args.trace_out.empty()) {
    TOP_RETURN_IF_ERROR(make_directory(args.trace_out, "--trace-out"));
    TOP_RETURN_IF_ERROR(rt->write_trace(args.trace_out + "/" + file_stem(p.label) + ".trace.json"));
  }
  return summarize(std::move(r), latencies, args);
}

void print_results(const std::vector<PolicyResult>& results, const BenchArgs& args, bool with_slo) {
  fmt::print("\n{:<44} {:>9} {:>10} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8}\n", "policy", "done", "tasks/s", "p50 ms",
             "p95 ms", "p99 ms", "max ms", "maxQ", "backlog");
  double base = results.empty() || results[0].makespan_s <= 0 ? 0 : results[0].completed / results[0].makespan_s;
  for (const auto& r : results) {
    double tput = r.makespan_s > 0 ? r.completed / r.makespan_s : 0;
    fmt::print("{:<44} {:>9} {:>10.1f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>8} {:>8}", r.label, r.completed, tput,
               r.p50, r.p95, r.p99, r.max_latency, r.max_queue, r.backlog_at_end);
    if (base > 0) fmt::print("   x{:.2f}", tput / base);
    if (with_slo) fmt::print("  good/s {:.1f}", static_cast<double>(r.within_slo) / args.duration_s);
    if (r.failed || r.rejected) fmt::print("  ({} failed, {} rejected)", r.failed, r.rejected);
    fmt::print("\n");
  }
  if (with_slo) fmt::print("(good/s = tasks finished within their model's SLO / --duration)\n");
  fmt::print("(tasks/s = completed / (last completion - first arrival); x = throughput relative to the first policy;\n"
             " backlog = tasks still queued when the last task arrived)\n");
}

void run_sweep(const BenchArgs& args, const std::vector<LoadedModel>& models, const SimBackendPtr& sim) {
  const LoadedModel& m = models[0];
  int n = std::max(16, static_cast<int>(2000.0 / std::max(m.single_ms, 0.05)));
  n = std::min(n, 2000);
  fmt::print("sweep      {}: {} tasks at once, {} threads; throughput in tasks/s\n", m.name, n, args.threads);
  fmt::print("{:>4} {:>14} {:>14}\n", "k", "merge-greedy", "batch");
  std::vector<double> times(static_cast<size_t>(n), 0.0);
  std::vector<int> which(static_cast<size_t>(n), 0);
  for (int k : args.sweep_k) {
    std::vector<double> row;
    for (const char* graph : {"merge-greedy", "batch-greedy"}) {
      auto p = parse_policy(fmt::format("fixed:k={},instances=2,graph={}", k, graph));
      if (!p.ok()) return fail(p.status());
      auto r = run_policy(*p, {m}, times, which, args, sim);
      if (!r.ok()) return fail(r.status());
      row.push_back(r->makespan_s > 0 ? r->completed / r->makespan_s : 0);
    }
    fmt::print("{:>4} {:>14.1f} {:>14.1f}\n", k, row[0], row[1]);
  }
  if (!args.policies_given) return;
  // The same burst under whole policies (a learned one picks k and the graph itself).
  auto policies = parse_policies(args.policies);
  if (!policies.ok()) return fail(policies.status());
  for (const auto& p : *policies) {
    auto r = run_policy(p, {m}, times, which, args, sim);
    if (!r.ok()) return fail(r.status());
    fmt::print("policy     {} {:.1f}\n", p.label, r->makespan_s > 0 ? r->completed / r->makespan_s : 0);
  }
}

// --backend sim: the simulated device; null for the real runtime (cpu or cuda).
top::Result<SimBackendPtr> make_sim(const BenchArgs& args) {
  if (args.backend == "cpu" || args.backend == "cuda") {
    if ((args.backend == "cpu" && !args.profile.empty()) || !args.device.empty())
      return top::InvalidArgument("--device needs --backend sim, --profile needs sim or cuda");
    return SimBackendPtr();
  }
  if (args.backend != "sim") return top::InvalidArgument("unknown --backend '" + args.backend + "' (cpu, cuda, sim)");
  if (!args.trace_out.empty()) return top::InvalidArgument("--trace-out needs --backend cpu (the simulator records no trace)");
  top::backend::BackendOptions o;
  o.num_threads = args.threads;
  o.profile = args.profile;
  o.device = args.device;
  TOP_ASSIGN_OR_RETURN(auto sim, top::backend::SimBackend::create(o));
  return SimBackendPtr(std::move(sim));
}

void run_bench(BenchArgs args) {  // a copy: a trace sets its own duration
  auto policies = parse_policies(args.policies);  // before the slow part: a typo fails at once
  if (!policies.ok()) return fail(policies.status());
  auto sim = make_sim(args);
  if (!sim.ok()) return fail(sim.status());
  auto models = load_models(args, *sim);
  if (!models.ok()) return fail(models.status());
  if (*sim) {
    const auto& dev = (*sim)->cost_model().device();
    fmt::print("backend    sim: {} ({}){}, virtual time\n", dev.name, dev.description,
               args.profile.empty() ? "" : ", profile " + args.profile);
  }
  for (const auto& m : *models)
    fmt::print("model      {:<24} single task {:8.3f} ms ({} threads){}{}\n", m.name, m.single_ms, args.threads,
               *sim ? " predicted" : "", m.slo_ms > 0 ? fmt::format(", SLO {:.3f} ms", m.slo_ms) : "");
  if (!args.sweep_k.empty()) return run_sweep(args, *models, *sim);

  std::string mix_spec = args.mix;
  if (mix_spec.empty())
    for (const auto& m : *models) mix_spec += (mix_spec.empty() ? "" : ",") + m.name;
  auto mix = top::sim::parse_mix(mix_spec);
  if (!mix.ok()) return fail(mix.status());
  std::vector<int> mix_to_model;
  for (const auto& n : mix->names) {
    auto it = std::find_if(models->begin(), models->end(), [&](const LoadedModel& m) { return m.name == n; });
    if (it == models->end()) return fail(top::InvalidArgument("--mix names model '" + n + "' that no --model loads"));
    mix_to_model.push_back(static_cast<int>(it - models->begin()));
  }
  // Shares in model order for the auto rate.
  top::sim::ModelMix shares = *mix;
  std::vector<LoadedModel> ordered;
  for (int idx : mix_to_model) ordered.push_back((*models)[idx]);
  auto spec = resolve_arrival(args, ordered, shares);
  if (!spec.ok()) return fail(spec.status());
  auto process = top::sim::parse_arrival(*spec);
  if (!process.ok()) return fail(process.status());
  if (!args.duration_given && spec->rfind("trace:", 0) == 0) {
    // A trace is replayed to its end unless --duration says otherwise.
    const std::vector<double> all = (*process)->times(36000.0, args.seed);
    if (!all.empty()) args.duration_s = std::max(0.1, all.back() + 1e-3);
  }
  const double draws = (*process)->expected_draws(args.duration_s);
  if (draws > kMaxArrivals)
    return fail(top::InvalidArgument(fmt::format("--arrival {} over --duration {} would draw about {:.3g} tasks (at most {:g})",
                                                 *spec, args.duration_s, draws, kMaxArrivals)));
  std::vector<double> times = (*process)->times(args.duration_s, args.seed);
  std::vector<int> picks = top::sim::assign_models(*mix, times.size(), args.seed + 1);
  std::vector<int> which;
  for (int p : picks) which.push_back(mix_to_model[p]);
  fmt::print("arrivals   {} -> {} tasks over {:.1f} s (mix {})\n", (*process)->describe(), times.size(), args.duration_s,
             mix_spec);
  if (!args.write_arrivals.empty()) {
    std::ofstream f(args.write_arrivals);
    f << "# time_s model batch\n";
    for (size_t i = 0; i < times.size(); ++i)
      f << fmt::format("{:.6f} {} {}\n", times[i], (*models)[which[i]].name, args.batch);
    if (!f) return fail(top::NotFound("--write-arrivals: cannot write '" + args.write_arrivals + "'"));
    fmt::print("wrote      arrivals to {}\n", args.write_arrivals);
  }
  std::vector<PolicyResult> results;
  for (const auto& p : *policies) {
    fmt::print("running    {} ({}/{}, {:.1f} s of arrivals) ...\n", p.label, results.size() + 1, policies->size(),
               args.duration_s);
    std::fflush(stdout);
    auto wall0 = Clock::now();
    auto r = run_policy(p, *models, times, which, args, *sim);
    if (!r.ok()) return fail(r.status().with_context("policy '" + p.label + "'"));
    results.push_back(std::move(r).value());
    if (*sim)
      fmt::print("           simulated {:.1f} s of arrivals ({} operators) in {:.2f} s\n", args.duration_s,
                 results.back().simulated_operators, std::chrono::duration<double>(Clock::now() - wall0).count());
  }
  bool with_slo = false;
  for (const auto& m : *models) with_slo = with_slo || m.slo_ms > 0;
  print_results(results, args, with_slo);
  // Per model latencies of each policy.
  for (const auto& r : results)
    for (const auto& ms : r.stats.models)
      fmt::print("  {:<42} {:<20} done {:>6}  p50 {:8.2f}  p99 {:8.2f} ms  max queue {}\n", r.label, ms.model,
                 ms.completed, ms.latency_p50_ms, ms.latency_p99_ms, ms.max_queue_length);
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Replay arrivals of inference tasks against launch policies");
  cmd->add_option("--model", args->models, "MODEL.onnx or NAME=MODEL.onnx (repeatable)")->required();
  cmd->add_option("--mix", args->mix, "model shares, e.g. 'resnet50:2,googlenet:1' (default: equal)");
  cmd->add_option("--arrival", args->arrival,
                  "auto-bursty | auto-poisson | poisson:rate=R | bursty:on_rate=..,off_rate=..,on_s=..,off_s=.. | "
                  "ramp:from=..,to=.. | diurnal:mean=..,amplitude=..,period_s=.. | "
                  "flash:base=..,peak=..,at_s=..,width_s=.. | trace:file=PATH");
  cmd->add_option("--load", args->load, "auto arrivals: mean rate as a multiple of FIFO capacity")->check(CLI::Range(0.01, 100.0));
  CLI::Option* duration = cmd->add_option("--duration", args->duration_s,
                                          "seconds of arrivals (trace:file=...: the whole trace unless given)")
                              ->check(CLI::Range(0.1, 36000.0));
  cmd->add_option("--policies", args->policies, "';'-separated: fifo | fixed:k=K,interval=MS,instances=N | "
                                                "dynbatch:batch=B,delay=MS,instances=N, each with optional graph=merge-greedy|batch-greedy|...");
  cmd->add_option("--threads", args->threads, "CPU threads in total (fifo: 1 stream x threads; others: threads streams)")
      ->check(CLI::Range(1, 256));
  cmd->add_option("--batch", args->batch, "batch size of each task")->check(CLI::Range(1, 4096));
  cmd->add_option("--seed", args->seed, "seed of arrivals and inputs");
  cmd->add_option("--queue-capacity", args->queue_capacity, "per-model queue bound")->check(CLI::Range(1, 1 << 24));
  cmd->add_option("--metrics-out", args->metrics_out, "write <policy>.json and <policy>.prom here");
  cmd->add_option("--trace-out", args->trace_out, "write <policy>.trace.json (Chrome/Perfetto) here");
  cmd->add_option("--write-arrivals", args->write_arrivals, "write the arrivals (time model batch) for peers");
  cmd->add_option("--sweep-k", args->sweep_k, "k values: saturated throughput of the first model, merge vs batch (and under --policies when given)")
      ->check(CLI::Range(1, kMaxTasksPerInstance));
  cmd->add_option("--backend", args->backend, "cpu (the runtime on CPU streams) | cuda (the runtime on CUDA streams) | sim (the simulator, virtual time)");
  cmd->add_option("--profile", args->profile, "sim: device profile JSON (measured op times, e.g. profiles/*.json)");
  cmd->add_option("--device", args->device, std::string("sim without --profile: device description: ") + kDeviceNames);
  cmd->add_option("--slo-factor", args->slo_factor, "each model's SLO = this x its single-task ms; reports good/s")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--slo", args->slo, "NAME=MS: one model's SLO (repeatable; overrides --slo-factor)");
  // A scalar option given twice keeps the last value, so wrappers (scripts/demo) can set
  // defaults that a user's own flags override.
  for (CLI::Option* opt : cmd->get_options())
    if (opt->get_expected_max() == 1) opt->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  cmd->callback([args, duration, cmd] {
    args->duration_given = duration->count() > 0;
    args->policies_given = cmd->get_option("--policies")->count() > 0;
    run_bench(*args);
  });
}

}  // namespace toprt

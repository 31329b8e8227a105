// Episodes of the learned launcher and scheduler: a model set from the zoo, a device, a
// per-model SLO and an arrival pattern, run in the simulator (src/sim/simulator.h) under
// one launch policy and one graph policy. The agents train on draw_episode() and are
// judged, against the static baselines (rl/env/static_grid.h), on held_out_episodes().
//
//   EnvCache cache(TOP_SOURCE_DIR "/build/models");  // *_small.onnx of the zoo
//   EpisodeSpec spec = held_out_episodes(EpisodeOptions{}, 8)[0];
//   auto policy = runtime::parse_policy("dynbatch:batch=4,delay=2,instances=2").value();
//   EpisodeResult r = run_episode(spec, policy, cache).value();
//   double rew = episode_reward(r);
//
// Load is written relative to the device. An EpisodeSpec's pattern gives its rates as
// fractions of the model set's capacity, capacity = streams x 1000 / (mean single-task
// ms over the mix) tasks/s, where a model's single-task ms is the cost model's prediction
// of its sequential schedule on one stream (threads_per_stream threads); the mix mean
// uses the time-averaged shares of a shifting mix. So "poisson:rate=0.8" offers 80% of
// what the device could serve one task per stream at a time, on the CPU profile and on
// an H100 alike (task-level parallelism and batching can serve more: a load > 1 is not
// necessarily overload). Durations (on_s, at_s, period_s, ...) are virtual seconds.
//
// Thread safety: EnvCache is thread-safe (loads under a lock, entries never move);
// run_episode is reentrant given policies that are not shared between threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/sim/sim_backend.h"
#include "rl/env/reward.h"
#include "rl/graphs/seeded_rng.h"
#include "runtime/policy_spec.h"
#include "sim/simulator.h"
#include "top/model.h"
#include "top/status.h"

namespace top::rl::env {

struct EpisodeSpec {
  std::vector<std::string> models;  // zoo file stems ("resnet50_small"), 1-4
  // "cpu": the measured profile profiles/cpu-amd-epyc-2c.json; else a device description
  // name (profile::device_by_name: "h100-sxm", "h200", "a100").
  std::string device = "cpu";
  int streams = 2;
  int threads_per_stream = 1;
  double slo_factor = 5;     // each model's SLO = slo_factor x its single-task ms
  std::string family;        // pattern family ("poisson", "bursty", ...): per-pattern baselines group by it
  bool stationary = false;   // the arrival rate and mix do not change over the episode
  std::string pattern;       // arrival spec with rates in units of capacity (see above)
  std::string mix;           // parse_mix spec over `models` ("" = equal shares)
  std::string shift_to;      // "" or the mix at the end (assign_models_shifting)
  double duration_s = 30;    // virtual seconds of arrivals
  uint64_t seed = 1;         // arrivals (seed) and model draws (seed + 1)
  std::string describe() const;  // one line: family, device, models, pattern
};

// Loaded models and device cost models, shared by the episodes that reuse them.
class EnvCache {
 public:
  explicit EnvCache(std::string models_dir);
  struct LoadedModel {
    Model model;
    std::vector<Shape> input_shapes;  // batch 1, other unknown dims 1
  };
  // `<models_dir>/<name>.onnx`, loaded once.
  Result<const LoadedModel*> model(const std::string& name);
  // The cost model of `device` ("cpu" or a device name), created once.
  Result<std::shared_ptr<const profile::CostModel>> cost_model(const std::string& device);
  // Predicted sequential single-task latency of `name` on `device`, one stream with
  // `threads` threads (memoised).
  Result<double> single_task_ms(const std::string& name, const std::string& device, int threads);

 private:
  std::string dir_;
  std::mutex mu_;
  std::map<std::string, LoadedModel> models_;
  std::map<std::string, std::shared_ptr<backend::SimBackend>> devices_;
  std::map<std::string, double> single_ms_;
};

// An episode resolved against the cache: what sim::simulate needs.
struct PreparedEpisode {
  std::vector<sim::SimulatedModel> models;  // slo_ms set
  std::vector<double> single_task_ms;       // per model
  double capacity_per_s = 0;                // see the header comment
  std::string arrival_spec;                 // the pattern in tasks/s
  std::vector<double> times_s;
  std::vector<int> which;
  std::shared_ptr<const profile::CostModel> cost_model;
};
Result<PreparedEpisode> prepare_episode(const EpisodeSpec& spec, EnvCache& cache);

struct EpisodeResult {
  double duration_s = 0;
  double capacity_per_s = 0;
  uint64_t arrived = 0, completed = 0, within_slo = 0, failed = 0, rejected = 0;
  double goodput_per_s = 0;     // tasks finished within their model's SLO / duration_s
  double throughput_per_s = 0;  // completed / duration_s
  double slo_miss_rate = 0;     // 1 - within_slo / arrived (late, failed and rejected tasks miss)
  double misses_per_s = 0;      // (arrived - within_slo) / duration_s
  double p50_ms = 0, p99_ms = 0;  // latency of completed tasks
  // Queues when the episode's arrivals end (the last launch round at or before
  // duration_s; the simulator then drains them, and those tasks are counted above).
  size_t backlog_at_end = 0;
  std::vector<size_t> final_queue_lengths;  // per model, spec order
  size_t max_backlog = 0;                   // largest total queue length seen by a launch round
  uint64_t launch_rounds = 0;
};

// Runs a prepared episode (prepare once, run under many policies: the grid search).
// `decision_cost_ms`: charged per launching round (sim::SimulatorConfig), for learned
// policies whose forward pass is not free.
Result<EpisodeResult> run_prepared_episode(const EpisodeSpec& spec, const PreparedEpisode& prepared,
                                           const std::shared_ptr<LaunchPolicy>& launch,
                                           const std::shared_ptr<GraphPolicy>& graph, bool one_task_at_a_time,
                                           double decision_cost_ms = 0);
// Runs `spec` under the policies of `policy` (a runtime::parse_policy result; fifo runs
// as toprt bench runs it: one stream with every thread). The policies must not be in use
// by another thread.
Result<EpisodeResult> run_episode(const EpisodeSpec& spec, const runtime::PolicySpec& policy, EnvCache& cache);
Result<EpisodeResult> run_episode(const EpisodeSpec& spec, const std::shared_ptr<LaunchPolicy>& launch,
                                  const std::shared_ptr<GraphPolicy>& graph, EnvCache& cache,
                                  bool one_task_at_a_time = false, double decision_cost_ms = 0);

// The cooperative reward of both agents, in tasks/s (weights: rl/env/reward.h):
//   reward = goodput - kBacklogPenalty * backlog growth per s - kMissPenalty * SLO misses per s
// Episode level: backlog growth = backlog_at_end / duration_s (queues start empty).
// Divide by capacity_per_s to compare devices.
double episode_reward(const EpisodeResult& r);

// Episode drawing. Training models and held-out models are disjoint, and so are the seed
// ranges; held-out episodes also use pattern shapes and mixes that training never draws
// (episode.cpp lists both; see held_out_episodes).
struct EpisodeOptions {
  std::vector<std::string> train_models = {"squeezenet1_1_small", "googlenet_small", "resnet50_small",
                                           "inception_v3_small", "nasnet_small", "randwire_small"};
  std::vector<std::string> held_out_models = {"densenet121_small", "mobilenet_v3_small_small"};
  std::vector<std::string> devices = {"cpu", "h100-sxm"};
  int streams = 2;
  double slo_factor = 5;
  double duration_s = 30;
};
constexpr uint64_t kTrainSeedBase = 1;                   // training seeds: [1, 1e9]
constexpr uint64_t kHeldOutSeedBase = 1'000'000'000'001;  // held out: from 1e12 + 1
// A training episode: family, load, shape, 1-4 training models, shares, device, seed.
EpisodeSpec draw_episode(SeededRng& rng, const EpisodeOptions& options);
// `n` held-out episodes cycling over the families (poisson, bursty, ramp, diurnal,
// flash, shift) on `device`; each has one held-out model among its 2-4.
std::vector<EpisodeSpec> held_out_episodes(const EpisodeOptions& options, int n, const std::string& device);

}  // namespace top::rl::env

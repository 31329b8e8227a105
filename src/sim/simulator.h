// Simulator: the asynchronous runtime as a discrete-event simulation on a virtual clock.
//
// It runs the runtime's own pieces: bounded per-model queues and the task launcher
// (runtime/launcher_core.h, with the same LaunchPolicy and GraphPolicy objects), the
// schedule cache and generators (runtime/schedule_cache.h), compiled schedules and the
// stage executor's dispatch order (backend/sim/virtual_executor.h), and the metrics
// recorder — only operator execution is replaced by the cost model, with processor
// sharing among everything running at each moment. So RuntimeStats, JSON and the bench
// table come out as from a real run, deterministically, and an hour of traffic takes
// seconds.
//
//   SimulatorConfig cfg;
//   cfg.num_streams = 2;
//   cfg.launch_policy = fixed_launch_policy(0, 2, 2);
//   cfg.cost_model = std::make_shared<profile::CostModel>(load_profile(path).value());
//   std::vector<SimulatedModel> models = {{"resnet50", model, {{1, 3, 224, 224}}}};
//   auto times = parse_arrival("poisson:rate=50").value()->times(3600, /*seed=*/1);
//   auto which = assign_models(mix, times.size(), 2);
//   SimulationResult r = simulate(cfg, models, times, which).value();
//
// Semantics as the threaded runtime: the launcher runs a round whenever a task arrives,
// an instance finishes, or its wake time comes (at the latest 1 s after the last
// round), and again at once after a round that launched something; once the last task
// has arrived the runtime is drained (like Runtime::shutdown(kDrain): pacing and
// batching waits no longer apply) when `drain_after_last_arrival` is set. Not modelled:
// the launcher's and streams' own CPU time, priorities and deadlines (every simulated
// task has neither).
//
// Thread safety: simulate() is reentrant; policies are called from the calling thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/sim/virtual_executor.h"
#include "profile/cost_model.h"
#include "top/model.h"
#include "top/policy.h"
#include "top/stats.h"
#include "top/status.h"

namespace top::sim {

struct SimulatedModel {
  std::string name;
  Model model;
  std::vector<Shape> input_shapes;  // of every task (graph-input order)
  double slo_ms = 0;                // latency objective, as ModelOptions::slo_ms (0: none)
};

struct SimulatorConfig {
  int num_streams = 2;
  int threads_per_stream = 1;
  size_t queue_capacity = 1024;     // per model; a full queue rejects the arrival
  int max_in_flight_instances = 0;  // 0: 2 x num_streams (as the runtime)
  std::shared_ptr<LaunchPolicy> launch_policy;  // default: fifo_launch_policy()
  std::shared_ptr<GraphPolicy> graph_policy;    // default: merge + greedy
  std::shared_ptr<const profile::CostModel> cost_model;  // required
  bool drain_after_last_arrival = true;
  // How streams take ready groups (backend/sim/virtual_executor.h); unset: the
  // device's default_dispatch() for these streams.
  std::optional<backend::sim::StreamDispatch> dispatch;
  // Virtual ms the launcher spends deciding each round that launches (a learned policy's
  // forward pass; bench_top_decision_cost measures it): the round's launches start that
  // much later, while the streams keep running. 0: decisions are free (static policies
  // cost well under a microsecond). An arrival during it is admitted when it ends.
  double decision_cost_ms = 0;
};

struct SimulationResult {
  RuntimeStats stats;                // as Runtime::stats() after the drain
  std::vector<double> latencies_ms;  // completed tasks, in completion order
  uint64_t completed = 0, failed = 0, rejected = 0;
  double first_arrival_s = 0;
  double last_completion_s = 0;      // virtual seconds since the start
  size_t backlog_at_last_arrival = 0;  // tasks queued right after the last arrival
  uint64_t operator_events = 0;      // operators simulated
  uint64_t launch_rounds = 0;
};

// `times_s`: ascending arrival times; `which[i]`: index into `models` of arrival i.
// InvalidArgument for mismatched sizes, a bad model index or config; a model whose
// plan or schedule cannot be built fails its tasks (counted in `failed`), as at run time.
Result<SimulationResult> simulate(const SimulatorConfig& cfg, const std::vector<SimulatedModel>& models,
                                  const std::vector<double>& times_s, const std::vector<int>& which);

}  // namespace top::sim

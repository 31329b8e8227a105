// LauncherCore: the task launcher's decisions, independent of threads and clocks.
//
// One launch round orders the models by their oldest waiting task (FIFO across models),
// builds the LaunchObservation, asks the LaunchPolicy, and applies its LaunchDecision to
// the queues: deadline expiry, the total and per-model in-flight caps, the dequeue
// interval, dynamic batching (min_tasks / max_delay), up to k tasks of the head's input
// shapes per dequeue, and the GraphPolicy's choice per dequeue. It returns what to
// start, what expired, and when the next round is due if nothing changes before.
//
// The threaded Runtime calls it under its lock with Clock::now(); the simulator calls
// the same code with virtual time points (start + offset). So a policy measured in
// simulation makes exactly the decisions it makes for real.
//
//   LauncherCore core(start, /*default_total_cap=*/4, &metrics);
//   ModelQueue& q = ...;               // one per model, owned by the caller
//   q.push(QueuedTask{...}, now);      // admission (after the capacity check)
//   LaunchRound r = core.launch_round(now, {&q}, executor_view, launch_policy, graph_policy);
//   for (LaunchBatch& b : r.launches) start(b);   // the caller runs the instance
//   ...
//   core.on_task_finished(q, latency_ms, ok, now, lp, gp);  core.on_instance_finished(q, k, now, lp, gp);
//
// Thread safety: none; the caller serialises every call (the runtime holds its mutex).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/metrics.h"
#include "top/policy.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::runtime {

double ms_between(Clock::time_point a, Clock::time_point b);
Clock::time_point plus_ms(Clock::time_point t, double ms);

// What the launcher knows of one waiting task; its inputs stay with the caller (by id).
struct QueuedTask {
  uint64_t id = 0;
  std::vector<Shape> shapes;  // one plan serves tasks of equal shapes
  Clock::time_point submitted;
  int priority = 0;
  std::optional<Clock::time_point> deadline;
};

// One model's queue and the launcher's bookkeeping of it.
struct ModelQueue {
  std::string name;
  int metrics_index = 0;
  bool batchable = false;
  double slo_ms = 0;  // the model's latency objective (0: none)
  std::deque<QueuedTask> queue;
  size_t queued_with_deadline = 0;  // lets a round skip the deadline scan
  Clock::time_point last_dequeue{};
  bool dequeued_once = false;
  std::deque<Clock::time_point> recent_arrivals;  // sliding window for the rate estimate
  size_t in_flight_instances = 0;
  size_t in_flight_tasks = 0;
  double latency_ewma_ms = 0;
  double slo_miss_ewma = 0;  // failed or over slo_ms, per finished task
  // Mean fraction of operators done over this model's running instances (0..1), asked
  // when observing; empty = 0.
  std::function<double()> mean_progress;

  // Inserts by priority (higher first, FIFO among equals) and records the arrival. The
  // caller checks the capacity and calls MetricsRecorder::on_submit.
  void push(QueuedTask t, Clock::time_point now);
};

// The executor as the launch policy observes it.
struct ExecutorView {
  int num_streams = 1;
  double busy_streams = 0;
  size_t ready_groups = 0;
};

// Up to k tasks of one model, dequeued together: one schedule instance.
struct LaunchBatch {
  ModelQueue* model = nullptr;
  std::vector<QueuedTask> tasks;
  GraphChoice choice;
};

struct ExpiredTask {
  ModelQueue* model = nullptr;
  QueuedTask task;
  Status status;  // DeadlineExceeded naming the task and model
};

struct LaunchRound {
  std::vector<LaunchBatch> launches;
  std::vector<ExpiredTask> expired;  // already counted in the metrics; the caller ends them
  Clock::time_point wake;            // next round due (a pacing or batching deadline), at most now + 1 s
};

class LauncherCore {
 public:
  // `default_total_cap`: instances in flight across models unless the policy asks for
  // fewer. `metrics` receives dequeues and expiries (may be null).
  LauncherCore(Clock::time_point start, int default_total_cap, MetricsRecorder* metrics);

  // `draining` (shutdown): take whatever waits, without the policy's pacing or batching.
  LaunchRound launch_round(Clock::time_point now, std::vector<ModelQueue*> models, const ExecutorView& executor,
                           LaunchPolicy& launch_policy, GraphPolicy& graph_policy, bool draining = false);

  // One task of an instance of `q` ended (ok or not) after `latency_ms`; both policies
  // get a PolicyFeedback (so the simulator and the runtime report the same rewards).
  void on_task_finished(ModelQueue& q, double latency_ms, bool ok, Clock::time_point now, LaunchPolicy& launch_policy,
                        GraphPolicy& graph_policy);
  // Every one of the `tasks` tasks of one instance of `q` has ended.
  void on_instance_finished(ModelQueue& q, int tasks, Clock::time_point now, LaunchPolicy& launch_policy,
                            GraphPolicy& graph_policy);

  size_t in_flight_instances() const { return in_flight_instances_; }

 private:
  LaunchObservation observe(Clock::time_point now, const std::vector<ModelQueue*>& order,
                            const ExecutorView& executor) const;
  void expire_deadlines(ModelQueue& q, Clock::time_point now, std::vector<ExpiredTask>& out);

  Clock::time_point start_;
  int default_total_cap_;
  MetricsRecorder* metrics_;
  size_t in_flight_instances_ = 0;
};

}  // namespace top::runtime

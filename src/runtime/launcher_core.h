// LauncherCore: the task launcher's decisions, independent of threads and clocks.
//
// One launch round orders the models by their oldest waiting task (FIFO across models),
// builds the LaunchObservation, asks the LaunchPolicy, and applies its LaunchDecision to
// the queues: deadline expiry, the total and per-model in-flight caps, the dequeue
// interval, dynamic batching (min_tasks / max_delay), up to k tasks of the head's input
// shapes per dequeue, and the GraphPolicy's choice per dequeue. It returns what to
// start, what expired, and when the next round is due if nothing changes before.
//
// A round has four steps, so that a threaded caller can hold its lock for the
// bookkeeping and release it while a policy runs (a learned policy's forward pass must
// not stall submit() or completions):
//   1. observe_round (lock held): the order and the LaunchObservation;
//   2. launch_policy.decide(plan.obs) (no lock);
//   3. apply_decision (lock held): dequeues, expiry; each batch carries its GraphObservation;
//   4. choose_graphs (no lock): the GraphPolicy's choice per batch.
// launch_round does all four at one time point: the simulator calls it with virtual time
// points (start + offset), the runtime the steps with Clock::now(). So a policy measured
// in simulation makes the decisions it makes for real.
//
//   LauncherCore core(start, /*default_total_cap=*/4, &metrics);
//   ModelQueue& q = ...;               // one per model, owned by the caller
//   q.push(QueuedTask{...}, now);      // admission (after the capacity check)
//   LaunchRound r = core.launch_round(now, {&q}, executor_view, launch_policy, graph_policy);
//   for (LaunchBatch& b : r.launches) start(b);   // the caller runs the instance
//   ...
//   deliver_feedback(core.on_task_finished(q, latency_ms, ok, now), lp, gp);
//   deliver_feedback(core.on_instance_finished(q, k, now), lp, gp);
//
// Thread safety: none; the caller serialises every call (the runtime holds its mutex).
// The policies are the caller's to serialise too (the runtime calls them only from its
// launcher thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/graph_shape.h"
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
  Clock::time_point dequeued{};  // when the launcher took it (TaskResult::queue_ms)
  int priority = 0;
  std::optional<Clock::time_point> deadline;
};

// One model's queue and the launcher's bookkeeping of it.
struct ModelQueue {
  std::string name;
  int metrics_index = 0;
  bool batchable = false;
  GraphShapeStats graph;
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
  GraphObservation observation;  // what the GraphPolicy is asked (filled by apply_decision)
  GraphChoice choice;            // its answer (filled by choose_graphs)
};

// Step 1's result: the models in launch order and what the LaunchPolicy sees of them.
struct RoundPlan {
  std::vector<ModelQueue*> order;
  LaunchObservation observation;
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

  // Steps 1-4 at `now`. `draining` (shutdown): take whatever waits, without the
  // policy's pacing or batching.
  LaunchRound launch_round(Clock::time_point now, std::vector<ModelQueue*> models, const ExecutorView& executor,
                           LaunchPolicy& launch_policy, GraphPolicy& graph_policy, bool draining = false);

  // Step 1: models with waiting tasks first, by their oldest task (FIFO across models).
  RoundPlan observe_round(Clock::time_point now, std::vector<ModelQueue*> models, const ExecutorView& executor) const;
  // Step 3: applies `decision` (made on plan.observation) to the queues as they are at
  // `now`, which may have changed since step 1: more tasks, fewer in flight, or an
  // unloaded model's queue emptied. The plan's queues must still be alive.
  LaunchRound apply_decision(Clock::time_point now, const RoundPlan& plan, const LaunchDecision& decision,
                             bool draining = false);
  // Step 4.
  static void choose_graphs(LaunchRound& round, GraphPolicy& graph_policy);

  // One task of an instance of `q` ended (ok or not) after `latency_ms`: updates the
  // queue's latency and SLO estimates and returns the feedback for the policies (so the
  // simulator and the runtime report the same rewards).
  PolicyFeedback on_task_finished(ModelQueue& q, double latency_ms, bool ok, Clock::time_point now);
  // Every one of the `tasks` tasks of one instance of `q` has ended.
  PolicyFeedback on_instance_finished(ModelQueue& q, int tasks, Clock::time_point now);

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

// Hands one feedback to both policies.
void deliver_feedback(const PolicyFeedback& feedback, LaunchPolicy& launch_policy, GraphPolicy& graph_policy);

}  // namespace top::runtime

// Pluggable scheduling decisions of the asynchronous runtime.
//
// LaunchPolicy — the task launcher: for each model, how often its queue is drained (the
// dequeue frequency) and how many tasks (k) one dequeue takes. GraphPolicy — the model
// scheduler: for each dequeued group of k tasks, which computation graph runs (one
// batch of k, or the k task graphs merged side by side) and with which stage partition.
// The learned agents (MADDPG launcher / scheduler) implement these same interfaces:
// they read an observation and return decisions, and never touch the executor.
//
// Thread safety: the runtime serialises every call into a policy (decide, choose and
// on_feedback are never concurrent); feedback comes from the threads that finish tasks.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace top {

struct ModelObservation {
  std::string model;
  size_t queue_length = 0;
  double oldest_wait_ms = 0;          // how long the head of the queue has waited
  double arrival_rate_per_s = 0;      // recent arrivals (the last 256)
  double arrival_rate_short_per_s = 0;  // the last 16 arrivals: reacts to a burst within a few tasks
  size_t in_flight_instances = 0;     // schedule instances of this model running
  size_t in_flight_tasks = 0;
  double mean_progress = 0;           // in-flight instances: fraction of operators done (0..1)
  double recent_latency_ms = 0;       // moving average of submit -> result
  double ms_since_last_dequeue = 1e9;
  bool batchable = false;             // the model has a batch dimension on every input/output
  // The model's graph as a DAG of operators: how many, the longest chain, and the widest
  // level of its as-soon-as-possible schedule (how much operator parallelism one task has).
  size_t graph_operators = 0;
  size_t graph_depth = 0;
  size_t graph_width = 0;
  double slo_ms = 0;                  // the model's latency objective (0: none set)
  double slo_miss_rate = 0;           // moving average over finished tasks: failed or over slo_ms
};

struct LaunchObservation {
  double now_ms = 0;  // since the runtime started
  std::vector<ModelObservation> models;
  int num_streams = 0;
  double busy_streams = 0;        // streams running an operator group right now
  size_t ready_groups = 0;        // groups waiting for a free stream
  size_t in_flight_instances = 0; // all models
};

// What the launcher does with one model's queue.
struct ModelLaunch {
  double dequeue_interval_ms = 0;  // minimum time between two dequeues of this model
  int k = 1;                       // tasks taken per dequeue (at most)
  int min_tasks = 1;               // wait for this many tasks ...
  double max_delay_ms = 0;         // ... unless the oldest has waited this long (dynamic batching)
  int max_in_flight = 0;           // schedule instances of this model at once (0 = runtime limit)
};

struct LaunchDecision {
  std::vector<ModelLaunch> models;  // same order as LaunchObservation::models
  int max_in_flight_total = 0;      // all models together (0 = runtime limit)
};

// What the launcher core reports back to both policies (rewards for learned ones):
// every task that ends, ok or not, and every instance whose tasks have all ended.
struct PolicyFeedback {
  enum class Kind { kTaskFinished, kInstanceFinished };
  Kind kind = Kind::kTaskFinished;
  std::string model;
  double now_ms = 0;      // since the runtime started
  // kTaskFinished:
  bool ok = false;
  double latency_ms = 0;  // submit -> result
  double slo_ms = 0;      // the model's (0: none)
  bool within_slo = false;  // ok and (no SLO, or latency <= slo_ms)
  // kInstanceFinished:
  int tasks = 0;
};

class LaunchPolicy {
 public:
  virtual ~LaunchPolicy() = default;
  virtual std::string name() const = 0;
  virtual LaunchDecision decide(const LaunchObservation& obs) = 0;
  // Called for every finished task and instance (see PolicyFeedback), serialised with
  // decide(); must be quick (the runtime holds its lock).
  virtual void on_feedback(const PolicyFeedback& feedback) { (void)feedback; }
};

enum class GraphMode {
  kBatch,  // the k tasks' inputs concatenated on the batch dimension: one task graph
  kMerge,  // k copies of the task graph side by side in one schedule instance
};

struct GraphChoice {
  GraphMode mode = GraphMode::kMerge;
  std::string generator = "greedy";  // schedule generator: "sequential", "greedy"
};

// What the model scheduler sees when it chooses the graph of one dequeued group.
struct GraphObservation {
  ModelObservation model;  // its queue after the dequeue
  int k = 1;               // tasks in this group
  int num_streams = 0;
  double busy_streams = 0;
  size_t in_flight_instances = 0;  // all models, this one included
};

class GraphPolicy {
 public:
  virtual ~GraphPolicy() = default;
  virtual std::string name() const = 0;
  // The launcher calls this one; by default it asks choose(model, k, batchable).
  // A kBatch answer for a model that is not batchable runs as kMerge.
  virtual GraphChoice choose(const GraphObservation& obs) {
    return choose(obs.model.model, obs.k, obs.model.batchable);
  }
  // The simple form for policies that need no observation (default: merge + greedy).
  virtual GraphChoice choose(const std::string& model, int k, bool batchable) {
    (void)model, (void)k, (void)batchable;
    return GraphChoice{};
  }
  virtual void on_feedback(const PolicyFeedback& feedback) { (void)feedback; }
};

// ---- built-in policies ------------------------------------------------------------

// One task at a time, oldest first across all models, sequential schedule: the way a
// plain serving loop runs models one after another.
std::shared_ptr<LaunchPolicy> fifo_launch_policy();
// Every model: a dequeue at most every `interval_ms`, up to k tasks, at most
// `max_in_flight` instances per model.
std::shared_ptr<LaunchPolicy> fixed_launch_policy(double interval_ms, int k, int max_in_flight);
// Triton-style "many instances + dynamic batching": up to `max_batch` tasks per dequeue,
// waiting at most `max_delay_ms` for a full batch, `instances` concurrent instances per model.
std::shared_ptr<LaunchPolicy> dynamic_batching_policy(int max_batch, double max_delay_ms, int instances);

std::shared_ptr<GraphPolicy> fixed_graph_policy(GraphMode mode, const std::string& generator);

}  // namespace top

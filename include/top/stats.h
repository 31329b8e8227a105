// Runtime statistics: what Runtime::stats() returns, plus JSON and Prometheus text.
//
// Thread safety: these are plain values (a snapshot); formatting functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace top {

struct ModelStats {
  std::string model;
  uint64_t submitted = 0;  // accepted by submit()
  uint64_t rejected = 0;   // refused at admission (queue full, unknown model, shutdown)
  uint64_t completed = 0;  // finished with outputs
  uint64_t failed = 0;     // finished with an error (bad input, kernel error, cancelled)
  size_t queue_length = 0;      // waiting now
  size_t max_queue_length = 0;  // highest seen
  size_t in_flight = 0;         // dequeued, not finished
  double throughput_per_s = 0;  // completed / elapsed
  double latency_mean_ms = 0;   // submit -> result, completed tasks
  double latency_p50_ms = 0;
  double latency_p95_ms = 0;
  double latency_p99_ms = 0;
  double latency_max_ms = 0;
  double queue_wait_mean_ms = 0;  // submit -> dequeue
  // Completed tasks' latency as a histogram: (upper bound ms, tasks at or below it),
  // cumulative, bounds from latency_bucket_bounds_ms() then +infinity. Counts only grow,
  // so Prometheus' rate() and sums across replicas work (quantiles above cannot be added).
  std::vector<std::pair<double, uint64_t>> latency_histogram_ms;
  // (seconds since start, queue length) sampled at every change, thinned to at most
  // a few thousand points.
  std::vector<std::pair<double, size_t>> queue_length_over_time;
};

struct StreamStats {
  int stream = 0;
  double busy_fraction = 0;  // time running operators / elapsed
  uint64_t groups_run = 0;
};

struct RuntimeStats {
  double elapsed_s = 0;
  double throughput_per_s = 0;  // all models, unloaded ones included
  // Exceptions thrown by completion callbacks (caught, logged; the runtime went on).
  uint64_t callback_exceptions = 0;
  // The loaded models, and unloaded ones whose last running tasks have not ended yet;
  // a model leaves once unload_model() has ended all its tasks.
  std::vector<ModelStats> models;
  std::vector<StreamStats> streams;
};

// The upper bounds (ms) of the latency histograms, 0.5 ms to 10 s (the runtime's and
// the server's).
const std::vector<double>& latency_bucket_bounds_ms();

std::string to_json(const RuntimeStats& s);
// Prometheus text exposition format (counters, gauges, latency as a summary and as the
// histogram top_task_duration_seconds).
std::string to_prometheus(const RuntimeStats& s);
// The same with the label set of each model chosen by the caller: `model_labels(name)`
// returns the labels' text, e.g. prometheus_label("model", "resnet50") + "," +
// prometheus_label("version", "2") (a server that loads versions under internal names).
std::string to_prometheus(const RuntimeStats& s, const std::function<std::string(const std::string&)>& model_labels);
// key="value" with the value escaped as the text format wants.
std::string prometheus_label(const std::string& key, const std::string& value);

}  // namespace top

// MetricsRecorder: the runtime's counters, latency samples, queue-length history and
// per-stream busy time, turned into a RuntimeStats snapshot on demand.
//
//   MetricsRecorder m(/*num_streams=*/2, Clock::now());
//   int resnet = m.add_model("resnet50");
//   m.on_submit(resnet, /*queue_length_after=*/1, Clock::now());
//   ...
//   RuntimeStats s = m.snapshot(Clock::now());
//
// Memory stays bounded under overload: latency samples are kept exactly up to
// kMaxLatencySamples per model, then reservoir-sampled (mean, max and count stay exact);
// the queue-length history is thinned to at most kMaxQueuePoints points by keeping every
// other point and doubling the recording stride.
//
// A model or stream index outside what was registered (or already removed) is ignored
// (never a crash). Indices are never reused, so an event of a removed model cannot land
// on a newer one.
//
// Thread safety: every method may be called from any thread (one internal mutex; the
// hot-path calls are a few increments and a vector push).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "runtime/trace.h"
#include "top/stats.h"

namespace top::runtime {

using Clock = std::chrono::steady_clock;

class MetricsRecorder {
 public:
  static constexpr size_t kMaxLatencySamples = 1'000'000;  // per model
  static constexpr size_t kMaxQueuePoints = 4096;          // per model, after thinning

  MetricsRecorder(int num_streams, Clock::time_point start);
  ~MetricsRecorder();
  MetricsRecorder(const MetricsRecorder&) = delete;
  MetricsRecorder& operator=(const MetricsRecorder&) = delete;

  // Queue lengths also go to `trace` as counter events (null: not traced). Call before
  // the first model is added.
  void set_trace(TraceRecorder* trace) { trace_ = trace; }

  // Models are registered once (index = model slot); names appear in the snapshot.
  int add_model(const std::string& name);
  // Drops a model's entry (an unloaded model whose last task has ended): its memory is
  // freed and it leaves the snapshot; its completed tasks still count in the snapshot's
  // all-models throughput.
  void remove_model(int model);

  // A task was accepted; its model's queue now holds queue_length_after tasks.
  void on_submit(int model, size_t queue_length_after, Clock::time_point t);
  // A task was refused at admission.
  void on_reject(int model);
  // `tasks` tasks left the queue together; wait_ms_sum is their summed submit->dequeue wait.
  void on_dequeue(int model, int tasks, size_t queue_length_after, double wait_ms_sum, Clock::time_point t);
  // One task finished; latency (submit -> result) counts only when ok.
  void on_finish(int model, bool ok, double latency_ms);
  // A stream ran one group's operators from begin to end.
  void on_stream_busy(int stream, Clock::time_point begin, Clock::time_point end);
  // A user's completion callback threw; returns how many have so far.
  uint64_t on_callback_exception();

  // `model_indices`, if given, receives the index of each snapshot.models entry.
  RuntimeStats snapshot(Clock::time_point now, std::vector<int>* model_indices = nullptr) const;

 private:
  struct PerModel;
  PerModel* model_or_null(int model);                                               // requires mu_
  void record_queue_length(PerModel& m, size_t queue_length, Clock::time_point t);  // requires mu_

  mutable std::mutex mu_;
  TraceRecorder* trace_ = nullptr;
  Clock::time_point start_;
  std::map<int, std::unique_ptr<PerModel>> models_;  // by index, registration order
  int next_model_ = 0;
  uint64_t removed_completed_ = 0;  // completed tasks of removed models
  uint64_t callback_exceptions_ = 0;
  std::vector<double> stream_busy_s_;
  std::vector<uint64_t> stream_groups_;
  std::mt19937_64 reservoir_rng_;  // which sample a late latency replaces
};

}  // namespace top::runtime

// TraceRecorder: what the runtime did, for the Chrome / Perfetto JSON trace format
// (chrome://tracing, ui.perfetto.dev):
//   - operators: one row (tid) per stream, one complete event ("ph":"X") per operator
//     with task id, model, stage and group in its args;
//   - tasks: one row per model ("tasks MODEL"), each task as a "queued" span (submit ->
//     dequeue) followed by a "task N" span (dequeue -> result, ok or not);
//   - queue lengths: a counter track per model ("queue MODEL", "ph":"C") at each change.
//
// Thread safety: every method may be called from any thread; add() waits while a trace
// is being written. Bounded: a ring of the latest max_events events (the oldest are
// overwritten and counted: dropped(), and "otherData":{"dropped_slices":N} in the file),
// so a long-running server's trace shows what happened last.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::runtime {

struct TraceSlice {
  enum class Kind { kOperator, kTask, kQueueLength };
  Kind kind = Kind::kOperator;
  int stream = 0;
  std::string name;     // operator node name
  std::string op_type;  // category
  std::string model;
  uint64_t task_id = 0;  // first task of the instance
  int task_index = 0;    // which of the k tasks in the instance
  int stage = 0;
  int group = 0;
  std::chrono::steady_clock::time_point begin, end;
  // kTask: begin = submitted, dequeued, end = result; ok. kQueueLength: begin, value.
  std::chrono::steady_clock::time_point dequeued;
  bool ok = true;
  size_t value = 0;

  static TraceSlice task(std::string model, uint64_t task_id, std::chrono::steady_clock::time_point submitted,
                         std::chrono::steady_clock::time_point dequeued, std::chrono::steady_clock::time_point end,
                         bool ok);
  static TraceSlice queue_length(std::string model, std::chrono::steady_clock::time_point t, size_t length);
};

class TraceRecorder {
 public:
  TraceRecorder(std::chrono::steady_clock::time_point start, size_t max_slices = 2'000'000);
  void add(TraceSlice s);
  size_t size() const;
  std::vector<TraceSlice> slices() const;  // a copy of those kept, oldest first
  size_t dropped() const;
  // Writes {"traceEvents":[...], "displayTimeUnit":"ms"} with thread-name metadata
  // ("stream 0", ...). Timestamps are microseconds since `start`. Streams the events to
  // the file (no second copy in memory); a failure names the path.
  Status write_chrome_json(const std::string& path) const;
  std::string to_chrome_json() const;

 private:
  std::chrono::steady_clock::time_point start_;
  size_t max_slices_;
  mutable std::mutex mu_;
  std::vector<TraceSlice> slices_;  // a ring once full: slices_[head_] is the oldest
  size_t head_ = 0;
  size_t dropped_ = 0;
  std::vector<TraceSlice> ordered_locked() const;
};

}  // namespace top::runtime

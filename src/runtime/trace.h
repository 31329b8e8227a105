// TraceRecorder: operator slices for the Chrome / Perfetto JSON trace format
// (chrome://tracing, ui.perfetto.dev): one row (tid) per stream, one complete event
// ("ph":"X") per operator with task id, model, stage and group in its args.
//
// Thread safety: every method may be called from any thread; add() waits while a trace
// is being written. Bounded: the oldest max_slices slices are kept, newer ones are
// dropped and counted (dropped(), and "otherData":{"dropped_slices":N} in the file).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::runtime {

struct TraceSlice {
  int stream = 0;
  std::string name;     // operator node name
  std::string op_type;  // category
  std::string model;
  uint64_t task_id = 0;  // first task of the instance
  int task_index = 0;    // which of the k tasks in the instance
  int stage = 0;
  int group = 0;
  std::chrono::steady_clock::time_point begin, end;
};

class TraceRecorder {
 public:
  TraceRecorder(std::chrono::steady_clock::time_point start, size_t max_slices = 2'000'000);
  void add(TraceSlice s);
  size_t size() const;
  std::vector<TraceSlice> slices() const;  // a copy, in the order they were added
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
  std::vector<TraceSlice> slices_;
  size_t dropped_ = 0;
};

}  // namespace top::runtime

// Runtime: the asynchronous multi-task inference runtime.
//
// A serving application loads several models, submits inference tasks from any number
// of threads as they arrive, and gets results back through a future or a callback.
// Tasks wait in one bounded queue per model; the task launcher (a LaunchPolicy) drains
// each queue at its dequeue frequency, k tasks at a time; the model scheduler (a
// GraphPolicy) turns each group of k tasks into one schedule instance (a batch of k, or
// k task graphs merged) with a stage partition; instances of the same and of different
// models are in flight at once, their operator groups sharing a bounded set of streams
// (CPU backend: worker threads). That is task-based operator parallelism.
//
//   top::RuntimeConfig cfg;
//   cfg.num_streams = 2;
//   cfg.launch_policy = top::fixed_launch_policy(0, 2, 2);
//   auto rt = top::Runtime::create(cfg).value();
//   rt->load_model("resnet50", top::Model::load("resnet50.onnx").value());
//   std::future<top::TaskResult> f = rt->submit("resnet50", {input});
//   top::TaskResult r = f.get();              // r.status, r.outputs
//   rt->shutdown(top::ShutdownMode::kDrain);
//
// Every submitted task ends exactly once: with outputs, or with an error status
// (bad input, queue full, deadline passed, cancelled at shutdown) — never lost.
//
// Thread safety: every member function may be called from any thread concurrently,
// except that the Runtime must outlive the calls (shutdown() then destroy).
//
// Completion callbacks (the callback form of submit(); the future form has no user
// code to run) may call back into their own runtime; none of these calls waits for
// the runtime's threads, one of which the callback may be running on:
//   submit()        queues as usual; with block_when_full, a full queue fails at once
//                   with ResourceExhausted instead of blocking (the queue may drain only
//                   after the callback returns).
//   unload_model()  removes the model and cancels its queued tasks (their callbacks
//                   run inside this call), then returns without waiting for its running
//                   instances, which finish and deliver their results afterwards.
//   shutdown()      stops admission and asks the launcher to drain or cancel, then
//                   returns; it cannot join the thread it runs on. The final join is
//                   done by the next shutdown() or the destructor from outside.
//   stats(), models(), load_model(), write_trace(): as from outside.
// The destructor must not run inside one of the runtime's own callbacks. Calls into
// another Runtime from a callback behave as from outside (they may wait). A callback
// that waits for another task of its runtime (future.get()) can deadlock.
// An exception thrown by a callback is caught, logged (spdlog) and counted in
// RuntimeStats::callback_exceptions; the task still counts as ended and every other
// task still ends exactly once.
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "top/model.h"
#include "top/policy.h"
#include "top/stats.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top {

struct RuntimeConfig {
  // "cpu": streams are worker threads (StageExecutor). "cuda" (builds with the CUDA
  // toolkit, on a GPU): streams are CUDA streams, up to num_streams instances in flight.
  std::string backend = "cpu";
  int num_streams = 2;             // operator groups that run at once
  int threads_per_stream = 1;      // intra-op threads of each CPU stream
  // How long an idle CPU stream polls for work before it sleeps (a wake-up costs tens of
  // microseconds). -1: 200 us when num_streams x threads_per_stream fit the cores, else
  // 0 (never poll); 0 saves the CPU time of polling at some latency.
  int stream_spin_us = -1;
  size_t queue_capacity = 1024;    // per model; full queue -> submit fails (or blocks)
  bool block_when_full = false;    // block submit() until there is room, instead of failing
  int max_in_flight_instances = 0; // 0: 2 x num_streams (bounds activation memory)
  std::shared_ptr<LaunchPolicy> launch_policy;  // default: fifo_launch_policy()
  std::shared_ptr<GraphPolicy> graph_policy;    // default: merge + greedy
  // Device profile (JSON from `toprt profile`) for the cost model that prices schedules:
  // generators then fall back to sequential where parallelism does not pay, and ios-dp
  // may merge same-input convolutions. Empty: this CPU's analytical model.
  std::string profile;
  bool record_trace = false;       // keep a trace for write_trace(): operators, task spans, queue lengths
  size_t trace_max_events = 2'000'000;  // the latest this many trace events are kept (a ring)
};

// Per model, at load_model.
struct ModelOptions {
  // The model's latency objective (ms, submit -> result): observed by the policies
  // (ModelObservation::slo_ms, PolicyFeedback::within_slo). 0: none. Tasks over it still
  // finish; it does not cancel anything.
  double slo_ms = 0;
};

struct TaskOptions {
  int priority = 0;  // higher runs first within its model's queue
  std::optional<std::chrono::steady_clock::time_point> deadline;  // not started by then -> DeadlineExceeded
};

struct TaskResult {
  Status status;
  std::vector<Tensor> outputs;  // model output order; empty on error
  uint64_t task_id = 0;
  double queue_ms = 0;    // submit -> dequeue
  double latency_ms = 0;  // submit -> result
};

enum class ShutdownMode {
  kDrain,   // run every queued task, then stop
  kCancel,  // fail queued tasks with Cancelled; running instances stop between groups
};

class Runtime {
 public:
  static Result<std::unique_ptr<Runtime>> create(const RuntimeConfig& config);
  ~Runtime();  // shutdown(kCancel) if still running
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Adds a model under `name` (InvalidArgument if the name is taken).
  Status load_model(const std::string& name, const Model& model);
  Status load_model(const std::string& name, const Model& model, const ModelOptions& opts);
  // Removes a model; its queued tasks fail with Cancelled, running ones finish first
  // (not waited for from a callback). Its plans, schedules, arenas and stats entry are
  // freed once its last task has ended.
  Status unload_model(const std::string& name);
  std::vector<std::string> models() const;

  // Queues one task. Admission failures (unknown model, queue full, shutting down,
  // wrong input count/shape/dtype) come back at once as a ready future with an error.
  std::future<TaskResult> submit(const std::string& model, std::vector<Tensor> inputs, const TaskOptions& opts = {});
  // Callback form: `done` is called exactly once, on a runtime thread (or inline when
  // admission fails, or inside unload_model() for a task it cancels). Returns the
  // admission status. What `done` may call: see the top of this file.
  Status submit(const std::string& model, std::vector<Tensor> inputs, std::function<void(TaskResult)> done,
                const TaskOptions& opts = {});

  RuntimeStats stats() const;
  // Chrome/Perfetto trace (needs record_trace): each stream's operators, each model's
  // tasks (queued, then running) and queue length; the latest trace_max_events events.
  Status write_trace(const std::string& path) const;

  // Idempotent. Returns when every task has ended and the runtime's threads have stopped
  // (from a callback: returns at once, see above). A kCancel after a kDrain that is
  // still running turns it into a cancel.
  void shutdown(ShutdownMode mode = ShutdownMode::kDrain);

 private:
  struct Impl;
  explicit Runtime(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace top

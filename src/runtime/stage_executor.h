// StageExecutor: runs schedule instances of any models on a fixed set of streams.
//
// Each instance's groups become work items once the groups producing their inputs have
// finished; idle streams take the ready group of the oldest instance first (a stream
// that finishes a group picks before the others are woken, and idle streams poll a
// while before they sleep: runtime/stream_spin.h). So several
// instances are in flight at once, each at its own stage (task pipelines), and groups of
// different tasks and models run side by side (task-based operator parallelism). On the
// CPU backend a stream is a worker thread with its own intra-op thread pool.
//
// Thread safety: submit() and the queries may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include "exec/compiled_schedule.h"
#include "exec/executor.h"
#include "exec/schedule.h"
#include "runtime/metrics.h"
#include "runtime/stream_spin.h"
#include "runtime/trace.h"
#include "util/thread_pool.h"

namespace top::runtime {

struct Instance {
  std::shared_ptr<const exec::CompiledSchedule> compiled;
  std::string model;
  std::vector<uint64_t> task_ids;                  // per task of the instance
  std::vector<std::vector<Tensor>> inputs;         // per task, graph-input order
  std::vector<std::vector<const Tensor*>> input_ptrs;
  std::vector<exec::Arena> arenas;                 // per task
  std::vector<exec::Bindings> bindings;            // per task (runners with host bindings)
  std::vector<std::vector<Tensor>> outputs;        // per task, set by runners without them (CUDA)
  std::unique_ptr<std::atomic<int>[]> deps_left;   // per group
  std::atomic<int> groups_left{0};
  std::atomic<int> ops_done{0};
  int total_ops = 0;
  std::atomic<bool> cancelled{false};             // shutdown: skip every remaining operator
  // Per task: the first error of its operators. A failing task skips its remaining
  // operators; the other tasks of the instance go on (a bad input fails alone).
  std::unique_ptr<std::atomic<bool>[]> task_failed;
  std::vector<Status> task_error;                  // written once per task, before task_failed is set
  std::mutex error_mu;
  uint64_t seq = 0;  // set by submit(): older instances run first
  // Called once on a stream thread when every group has run (or been skipped after an
  // error or cancellation). A task's outputs (task_outputs) are valid when its
  // task_error is OK and the instance was not cancelled.
  std::function<void(Instance&)> on_done;

  // Prepares host arenas and bindings for every task, then init_state(); call before
  // submitting to a runner that uses host bindings (the CPU stage executor).
  Status bind();
  // Per-task error slots and group counters only (runners with their own memory).
  void init_state();
  // Task t's graph outputs: `outputs[t]` when a runner set them, else from the bindings.
  Result<std::vector<Tensor>> task_outputs(size_t t) const;
  double progress() const { return total_ops ? static_cast<double>(ops_done.load()) / total_ops : 0.0; }
};

// What the runtime hands schedule instances to: the CPU stage executor below, or the
// CUDA backend's lanes (runtime/cuda_instance_runner.h). submit() returns at once; the
// instance's on_done runs on a runner thread when it is finished.
class InstanceRunner {
 public:
  virtual ~InstanceRunner() = default;
  // true: call Instance::bind() (host arenas) before submit(); false: init_state().
  virtual bool uses_host_bindings() const = 0;
  virtual void submit(std::shared_ptr<Instance> inst) = 0;
  virtual int num_streams() const = 0;
  virtual size_t ready_groups() const = 0;  // work waiting for a free stream
  virtual double busy_streams() const = 0;
};

class StageExecutor final : public InstanceRunner {
 public:
  // spin_us: how long an idle stream polls before it sleeps (runtime/stream_spin.h).
  StageExecutor(int num_streams, int threads_per_stream, MetricsRecorder* metrics, TraceRecorder* trace,
                int spin_us = kSpinAuto);
  ~StageExecutor() override;  // finishes queued work, then joins

  bool uses_host_bindings() const override { return true; }
  void submit(std::shared_ptr<Instance> inst) override;
  int num_streams() const override { return static_cast<int>(streams_.size()); }
  size_t ready_groups() const override;
  double busy_streams() const override { return busy_.load(); }
  int spin_us() const { return spin_us_; }

 private:
  struct Work {
    uint64_t seq;
    int group;
    std::shared_ptr<Instance> inst;
  };
  struct Older {
    bool operator()(const Work& a, const Work& b) const {
      return a.seq != b.seq ? a.seq > b.seq : a.group > b.group;
    }
  };
  void stream_loop(int stream);
  bool take_oldest_locked(Work& w);  // mu_ held: pops the oldest ready group, if any
  bool poll(Work& w);                // takes the oldest ready group if there is one
  // Runs w; returns the next ready group this stream keeps (none: wait for work).
  Work run_group(int stream, const Work& w);

  MetricsRecorder* metrics_;
  TraceRecorder* trace_;
  std::vector<std::unique_ptr<ThreadPool>> pools_;
  std::vector<std::thread> streams_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Work, std::vector<Work>, Older> ready_;
  std::atomic<size_t> queued_{0};  // ready_.size(), read by polling streams without the lock
  uint64_t next_seq_ = 0;
  bool stopping_ = false;
  int spin_us_ = 0;
  std::atomic<int> busy_{0};
};

}  // namespace top::runtime

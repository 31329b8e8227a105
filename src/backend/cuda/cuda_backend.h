// The CUDA backend: a plan's operators on an NVIDIA GPU.
//
//   auto be = top::cuda::CudaBackend::create({}).value();   // Unavailable without a GPU
//   be->run(plan, inputs, arena);                            // one stream, host in/out
//   auto inst = be->prepare(schedule, per_task_inputs).value();
//   inst->run();                                             // groups on streams, events
//   auto outs = inst->outputs().value();
//
// Weights (plan constants) are uploaded once per ExecutionPlan and shared by every task
// and instance that runs that plan (DevicePlan, cached by plan). Each task of an
// instance gets its own activation arena in device memory (the schedule's ArenaLayout),
// graph inputs are staged through pinned host buffers, and a schedule's groups run one
// per stream with cudaEvents exactly where one group reads what another wrote — no
// device-wide synchronisation between stages. An instance can be captured once into a
// CUDA graph and replayed (fixed shapes).
//
// Thread safety: run() may be called from several threads; a ScheduleInstance is used by
// one thread at a time.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "exec/schedule.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::cuda {

// OK when a CUDA device can be used; otherwise Unavailable with the reason (no driver,
// no device, ...). Never throws or aborts.
Status device_available(int device = 0);

struct CudaBackendOptions {
  int device = 0;
  int num_streams = 4;                      // streams a schedule's groups spread over
  size_t workspace_bytes = size_t(64) << 20;  // per stream, for cuDNN/cuBLAS scratch
};

struct DeviceMemoryStats {
  size_t weights_bytes = 0;      // constants of every uploaded plan
  size_t arena_bytes = 0;        // activation arenas currently held by instances
  size_t pool_bytes = 0;         // everything the pool holds from the driver
  size_t workspace_bytes = 0;    // per-stream workspaces together
};

class ScheduleInstance {
 public:
  virtual ~ScheduleInstance() = default;
  // Enqueues every group on the backend's streams (or replays the captured graph) and
  // waits for the instance to finish.
  virtual Status run() = 0;
  // Enqueues without waiting; synchronize() waits. For timing loops.
  virtual Status enqueue() = 0;
  virtual Status synchronize() = 0;
  // Captures one run into a CUDA graph; later run()/enqueue() replay it.
  virtual Status capture_graph() = 0;
  virtual bool graph_captured() const = 0;
  // Replaces task `task`'s inputs (same shapes), uploading them.
  virtual Status set_inputs(int task, const std::vector<const Tensor*>& inputs) = 0;
  // Per task, the graph outputs of the last run, copied to the host.
  virtual Result<std::vector<std::vector<Tensor>>> outputs() = 0;
  // Device memory this instance holds beyond the shared weights (arenas, inputs, outputs).
  virtual size_t device_bytes() const = 0;
};

class CudaBackend final : public backend::Backend {
 public:
  static Result<std::unique_ptr<CudaBackend>> create(const CudaBackendOptions& opts = {});
  ~CudaBackend() override;

  std::string name() const override { return "cuda"; }
  int num_threads() const override;  // streams
  // Whole plan on one stream, inputs from and outputs to the host. `arena` is unused
  // (device arenas are the backend's own).
  Result<std::vector<Tensor>> run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                  exec::Arena& arena, const exec::StepObserver* observer = nullptr) override;
  // An instance of `schedule` for its num_tasks tasks, inputs[t] in graph-input order.
  Result<std::unique_ptr<ScheduleInstance>> prepare(const exec::Schedule& schedule,
                                                    const std::vector<std::vector<const Tensor*>>& inputs);
  DeviceMemoryStats memory_stats() const;
  // Name, SMs, memory: for logs and benchmark tables.
  std::string device_description() const;

  struct Impl;

 private:
  explicit CudaBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace top::cuda

// The CUDA backend: a plan's operators on an NVIDIA GPU.
//
//   auto be = top::cuda::CudaBackend::create({}).value();   // Unavailable without a GPU
//   be->run(plan, inputs, arena);                            // one stream, host in/out
//   auto inst = be->prepare(schedule, per_task_inputs).value();
//   inst->run();                                             // groups on streams, events
//   auto outs = inst->outputs().value();
//
// Pieces (src/backend/cuda): DevicePlan (device_plan.h) uploads a plan's constants once
// and builds one CudaOp per step (cuda_op.h; cuDNN/cuBLAS/kernels/); it is cached per
// plan and shared by every task and instance running that plan, and dropped when the
// plan's graph (or, for plans seen by prepare(), the plan) is gone. The backend owns
// num_streams lanes (cuda_executor.h): a non-blocking stream with its cuDNN and cuBLAS
// handles and workspace. Activation arenas, input and output buffers come from a
// caching pool (device_pool.h); graph inputs and outputs travel through pinned buffers.
//
// run() borrows one lane for the whole call (so up to num_streams calls run at once)
// and runs the steps in plan order. An instance gives each task its own arena, laid
// out for the concurrency its schedule allows (exec::plan_memory_for_order). Its run()
// puts group i of a stage on lane (i % num_streams), in stage order, and makes a group
// wait (cudaStreamWaitEvent) only on the groups on other lanes whose outputs it reads —
// no device-wide synchronisation between stages. capture_graph() records one run
// (uploads, groups, downloads) by stream capture; later runs replay it, picking up
// inputs given by set_inputs().
//
// Numerics: float32 Conv/Gemm/MatMul avoid TF32 unless CudaBackendOptions::allow_tf32,
// so results match the CPU reference to float32 rounding.
//
// Thread safety: run() may be called from several threads; a ScheduleInstance is used by
// one thread at a time (several instances may run concurrently from different threads;
// lanes are borrowed while work is enqueued).
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
  // TF32 tensor cores for float32 Conv/Gemm/MatMul: faster, but ~1e-3 relative error
  // against the CPU reference. Off by default.
  bool allow_tf32 = false;
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

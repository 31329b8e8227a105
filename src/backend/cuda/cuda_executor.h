// The CUDA backend's execution machinery, shared by CudaBackend::run (one task, one
// stream) and ScheduleInstance (k tasks, a schedule's groups over several streams).
//
//   Lane          one CUDA stream with its cuDNN/cuBLAS handles and workspace
//   LaneSet       the backend's lanes; a host thread borrows lanes while it enqueues
//   TaskMemory    one task's device buffers: activation arena, inputs, outputs
//   TaskBinding   every slot of the plan as a DeviceTensor, and a LaunchContext per step
//
// Why lanes are borrowed: cuDNN/cuBLAS handles must not be used by two host threads at
// once. Work on one stream runs in order, so a lane's workspace is never used by two
// operators at the same time, whoever enqueued them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_resources.h"
#include "backend/cuda/device_plan.h"
#include "backend/cuda/device_pool.h"
#include "exec/memory_plan.h"

namespace top::cuda {

struct Lane {
  Stream stream;
  CudnnHandle cudnn;
  CublasHandle cublas;
  DeviceBuffer workspace;         // ops' scratch (StreamResources::workspace)
  DeviceBuffer cublas_workspace;  // cuBLAS's own, so it never overlaps an op's scratch
  PinnedBuffer staging;           // host side of CudaBackend::run's copies
  StreamResources res;
};

class LaneSet {
 public:
  static Result<std::unique_ptr<LaneSet>> create(int num_lanes, size_t workspace_bytes);
  int size() const { return static_cast<int>(lanes_.size()); }
  size_t workspace_bytes() const;
  // Blocks until a lane (or every lane) is free; hand back with release().
  Lane* acquire_one();
  std::vector<Lane*> acquire_all();
  void release(const std::vector<Lane*>& lanes);

 private:
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<bool> busy_;
  std::mutex mu_;
  std::condition_variable cv_;
};

// Borrowed lanes, given back on scope exit.
class LaneLease {
 public:
  LaneLease(LaneSet& set, bool all) : set_(set), lanes_(all ? set.acquire_all() : std::vector<Lane*>{set.acquire_one()}) {}
  ~LaneLease() { set_.release(lanes_); }
  LaneLease(const LaneLease&) = delete;
  LaneLease& operator=(const LaneLease&) = delete;
  Lane& operator[](size_t i) const { return *lanes_[i]; }
  size_t size() const { return lanes_.size(); }

 private:
  LaneSet& set_;
  std::vector<Lane*> lanes_;
};

// What instances share with the backend, kept alive by both.
struct BackendShared {
  int device = 0;
  std::unique_ptr<LaneSet> lanes;
  DevicePool pool;
  std::atomic<size_t> arena_bytes{0};  // arenas held by live instances
};

// Graph inputs and outputs of one task packed into one buffer each; the same offsets
// serve the device buffers and their pinned host mirrors.
struct IoLayout {
  std::vector<size_t> input_offsets;   // per graph input
  std::vector<size_t> output_offsets;  // per graph output (only kOutput slots are stored)
  size_t input_bytes = 0, output_bytes = 0;
  static IoLayout of(const exec::ExecutionPlan& plan);
};

struct TaskMemory {
  PoolBlock arena, inputs, outputs;
  static Result<TaskMemory> allocate(DevicePool& pool, size_t arena_bytes, const IoLayout& io);
};

struct TaskBinding {
  std::vector<DeviceTensor> values;  // per slot
  std::vector<LaunchContext> steps;  // per plan step; resources set at launch
};

// `activation_offsets` per slot (an ArenaLayout's, or null for the plan's own).
TaskBinding bind_task(const DevicePlan& dp, const IoLayout& io, const TaskMemory& mem,
                      const std::vector<size_t>* activation_offsets);
// Enqueues one step on `res`'s stream; errors name the node.
Status launch_step(const DevicePlan& dp, size_t step, TaskBinding& b, const StreamResources& res);

// Host <-> pinned staging of one task's graph inputs and outputs.
Status stage_inputs(const exec::ExecutionPlan& plan, const IoLayout& io, const std::vector<const Tensor*>& inputs,
                    uint8_t* staging);
// Graph outputs from the pinned copy of the output buffer; constants and inputs passed
// straight through come from the plan and `inputs`.
Result<std::vector<Tensor>> unstage_outputs(const exec::ExecutionPlan& plan, const IoLayout& io,
                                            const uint8_t* staging, const std::vector<const Tensor*>& inputs);

// A ScheduleInstance for `schedule` (whose plan is dp's) on the shared lanes.
Result<std::unique_ptr<ScheduleInstance>> make_schedule_instance(std::shared_ptr<BackendShared> shared,
                                                                 std::shared_ptr<const DevicePlan> dp,
                                                                 const exec::Schedule& schedule,
                                                                 const std::vector<std::vector<const Tensor*>>& inputs);

}  // namespace top::cuda

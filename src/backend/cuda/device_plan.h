// DevicePlan: one ExecutionPlan made ready for the GPU.
//
// Every plan constant (weights and folded values) is uploaded once into one device
// buffer, and every step gets its CudaOp, built through CudaOpRegistry::builtin() with
// the step's dtypes, shapes and host constants. A DevicePlan is immutable after
// create() and shared by every task and schedule instance that runs the plan (the
// backend caches it per plan); it holds the plan, so the two live together.
#pragma once

#include <memory>
#include <vector>

#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_resources.h"
#include "exec/plan.h"
#include "top/status.h"

namespace top::cuda {

class DevicePlan {
 public:
  // Fails with Unsupported naming the node when an operator has no GPU kernel (or
  // refuses its configuration). `resources` serves device-dependent choices; its
  // workspace_bytes caps each op's scratch.
  static Result<std::shared_ptr<const DevicePlan>> create(std::shared_ptr<const exec::ExecutionPlan> plan,
                                                          StreamResources& resources, bool allow_tf32);

  const exec::ExecutionPlan& plan() const { return *plan_; }
  const std::shared_ptr<const exec::ExecutionPlan>& plan_ptr() const { return plan_; }
  // The device copy of constant slot `v` (data null for other slots).
  const DeviceTensor& constant(size_t v) const { return constants_[v]; }
  const CudaOp& op(size_t step) const { return *ops_[step]; }
  // The largest workspace_bytes() of the plan's ops.
  size_t workspace_bytes() const { return workspace_bytes_; }
  size_t weights_bytes() const { return weights_.size(); }

 private:
  DevicePlan() = default;
  Status upload_constants();
  Status create_ops(StreamResources& resources, bool allow_tf32);

  std::shared_ptr<const exec::ExecutionPlan> plan_;
  DeviceBuffer weights_;
  std::vector<DeviceTensor> constants_;  // per slot
  std::vector<std::unique_ptr<CudaOp>> ops_;  // per step
  size_t workspace_bytes_ = 0;
};

// Byte offsets for packing tensors of `bytes` each into one buffer, each aligned for
// any kernel's vector loads; returns the total.
size_t pack_offsets(const std::vector<size_t>& bytes, std::vector<size_t>& offsets);

}  // namespace top::cuda

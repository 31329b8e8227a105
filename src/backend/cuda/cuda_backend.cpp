#include "backend/cuda/cuda_backend.h"

#include <chrono>
#include <mutex>
#include <string>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_executor.h"
#include "backend/cuda/device_plan.h"

namespace top::cuda {

Status device_available(int device) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return Status(StatusCode::kUnavailable, std::string("no usable CUDA device: cudaGetDeviceCount failed: ") + cudaGetErrorName(e) + ": " +
                       cudaGetErrorString(e));
  }
  if (count == 0) return Status(StatusCode::kUnavailable, "no usable CUDA device: the driver reports none");
  if (device < 0 || device >= count)
    return Status(StatusCode::kUnavailable, "CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                       " device(s) present)");
  return Status::Ok();
}

// DevicePlans are cached per plan. run() sees only a reference, so an entry is
// recognised by the plan's address, its slot storage and its graph, and dropped once
// the graph (the loaded model) is gone, or the plan, when prepare() saw its owner.
struct CudaBackend::Impl {
  CudaBackendOptions opts;
  std::shared_ptr<BackendShared> shared;
  struct CacheEntry {
    const exec::ExecutionPlan* key = nullptr;
    const void* slots_data = nullptr;
    std::weak_ptr<const ir::Graph> graph;
    std::weak_ptr<const exec::ExecutionPlan> owner;  // empty when only run() saw the plan
    bool owner_known = false;
    std::shared_ptr<const DevicePlan> plan;
  };
  mutable std::mutex cache_mu;
  std::vector<CacheEntry> cache;

  Result<std::shared_ptr<const DevicePlan>> device_plan(const exec::ExecutionPlan& plan,
                                                        const std::shared_ptr<const exec::ExecutionPlan>& owner);
};

Result<std::shared_ptr<const DevicePlan>> CudaBackend::Impl::device_plan(
    const exec::ExecutionPlan& plan, const std::shared_ptr<const exec::ExecutionPlan>& owner) {
  std::lock_guard<std::mutex> lock(cache_mu);
  for (size_t i = 0; i < cache.size();) {
    const CacheEntry& e = cache[i];
    if (e.graph.expired() || (e.owner_known && e.owner.expired())) cache.erase(cache.begin() + static_cast<long>(i));
    else ++i;
  }
  for (CacheEntry& e : cache) {
    if (e.key != &plan || e.slots_data != plan.slots.data() || e.graph.lock() != plan.graph) continue;
    if (owner && !e.owner_known) {
      e.owner = owner;
      e.owner_known = true;
    }
    return e.plan;
  }
  // A plan known only by reference is held without ownership; the entry's checks above
  // keep it from outliving the plan's graph.
  std::shared_ptr<const exec::ExecutionPlan> held =
      owner ? owner : std::shared_ptr<const exec::ExecutionPlan>(&plan, [](const exec::ExecutionPlan*) {});
  TOP_CUDA_CHECK(cudaSetDevice(shared->device));
  LaneLease lane(*shared->lanes, false);
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const DevicePlan> dp, DevicePlan::create(held, lane[0].res, opts.allow_tf32));
  CacheEntry e;
  e.key = &plan;
  e.slots_data = plan.slots.data();
  e.graph = plan.graph;
  if (owner) {
    e.owner = owner;
    e.owner_known = true;
  }
  e.plan = dp;
  cache.push_back(std::move(e));
  return dp;
}

CudaBackend::CudaBackend(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CudaBackend::~CudaBackend() {
  if (impl_ && impl_->shared) {
    cudaSetDevice(impl_->shared->device);
    cudaDeviceSynchronize();  // nothing queued may outlive the weights it reads
  }
}

Result<std::unique_ptr<CudaBackend>> CudaBackend::create(const CudaBackendOptions& opts) {
  TOP_RETURN_IF_ERROR(device_available(opts.device));
  TOP_CUDA_CHECK(cudaSetDevice(opts.device));
  auto impl = std::make_unique<Impl>();
  impl->opts = opts;
  impl->shared = std::make_shared<BackendShared>();
  impl->shared->device = opts.device;
  TOP_ASSIGN_OR_RETURN(impl->shared->lanes, LaneSet::create(opts.num_streams, opts.workspace_bytes));
  return std::unique_ptr<CudaBackend>(new CudaBackend(std::move(impl)));
}

int CudaBackend::num_threads() const { return impl_->shared->lanes->size(); }

namespace {

// Waits for a stream when leaving a scope, so device buffers released afterwards are
// never still in use (also on error paths).
struct SyncOnExit {
  cudaStream_t stream;
  ~SyncOnExit() { cudaStreamSynchronize(stream); }
};

}  // namespace

Result<std::vector<Tensor>> CudaBackend::run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                             exec::Arena& /*arena*/, const exec::StepObserver* observer) {
  BackendShared& sh = *impl_->shared;
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const DevicePlan> dp, impl_->device_plan(plan, nullptr));
  TOP_CUDA_CHECK(cudaSetDevice(sh.device));
  const IoLayout io = IoLayout::of(plan);
  LaneLease lease(*sh.lanes, false);
  Lane& lane = lease[0];
  cudaStream_t s = lane.res.stream;
  const size_t staging_bytes = io.input_bytes + io.output_bytes;
  if (lane.staging.size() < staging_bytes) {
    lane.staging.reset();
    TOP_ASSIGN_OR_RETURN(lane.staging, PinnedBuffer::create(staging_bytes));
  }
  auto* staging = static_cast<uint8_t*>(lane.staging.get());
  TOP_RETURN_IF_ERROR(stage_inputs(plan, io, inputs, staging));
  TOP_ASSIGN_OR_RETURN(TaskMemory mem, TaskMemory::allocate(sh.pool, plan.arena_bytes, io));
  SyncOnExit sync{s};  // declared after `mem`: runs before its blocks go back to the pool
  if (io.input_bytes > 0)
    TOP_CUDA_CHECK(cudaMemcpyAsync(mem.inputs.get(), staging, io.input_bytes, cudaMemcpyHostToDevice, s));
  TaskBinding b = bind_task(*dp, io, mem, nullptr);
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    auto begin = std::chrono::steady_clock::now();
    TOP_RETURN_IF_ERROR(launch_step(*dp, i, b, lane.res));
    if (observer) {  // per-step times need the step to have finished
      TOP_CUDA_CHECK(cudaStreamSynchronize(s));
      (*observer)(plan.steps[i], begin, std::chrono::steady_clock::now());
    }
  }
  if (io.output_bytes > 0)
    TOP_CUDA_CHECK(cudaMemcpyAsync(staging + io.input_bytes, mem.outputs.get(), io.output_bytes, cudaMemcpyDeviceToHost, s));
  TOP_CUDA_CHECK(cudaStreamSynchronize(s));
  return unstage_outputs(plan, io, staging + io.input_bytes, inputs);
}

Result<std::unique_ptr<ScheduleInstance>> CudaBackend::prepare(const exec::Schedule& schedule,
                                                               const std::vector<std::vector<const Tensor*>>& inputs) {
  if (!schedule.plan) return InvalidArgument("CUDA backend: prepare: the schedule has no plan");
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const DevicePlan> dp, impl_->device_plan(*schedule.plan, schedule.plan));
  TOP_CUDA_CHECK(cudaSetDevice(impl_->shared->device));
  return make_schedule_instance(impl_->shared, std::move(dp), schedule, inputs);
}

DeviceMemoryStats CudaBackend::memory_stats() const {
  DeviceMemoryStats st;
  {
    std::lock_guard<std::mutex> lock(impl_->cache_mu);
    for (const auto& e : impl_->cache) st.weights_bytes += e.plan->weights_bytes();
  }
  st.arena_bytes = impl_->shared->arena_bytes.load();
  st.pool_bytes = impl_->shared->pool.stats().held_bytes;
  st.workspace_bytes = impl_->shared->lanes->workspace_bytes();
  return st;
}

std::string CudaBackend::device_description() const {
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, impl_->shared->device) != cudaSuccess) {
    cudaGetLastError();
    return "CUDA device " + std::to_string(impl_->shared->device) + " (properties unavailable)";
  }
  char mem[32];
  std::snprintf(mem, sizeof mem, "%.1f", static_cast<double>(p.totalGlobalMem) / (1024.0 * 1024.0 * 1024.0));
  return std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
         std::to_string(p.multiProcessorCount) + " SMs, " + mem + " GiB, cuDNN " + std::to_string(cudnnGetVersion()) +
         ", " + std::to_string(num_threads()) + " streams)";
}

}  // namespace top::cuda

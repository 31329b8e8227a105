// CudaInstanceRunner: the runtime's schedule instances on the CUDA backend.
//
// Each instance becomes a cuda::ScheduleInstance (its groups on the backend's streams,
// cudaStreamWaitEvent where data flows, per-task device arenas, weights shared per
// plan); `workers` host threads each drive one instance at a time, oldest first, so up
// to `workers` instances are in flight on the GPU together (task pipelines and
// cross-model operator parallelism, as with the CPU stage executor). Outputs are copied
// back into Instance::outputs. Differences from the CPU stage executor: a failing
// instance fails all its tasks (the GPU runs them as one unit), and cancellation takes
// effect before an instance starts, not between its groups.
//
// Built only with the CUDA backend (TOP_WITH_CUDA).
#pragma once

#ifdef TOP_WITH_CUDA

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "runtime/stage_executor.h"

namespace top::runtime {

class CudaInstanceRunner final : public InstanceRunner {
 public:
  CudaInstanceRunner(std::unique_ptr<cuda::CudaBackend> backend, int workers);
  ~CudaInstanceRunner() override;  // finishes queued instances, then joins

  bool uses_host_bindings() const override { return false; }
  void submit(std::shared_ptr<Instance> inst) override;
  int num_streams() const override { return backend_->num_threads(); }
  size_t ready_groups() const override;
  double busy_streams() const override { return busy_.load(); }

 private:
  void worker_loop();
  void run(Instance& inst);

  std::unique_ptr<cuda::CudaBackend> backend_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Instance>> queue_;
  bool stopping_ = false;
  std::atomic<int> busy_{0};
  std::vector<std::thread> workers_;
};

}  // namespace top::runtime

#endif  // TOP_WITH_CUDA

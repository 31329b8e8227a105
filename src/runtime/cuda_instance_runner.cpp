#include "runtime/cuda_instance_runner.h"

#ifdef TOP_WITH_CUDA

#include <algorithm>

namespace top::runtime {

CudaInstanceRunner::CudaInstanceRunner(std::unique_ptr<cuda::CudaBackend> backend, int workers)
    : backend_(std::move(backend)) {
  for (int i = 0; i < std::max(1, workers); ++i) workers_.emplace_back([this] { worker_loop(); });
}

CudaInstanceRunner::~CudaInstanceRunner() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : workers_) w.join();
}

void CudaInstanceRunner::submit(std::shared_ptr<Instance> inst) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(inst));  // FIFO: the oldest instance starts first
  }
  cv_.notify_one();
}

size_t CudaInstanceRunner::ready_groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& inst : queue_) n += inst->compiled->groups.size();
  return n;
}

void CudaInstanceRunner::worker_loop() {
  for (;;) {
    std::shared_ptr<Instance> inst;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      inst = std::move(queue_.front());
      queue_.pop_front();
    }
    busy_.fetch_add(1);
    run(*inst);
    busy_.fetch_sub(1);
    if (inst->on_done) inst->on_done(*inst);
  }
}

void CudaInstanceRunner::run(Instance& inst) {
  if (inst.cancelled.load()) return;  // the runtime reports the tasks as cancelled
  auto fail_all = [&](const Status& st) {
    for (size_t t = 0; t < inst.task_error.size(); ++t) {
      inst.task_error[t] = st;
      inst.task_failed[t].store(true);
    }
  };
  std::vector<std::vector<const Tensor*>> ptrs(inst.inputs.size());
  for (size_t t = 0; t < inst.inputs.size(); ++t)
    for (const Tensor& x : inst.inputs[t]) ptrs[t].push_back(&x);
  auto prepared = backend_->prepare(inst.compiled->schedule, ptrs);
  if (!prepared.ok()) return fail_all(prepared.status().with_context("CUDA backend"));
  Status st = (*prepared)->run();
  if (!st.ok()) return fail_all(st.with_context("CUDA backend"));
  auto outs = (*prepared)->outputs();
  if (!outs.ok()) return fail_all(outs.status().with_context("CUDA backend"));
  inst.outputs = std::move(outs).value();
  inst.ops_done.store(inst.total_ops);
}

}  // namespace top::runtime

#endif  // TOP_WITH_CUDA

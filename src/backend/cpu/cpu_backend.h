// The CPU backend: the reference implementation. Operators run their CPU kernels,
// splitting data-parallel loops over a fixed thread pool.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "util/thread_pool.h"

namespace top::backend {

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(int num_threads);
  std::string name() const override { return "cpu"; }
  int num_threads() const override { return pool_.num_threads(); }
  Result<std::vector<Tensor>> run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                  exec::Arena& arena, const exec::StepObserver* observer) override;
  ThreadPool& pool() { return pool_; }

 private:
  ThreadPool pool_;
};

}  // namespace top::backend

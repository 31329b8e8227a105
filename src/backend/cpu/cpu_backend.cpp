#include "backend/cpu/cpu_backend.h"

#include <thread>

namespace top::backend {

CpuBackend::CpuBackend(int num_threads) : pool_(num_threads) {}

Result<std::vector<Tensor>> CpuBackend::run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                            exec::Arena& arena, const exec::StepObserver* observer) {
  return exec::run_plan(plan, inputs, arena, &pool_, observer);
}

}  // namespace top::backend

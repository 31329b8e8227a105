// Runs an ExecutionPlan's steps in order on the calling thread, each operator using
// the given thread pool for its data-parallel loops. This is the single-task,
// single-stream executor; the multi-stream stage executor builds on the same steps.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "exec/memory_plan.h"
#include "exec/plan.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top {
class ThreadPool;
}

namespace top::exec {

// Called after each step with its wall-clock interval (profiling, traces).
using StepObserver = std::function<void(const Step&, std::chrono::steady_clock::time_point begin,
                                        std::chrono::steady_clock::time_point end)>;

// A reusable activation buffer. One arena serves one run at a time.
class Arena {
 public:
  // Grows (never shrinks) to at least `bytes`; OutOfMemory when allocation fails.
  Status reserve(size_t bytes);
  uint8_t* data() const { return static_cast<uint8_t*>(buffer_.get()); }
  const std::shared_ptr<void>& owner() const { return buffer_; }
  size_t size() const { return size_; }

 private:
  std::shared_ptr<void> buffer_;
  size_t size_ = 0;
};

// Tensors of one task's run of a plan: views of constants and inputs, activations in
// the arena, graph outputs in their own storage. `view[v]` is what operators read.
struct Bindings {
  std::vector<Tensor> tensors;
  std::vector<const Tensor*> view;
};

// Prepares `b` for one run. `inputs` (graph-input order) and `arena` must outlive `b`.
// `layout` replaces the plan's own (step-order) activation offsets, for schedules that
// run the plan's steps concurrently (see plan_memory_for_order).
Status bind(const ExecutionPlan& plan, const std::vector<const Tensor*>& inputs, Arena& arena, Bindings& b,
            const ArenaLayout* layout = nullptr);
// Runs one step; errors name the node.
Status run_step(const ExecutionPlan& plan, const Step& step, Bindings& b, ThreadPool* pool);
// The graph outputs after every step ran (constants and pass-through inputs copied).
Result<std::vector<Tensor>> collect_outputs(const ExecutionPlan& plan, const Bindings& b);

// `inputs` in graph-input order, already checked by check_inputs(). Returns the graph
// outputs in graph-output order (freshly allocated, owned by the caller).
Result<std::vector<Tensor>> run_plan(const ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                     Arena& arena, ThreadPool* pool, const StepObserver* observer = nullptr);

}  // namespace top::exec

#include "exec/executor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "ops/op.h"
#include "util/memory_limits.h"

namespace top::exec {

Status Arena::reserve(size_t bytes) {
  if (bytes <= size_) return Status::Ok();
  if (static_cast<double>(bytes) > max_allocation_bytes())
    return OutOfMemory("an activation arena of " + std::to_string(bytes) + " bytes exceeds half of this machine's memory");
  size_t rounded = (bytes + 4095) / 4096 * 4096;
  void* p = std::aligned_alloc(4096, rounded);
  if (!p) return OutOfMemory("cannot allocate an activation arena of " + std::to_string(rounded) + " bytes");
  buffer_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  size_ = rounded;
  return Status::Ok();
}

Result<std::vector<Tensor>> run_plan(const ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                     Arena& arena, ThreadPool* pool, const StepObserver* observer) {
  const ir::Graph& g = *plan.graph;
  TOP_RETURN_IF_ERROR(arena.reserve(plan.arena_bytes));
  // Tensor views for every slot: constants and inputs by reference, activations in the
  // arena, graph outputs in their own storage so they outlive the run.
  std::vector<Tensor> tensors(plan.slots.size());
  std::vector<const Tensor*> view(plan.slots.size(), nullptr);
  try {
    for (size_t v = 0; v < plan.slots.size(); ++v) {
      const Slot& s = plan.slots[v];
      switch (s.kind) {
        case Slot::Kind::kConstant: view[v] = &s.constant; break;
        case Slot::Kind::kActivation:
          tensors[v] = Tensor::wrap(s.dtype, s.shape, arena.owner(), arena.data() + s.offset);
          view[v] = &tensors[v];
          break;
        case Slot::Kind::kOutput:
          tensors[v] = Tensor::zeros(s.dtype, s.shape);
          view[v] = &tensors[v];
          break;
        default: break;
      }
    }
  } catch (const std::bad_alloc&) {
    return OutOfMemory("cannot allocate the model's output tensors");
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) view[g.inputs[i]] = inputs[i];

  std::vector<const Tensor*> ins;
  std::vector<Tensor*> outs;
  for (const Step& step : plan.steps) {
    const ir::Node& node = g.nodes[step.node];
    ins.clear();
    outs.clear();
    for (ir::ValueId v : step.inputs) ins.push_back(v == ir::kNoValue ? nullptr : view[v]);
    for (ir::ValueId v : step.outputs) outs.push_back(v == ir::kNoValue ? nullptr : &tensors[v]);
    ops::KernelContext ctx(ins, outs, pool);
    auto begin = std::chrono::steady_clock::now();
    Status st;
    try {
      st = node.op->compute(ctx);
    } catch (const std::bad_alloc&) {
      st = OutOfMemory("out of memory");
    } catch (const std::exception& e) {
      st = Internal(std::string("kernel threw: ") + e.what());
    }
    if (!st.ok()) return st.with_context(node.op_type + " node '" + node.name + "'");
    if (observer) (*observer)(step, begin, std::chrono::steady_clock::now());
  }

  std::vector<Tensor> results;
  for (ir::ValueId v : g.outputs) {
    const Slot& s = plan.slots[v];
    if (s.kind == Slot::Kind::kOutput) results.push_back(tensors[v]);
    else if (view[v]) results.push_back(view[v]->clone());  // a constant or input passed through
    else return Internal("graph output '" + g.values[v].name + "' was not computed");
  }
  return results;
}

}  // namespace top::exec

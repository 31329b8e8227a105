#include "exec/executor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "ops/op.h"
#include "top/limits.h"

namespace top::exec {

Status Arena::reserve(size_t bytes) {
  if (bytes <= size_) return Status::Ok();
  if (bytes > max_allocation_bytes())
    return OutOfMemory("an activation arena of " + std::to_string(bytes) + " bytes exceeds the allocation limit of " +
                       std::to_string(max_allocation_bytes()) + " bytes (top::set_max_allocation_bytes)");
  size_t rounded = (bytes + 4095) / 4096 * 4096;
  void* p = std::aligned_alloc(4096, rounded);
  if (!p) return OutOfMemory("cannot allocate an activation arena of " + std::to_string(rounded) + " bytes");
  buffer_ = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  size_ = rounded;
  return Status::Ok();
}

Status bind(const ExecutionPlan& plan, const std::vector<const Tensor*>& inputs, Arena& arena, Bindings& b,
            const ArenaLayout* layout) {
  const ir::Graph& g = *plan.graph;
  TOP_RETURN_IF_ERROR(arena.reserve(layout ? layout->arena_bytes : plan.arena_bytes));
  b.tensors.assign(plan.slots.size(), Tensor());
  b.view.assign(plan.slots.size(), nullptr);
  try {
    for (size_t v = 0; v < plan.slots.size(); ++v) {
      const Slot& s = plan.slots[v];
      switch (s.kind) {
        case Slot::Kind::kConstant: b.view[v] = &s.constant; break;
        case Slot::Kind::kActivation:
          b.tensors[v] = Tensor::wrap(s.dtype, s.shape, arena.owner(),
                                      arena.data() + (layout ? layout->offset[v] : s.offset), s.bytes);
          b.view[v] = &b.tensors[v];
          break;
        case Slot::Kind::kOutput: {
          TOP_ASSIGN_OR_RETURN(b.tensors[v], Tensor::allocate(s.dtype, s.shape));
          b.view[v] = &b.tensors[v];
          break;
        }
        default: break;
      }
    }
  } catch (const std::bad_alloc&) {
    return OutOfMemory("cannot allocate the model's output tensors");
  }
  if (inputs.size() != g.inputs.size()) return Internal("bind: wrong number of inputs");
  for (size_t i = 0; i < g.inputs.size(); ++i) b.view[g.inputs[i]] = inputs[i];
  return Status::Ok();
}

Status run_step(const ExecutionPlan& plan, const Step& step, Bindings& b, ThreadPool* pool) {
  const ir::Node& node = plan.graph->nodes[step.node];
  // Small fixed arrays would do, but ops have few inputs and this is not the hot part
  // next to the kernels.
  std::vector<const Tensor*> ins;
  std::vector<Tensor*> outs;
  ins.reserve(step.inputs.size());
  outs.reserve(step.outputs.size());
  for (ir::ValueId v : step.inputs) ins.push_back(v == ir::kNoValue ? nullptr : b.view[v]);
  for (ir::ValueId v : step.outputs) outs.push_back(v == ir::kNoValue ? nullptr : &b.tensors[v]);
  ops::KernelContext ctx(std::move(ins), std::move(outs), pool);
  if (!step.in_blocks.empty() || !step.out_blocks.empty()) ctx.set_blocks(&step.in_blocks, &step.out_blocks);
  Status st;
  try {
    st = (step.op ? *step.op : *node.op).compute(ctx);
  } catch (const std::bad_alloc&) {
    st = OutOfMemory("out of memory");
  } catch (const std::exception& e) {
    st = Internal(std::string("kernel threw: ") + e.what());
  }
  if (!st.ok()) return st.with_context(node.op_type + " node '" + node.name + "'");
  return Status::Ok();
}

Result<std::vector<Tensor>> collect_outputs(const ExecutionPlan& plan, const Bindings& b) {
  const ir::Graph& g = *plan.graph;
  std::vector<Tensor> results;
  for (ir::ValueId v : g.outputs) {
    const Slot& s = plan.slots[v];
    if (s.kind == Slot::Kind::kOutput) results.push_back(b.tensors[v]);
    else if (b.view[v]) results.push_back(b.view[v]->clone());  // a constant or input passed through
    else return Internal("graph output '" + g.values[v].name + "' was not computed");
  }
  return results;
}

Result<std::vector<Tensor>> run_plan(const ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                     Arena& arena, ThreadPool* pool, const StepObserver* observer) {
  Bindings b;
  TOP_RETURN_IF_ERROR(bind(plan, inputs, arena, b));
  for (const Step& step : plan.steps) {
    auto begin = std::chrono::steady_clock::now();
    TOP_RETURN_IF_ERROR(run_step(plan, step, b, pool));
    if (observer) (*observer)(step, begin, std::chrono::steady_clock::now());
  }
  return collect_outputs(plan, b);
}

}  // namespace top::exec

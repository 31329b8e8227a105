#include "exec/plan.h"

#include <algorithm>
#include <map>

#include "exec/fusion.h"
#include "exec/layout.h"
#include "exec/memory_plan.h"
#include "ops/blocked_layout.h"
#include "ops/float16_promotion.h"
#include "ops/op.h"
#include "top/limits.h"

namespace top::exec {

double ExecutionPlan::total_flops() const {
  double f = 0;
  for (const Step& s : steps) f += s.cost.flops;
  return f;
}

Result<std::vector<Shape>> check_inputs(const ir::Graph& graph, const std::vector<const Tensor*>& inputs) {
  if (inputs.size() != graph.inputs.size())
    return InvalidArgument("model expects " + std::to_string(graph.inputs.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  std::vector<Shape> shapes;
  std::map<std::string, int64_t> symbols;  // a symbolic dim must agree across inputs
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value& v = graph.values[graph.inputs[i]];
    const Tensor* t = inputs[i];
    if (!t || !t->defined()) return InvalidArgument("input '" + v.name + "' is missing");
    if (t->dtype() != v.dtype)
      return InvalidArgument("input '" + v.name + "' expects dtype " + dtype_name(v.dtype) + ", got " +
                             dtype_name(t->dtype()));
    if (v.has_shape) {
      bool ok = t->shape().size() == v.shape.size();
      for (size_t d = 0; ok && d < v.shape.size(); ++d) {
        if (v.shape[d] >= 0 && v.shape[d] != t->shape()[d]) ok = false;
        const std::string& sym = d < v.dim_names.size() ? v.dim_names[d] : std::string();
        if (ok && !sym.empty()) {
          auto [it, fresh] = symbols.emplace(sym, t->shape()[d]);
          if (!fresh && it->second != t->shape()[d])
            return InvalidArgument("input '" + v.name + "' dim " + std::to_string(d) + " ('" + sym + "') is " +
                                   std::to_string(t->shape()[d]) + " but another input set it to " +
                                   std::to_string(it->second));
        }
      }
      if (!ok)
        return InvalidArgument("input '" + v.name + "' expects shape " + shape_str(v.shape) + ", got " +
                               shape_str(t->shape()));
    }
    auto bytes = checked_tensor_bytes(t->dtype(), t->shape(), "input '" + v.name + "'");
    if (!bytes.ok()) return bytes.status();
    // A wrapped buffer must be real and large enough: the kernels read nbytes() from it.
    if (*bytes > 0 && t->raw_data() == nullptr) return InvalidArgument("input '" + v.name + "' has no data (null buffer)");
    if (*bytes > t->capacity_bytes())
      return InvalidArgument("input '" + v.name + "' of shape " + shape_str(t->shape()) + " needs " +
                             std::to_string(*bytes) + " bytes but its buffer holds " +
                             std::to_string(t->capacity_bytes()));
    shapes.push_back(t->shape());
  }
  return shapes;
}

ops::InferContext step_infer_context(const ExecutionPlan& plan, const Step& step) {
  std::vector<ops::ValueInfo> ins;
  for (ir::ValueId v : step.inputs) {
    ops::ValueInfo info;
    if (v != ir::kNoValue) {
      const Slot& s = plan.slots[v];
      info.dtype = s.dtype;
      info.shape = s.shape;
      if (s.constant.defined()) info.constant = &s.constant;
    }
    ins.push_back(info);
  }
  ops::InferContext ctx(plan.graph->nodes[step.node].name, std::move(ins), step.outputs.size());
  for (size_t i = 0; i < step.outputs.size(); ++i)
    if (step.outputs[i] != ir::kNoValue)
      ctx.set_output(i, plan.slots[step.outputs[i]].dtype, plan.slots[step.outputs[i]].shape);
  return ctx;
}

namespace {

Result<std::shared_ptr<const ExecutionPlan>> make_plan_unguarded(std::shared_ptr<const ir::Graph> graph,
                                                                 const std::vector<Shape>& input_shapes,
                                                                 const PlanOptions& opts);

// Adds to `out` (once each) the indices of the graph inputs without a known value that
// `v` is computed from.
void graph_inputs_behind(const ir::Graph& g, const std::vector<Slot>& slots, ir::ValueId v, std::vector<size_t>& out) {
  std::vector<ir::ValueId> todo{v};
  std::vector<bool> seen(g.values.size(), false);
  while (!todo.empty()) {
    ir::ValueId x = todo.back();
    todo.pop_back();
    if (x == ir::kNoValue || seen[x]) continue;
    seen[x] = true;
    if (slots[x].kind == Slot::Kind::kConstant || slots[x].constant.defined()) continue;
    if (g.values[x].is_input) {
      for (size_t i = 0; i < g.inputs.size(); ++i)
        if (g.inputs[i] == x && std::find(out.begin(), out.end(), i) == out.end()) out.push_back(i);
      continue;
    }
    if (g.values[x].producer >= 0)
      for (ir::ValueId in : g.nodes[g.values[x].producer].inputs) todo.push_back(in);
  }
}

Status fold_node(const ir::Node& node, const ops::Op& op, const std::vector<ops::ValueInfo>& in_infos,
                 const ops::InferContext& ictx, std::vector<Slot>& slots) {
  std::vector<const Tensor*> ins;
  for (size_t i = 0; i < node.inputs.size(); ++i)
    ins.push_back(node.inputs[i] == ir::kNoValue ? nullptr : in_infos[i].constant);
  std::vector<Tensor> outs(node.outputs.size());
  std::vector<Tensor*> out_ptrs;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const ops::ValueInfo& o = ictx.output(i);
    if (o.present()) {
      TOP_ASSIGN_OR_RETURN(outs[i], Tensor::allocate(o.dtype, o.shape));
      out_ptrs.push_back(&outs[i]);
    } else {
      out_ptrs.push_back(nullptr);
    }
  }
  ops::KernelContext kctx(ins, out_ptrs, nullptr);
  TOP_RETURN_IF_ERROR(op.compute(kctx));
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    ir::ValueId v = node.outputs[i];
    if (v == ir::kNoValue || !outs[i].defined()) continue;
    slots[v].kind = Slot::Kind::kConstant;
    slots[v].constant = std::move(outs[i]);
  }
  return Status::Ok();
}

// Step kernels built for this plan's shapes and constants (Op::plan_kernel), after
// fusion so that they see the fused operator. Returns how many steps got one.
int build_plan_kernels(ExecutionPlan& plan) {
  int n = 0;
  for (Step& step : plan.steps) {
    if (step.float16_via_float32) continue;
    const ir::Node& node = plan.graph->nodes[step.node];
    const std::shared_ptr<const ops::Op>& op = step.op ? step.op : node.op;
    if (!op) continue;
    ops::InferContext ctx = step_infer_context(plan, step);
    std::shared_ptr<const ops::Op> kernel = op->plan_kernel(ctx, op);
    if (!kernel) continue;
    step.op = std::move(kernel);
    ++n;
  }
  return n;
}

}  // namespace

Result<std::shared_ptr<const ExecutionPlan>> make_plan(std::shared_ptr<const ir::Graph> graph,
                                                       const std::vector<Shape>& input_shapes,
                                                       const PlanOptions& opts) {
  try {
    return make_plan_unguarded(std::move(graph), input_shapes, opts);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while planning (folding constants)");
  } catch (const std::exception& e) {
    return Internal(std::string("planning failed: ") + e.what());
  }
}

namespace {

Result<std::shared_ptr<const ExecutionPlan>> make_plan_unguarded(std::shared_ptr<const ir::Graph> graph,
                                                                 const std::vector<Shape>& input_shapes,
                                                                 const PlanOptions& opts) {
  const ir::Graph& g = *graph;
  auto plan = std::make_shared<ExecutionPlan>();
  plan->graph = graph;
  plan->input_shapes = input_shapes;
  plan->slots.resize(g.values.size());
  std::vector<Slot>& slots = plan->slots;
  if (input_shapes.size() != g.inputs.size())
    return InvalidArgument("plan needs " + std::to_string(g.inputs.size()) + " input shapes");

  for (size_t v = 0; v < g.values.size(); ++v) {
    if (g.values[v].initializer.defined()) {
      slots[v].kind = Slot::Kind::kConstant;
      slots[v].constant = g.values[v].initializer;
      slots[v].dtype = g.values[v].initializer.dtype();
      slots[v].shape = g.values[v].initializer.shape();
    }
  }
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    Slot& s = slots[g.inputs[i]];
    s.kind = Slot::Kind::kInput;
    s.dtype = i < opts.input_dtypes.size() && opts.input_dtypes[i] != DataType::kUndefined ? opts.input_dtypes[i]
                                                                                           : g.values[g.inputs[i]].dtype;
    if (s.dtype == DataType::kUndefined)
      return InvalidArgument("graph input '" + g.values[g.inputs[i]].name + "' has no type to plan with");
    s.shape = input_shapes[i];
    const Tensor* value = i < opts.input_values.size() ? opts.input_values[i] : nullptr;
    if (value == nullptr) continue;
    if (value->dtype() != s.dtype || value->shape() != s.shape)
      return InvalidArgument("the value given for planning input '" + g.values[g.inputs[i]].name +
                             "' is not of its dtype and shape");
    // A copy: the plan outlives the run whose input this is (it may wrap caller memory).
    s.constant = value->clone();  // still fed at run time; known to the shape rules
    if (!s.constant.defined()) return OutOfMemory("out of memory copying a planning value");
  }
  if (opts.inputs_needing_values) opts.inputs_needing_values->clear();
  if (opts.values_needing_values) opts.values_needing_values->clear();
  std::vector<bool> known(g.values.size(), false);
  for (const auto& [v, t] : opts.known_values) {
    if (v < 0 || static_cast<size_t>(v) >= g.values.size() || !t.defined())
      return InvalidArgument("a known value given for planning is not a value of the graph");
    Slot& s = slots[static_cast<size_t>(v)];
    s.kind = Slot::Kind::kConstant;
    s.constant = t;
    s.dtype = t.dtype();
    s.shape = t.shape();
    known[static_cast<size_t>(v)] = true;
  }

  TOP_ASSIGN_OR_RETURN(std::vector<ir::NodeId> topo, g.topological_order());
  // Live nodes: those the graph outputs depend on, known values cutting the search.
  std::vector<bool> live(g.nodes.size(), true);
  if (opts.prune_dead) {
    std::vector<bool> wanted(g.values.size(), false);
    for (ir::ValueId v : g.outputs) wanted[static_cast<size_t>(v)] = true;
    for (auto it = topo.rbegin(); it != topo.rend(); ++it) {
      const ir::Node& n = g.nodes[*it];
      bool needed = false;
      for (ir::ValueId v : n.outputs)
        if (v != ir::kNoValue && wanted[static_cast<size_t>(v)] && !known[static_cast<size_t>(v)]) needed = true;
      live[*it] = needed;
      if (needed)
        for (ir::ValueId v : n.inputs)
          if (v != ir::kNoValue) wanted[static_cast<size_t>(v)] = true;
    }
  }
  for (ir::NodeId id : topo) {
    const ir::Node& node = g.nodes[id];
    if (!live[id]) continue;
    bool outputs_known = !node.outputs.empty();
    for (ir::ValueId v : node.outputs)
      if (v != ir::kNoValue && !known[static_cast<size_t>(v)]) outputs_known = false;
    if (outputs_known) continue;  // computed by an earlier partial run
    if (!node.op) return Internal("node '" + node.name + "' has no operator");
    std::vector<ops::ValueInfo> in_infos;
    bool all_constant = true;
    for (ir::ValueId v : node.inputs) {
      ops::ValueInfo info;
      if (v != ir::kNoValue) {
        const Slot& s = slots[v];
        if (s.kind == Slot::Kind::kUnused)
          return Internal("node '" + node.name + "' reads '" + g.values[v].name + "' before it is computed");
        info.dtype = s.dtype;
        info.shape = s.shape;
        if (s.kind == Slot::Kind::kConstant || (s.kind == Slot::Kind::kInput && s.constant.defined()))
          info.constant = &s.constant;
        else all_constant = false;
      }
      in_infos.push_back(info);
    }
    // The kernel this step runs: the node's own, or (float16 inputs its shape rule
    // refuses) the node's float32 kernel between conversions (ops/float16_promotion.h).
    std::shared_ptr<const ops::Op> op = node.op;
    bool promoted = false;
    auto ictx_holder = std::make_unique<ops::InferContext>(node.name, in_infos, node.outputs.size());
    Status st = op->infer(*ictx_holder);
    if (st.code() == StatusCode::kUnsupported && ops::has_float16_input(in_infos)) {
      auto wide_op = ops::float16_via_float32(node.op);
      auto wide_ctx = std::make_unique<ops::InferContext>(node.name, in_infos, node.outputs.size());
      if (wide_op->infer(*wide_ctx).ok()) {
        op = std::move(wide_op);
        ictx_holder = std::move(wide_ctx);
        promoted = true;
        st = Status::Ok();
      }
    }
    ops::InferContext& ictx = *ictx_holder;
    if (!st.ok() && opts.inputs_needing_values) {
      for (size_t i : ictx.missing_constants())
        graph_inputs_behind(g, slots, node.inputs[i], *opts.inputs_needing_values);
    }
    if (!st.ok() && opts.values_needing_values) {
      for (size_t i : ictx.missing_constants()) opts.values_needing_values->push_back(node.inputs[i]);
    }
    if (!st.ok()) {
      std::string shapes;
      for (size_t i = 0; i < in_infos.size(); ++i)
        if (in_infos[i].present()) shapes += (shapes.empty() ? "" : ", ") + shape_str(in_infos[i].shape);
      return st.with_context(node.op_type + " node '" + node.name + "' (input shapes " + shapes + ")");
    }
    size_t out_bytes = 0;
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      ir::ValueId v = node.outputs[i];
      const ops::ValueInfo& o = ictx.output(i);
      if (v == ir::kNoValue) continue;
      if (!o.present())
        return Internal(node.op_type + " node '" + node.name + "' did not infer its output " + std::to_string(i));
      for (int64_t d : o.shape)
        if (d < 0) return InvalidModel(node.op_type + " node '" + node.name + "' inferred a negative dimension");
      // Corrupt attributes can ask for absurd tensors; refuse them before allocating,
      // with the allocation path's own overflow-safe size check.
      auto out_size = checked_tensor_bytes(o.dtype, o.shape, "its output " + std::to_string(i));
      if (!out_size.ok())
        return InvalidArgument(node.op_type + " node '" + node.name + "' would produce a tensor it cannot hold: " +
                               out_size.status().message());
      slots[v].dtype = o.dtype;
      slots[v].shape = o.shape;
      slots[v].bytes = static_cast<size_t>(shape_numel(o.shape)) * dtype_size(o.dtype);
      out_bytes += slots[v].bytes;
    }
    bool values_known = !node.outputs.empty();
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != ir::kNoValue && !ictx.output_value(i)) values_known = false;
    if (values_known) {  // Shape, Size: the value follows from input shapes alone
      for (size_t i = 0; i < node.outputs.size(); ++i) {
        if (node.outputs[i] == ir::kNoValue) continue;
        slots[node.outputs[i]].kind = Slot::Kind::kConstant;
        slots[node.outputs[i]].constant = *ictx.output_value(i);
      }
      plan->folded_nodes++;
      continue;
    }
    if (all_constant && out_bytes <= opts.max_folded_bytes) {
      Status fs = fold_node(node, *op, in_infos, ictx, slots);
      if (!fs.ok()) return fs.with_context("folding constant node '" + node.name + "'");
      plan->folded_nodes++;
      continue;
    }
    Step step;
    step.node = id;
    step.inputs = node.inputs;
    // Outputs nobody reads still get (short-lived) buffers: kernels write every output.
    step.outputs = node.outputs;
    for (ir::ValueId v : node.outputs)
      if (v != ir::kNoValue) slots[v].kind = Slot::Kind::kActivation;
    if (promoted) {
      step.op = op;
      step.float16_via_float32 = true;
    }
    step.cost = op->cost(ictx);
    plan->steps.push_back(std::move(step));
  }
  for (ir::ValueId v : g.outputs)
    if (slots[v].kind == Slot::Kind::kActivation) slots[v].kind = Slot::Kind::kOutput;

  if (opts.fuse) plan->fused_nodes = fuse_operators(*plan);
  if (opts.plan_kernels) plan->plan_kernels = build_plan_kernels(*plan);
  if (opts.plan_kernels && opts.blocked_layouts)
    plan->blocked_values = assign_channel_blocks(*plan, ops::preferred_channel_block());
  MemoryPlan mp = plan_activation_memory(*plan);  // assigns Slot::offset
  plan->arena_bytes = mp.arena_bytes;
  plan->naive_bytes = mp.naive_bytes;
  return std::shared_ptr<const ExecutionPlan>(std::move(plan));
}

}  // namespace

}  // namespace top::exec

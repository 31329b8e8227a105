#include "exec/layout.h"

#include <numeric>
#include <vector>

#include "exec/plan.h"
#include "ops/op.h"

namespace top::exec {

namespace {

// Union-find over values: the values a "same layout" step ties together share one fate.
struct Classes {
  std::vector<size_t> parent;
  std::vector<bool> wanted, refused;  // per root: a blocked kernel takes it / something cannot

  explicit Classes(size_t n) : parent(n), wanted(n, false), refused(n, false) {
    std::iota(parent.begin(), parent.end(), size_t{0});
  }
  size_t find(size_t v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  }
  void join(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a == b) return;
    parent[b] = a;
    wanted[a] = wanted[a] || wanted[b];
    refused[a] = refused[a] || refused[b];
  }
};

int64_t spatial_size(const Shape& s) {
  int64_t p = 1;
  for (size_t d = 2; d < s.size(); ++d) p *= s[d];
  return p;
}

}  // namespace

int assign_channel_blocks(ExecutionPlan& plan, int block) {
  if (block <= 1) return 0;
  const std::vector<Slot>& slots = plan.slots;
  // The bytes of a float32 [N, C, spatial...] value with more than one spatial element
  // depend on the layout; every other value reads the same either way.
  auto layout_matters = [&](ir::ValueId v) {
    const Slot& s = slots[v];
    return s.dtype == DataType::kFloat32 && s.shape.size() >= 3 && s.shape.size() <= 5 && spatial_size(s.shape) > 1;
  };
  auto can_block = [&](ir::ValueId v) {
    const Slot& s = slots[v];
    return s.kind == Slot::Kind::kActivation && layout_matters(v) && s.shape[1] > 0 && s.shape[1] % block == 0 &&
           shape_numel(s.shape) > 0;
  };

  Classes cls(slots.size());
  // Pass 1: tie the operands of same-layout steps; mark what refuses or wants blocking.
  std::vector<ops::BlockedLayouts> rules(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const Step& step = plan.steps[i];
    const ir::Node& node = plan.graph->nodes[step.node];
    const std::shared_ptr<const ops::Op>& op = step.op ? step.op : node.op;
    if (op && !step.float16_via_float32) {
      ops::InferContext ctx = step_infer_context(plan, step);
      rules[i] = op->blocked_layouts(ctx);
    }
    const ops::BlockedLayouts& r = rules[i];
    auto visit = [&](ir::ValueId v, bool allowed) {
      if (v == ir::kNoValue || !layout_matters(v)) return;
      const size_t root = cls.find(static_cast<size_t>(v));
      if (!can_block(v) || !allowed) cls.refused[root] = true;
      else if (!r.same) cls.wanted[root] = true;
    };
    if (r.same) {
      ir::ValueId first = ir::kNoValue;
      for (const auto* list : {&step.inputs, &step.outputs})
        for (ir::ValueId v : *list) {
          if (v == ir::kNoValue || !layout_matters(v)) continue;
          if (first == ir::kNoValue) first = v;
          else cls.join(static_cast<size_t>(first), static_cast<size_t>(v));
        }
      for (const auto* list : {&step.inputs, &step.outputs})
        for (ir::ValueId v : *list) visit(v, true);
    } else {
      for (size_t k = 0; k < step.inputs.size(); ++k) visit(step.inputs[k], ops::layout_flag(r.inputs, k));
      for (size_t k = 0; k < step.outputs.size(); ++k) visit(step.outputs[k], ops::layout_flag(r.outputs, k));
    }
  }
  // Pass 2: blocked = wanted by a blocked kernel and refused by nobody.
  int blocked = 0;
  for (size_t v = 0; v < slots.size(); ++v) {
    plan.slots[v].channel_block = 0;
    if (!layout_matters(static_cast<ir::ValueId>(v))) continue;
    const size_t root = cls.find(v);
    if (cls.wanted[root] && !cls.refused[root]) {
      plan.slots[v].channel_block = block;
      ++blocked;
    }
  }
  // Each step's layouts for its kernel, and the boundaries: a kernel that takes the
  // blocked layout meets a plain value whose layout matters, and converts it itself.
  plan.layout_boundaries = 0;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    Step& step = plan.steps[i];
    const ops::BlockedLayouts& r = rules[i];
    bool any = false;
    auto fill = [&](const std::vector<ir::ValueId>& vs, uint32_t mask, std::vector<int>& out) {
      out.clear();
      for (size_t k = 0; k < vs.size(); ++k) {
        const int b = vs[k] == ir::kNoValue ? 0 : slots[vs[k]].channel_block;
        out.push_back(b);
        any = any || b != 0;
        if (!r.same && b == 0 && ops::layout_flag(mask, k) && vs[k] != ir::kNoValue && layout_matters(vs[k]))
          ++plan.layout_boundaries;
      }
    };
    fill(step.inputs, r.inputs, step.in_blocks);
    fill(step.outputs, r.outputs, step.out_blocks);
    if (!any) {  // all plain: the kernel's context needs no layouts
      step.in_blocks.clear();
      step.out_blocks.clear();
    }
  }
  plan.channel_block = blocked > 0 ? block : 0;
  return blocked;
}

}  // namespace top::exec

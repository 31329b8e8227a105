#include "exec/fusion.h"

#include <map>

#include "exec/plan.h"
#include "ops/op.h"

namespace top::exec {

namespace {

// The activation attributes for a fusable activation step, or false.
bool activation_attrs(const ir::Node& act, const std::vector<Slot>& slots, ir::Attributes& out) {
  ir::Attribute name;
  name.kind = ir::Attribute::Kind::kString;
  ir::Attribute params;
  params.kind = ir::Attribute::Kind::kFloats;
  const std::string& t = act.op_type;
  if (t == "Relu" || t == "Sigmoid" || t == "Tanh" || t == "HardSwish") {
  } else if (t == "LeakyRelu") {
    params.floats = {act.attrs.get_float("alpha", 0.01f)};
  } else if (t == "HardSigmoid") {
    params.floats = {act.attrs.get_float("alpha", 0.2f), act.attrs.get_float("beta", 0.5f)};
  } else if (t == "Clip") {
    float lo = -3.402823466e38f, hi = 3.402823466e38f;
    if (act.opset < 11) {
      lo = act.attrs.get_float("min", lo);
      hi = act.attrs.get_float("max", hi);
    } else {
      for (size_t i = 1; i < act.inputs.size() && i < 3; ++i) {
        ir::ValueId v = act.inputs[i];
        if (v == ir::kNoValue) continue;
        const Slot& s = slots[v];
        if (s.kind != Slot::Kind::kConstant || s.constant.numel() != 1 || s.constant.dtype() != DataType::kFloat32)
          return false;
        (i == 1 ? lo : hi) = s.constant.data<float>()[0];
      }
    }
    params.floats = {lo, hi};
  } else {
    return false;
  }
  name.s = t;
  out.set("activation", name);
  if (!params.floats.empty()) out.set("activation_params", params);
  return true;
}

}  // namespace

int fuse_operators(ExecutionPlan& plan) {
  const ir::Graph& g = *plan.graph;
  // Readers of each value among the steps, and which step writes it.
  std::map<ir::ValueId, std::vector<size_t>> readers;
  std::map<ir::ValueId, size_t> writer;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    for (ir::ValueId v : plan.steps[s].inputs)
      if (v != ir::kNoValue) readers[v].push_back(s);
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue) writer[v] = s;
  }
  auto sole_reader = [&](ir::ValueId v) -> long {
    if (v == ir::kNoValue || plan.slots[v].kind != Slot::Kind::kActivation || g.values[v].is_output) return -1;
    auto it = readers.find(v);
    if (it == readers.end() || it->second.size() != 1) return -1;
    return static_cast<long>(it->second[0]);
  };
  auto is_float = [&](ir::ValueId v) { return v != ir::kNoValue && plan.slots[v].dtype == DataType::kFloat32; };

  std::vector<bool> removed(plan.steps.size(), false);
  auto live_reader = [&](ir::ValueId v) -> long {
    long r = sole_reader(v);
    return r >= 0 && removed[static_cast<size_t>(r)] ? -1 : r;  // already part of another fusion
  };
  // v * HardSigmoid(v) with v read by exactly those two steps: HardSwish as exporters for
  // opsets before 14 write it (mobilenet_v3). Fused as the HardSwish activation with the
  // HardSigmoid's alpha and beta, which computes v * hard_sigmoid(v) exactly as the pair.
  auto hard_swish_pattern = [&](ir::ValueId v, size_t& hs, size_t& mul, ir::Attributes& attrs) {
    if (v == ir::kNoValue || plan.slots[v].kind != Slot::Kind::kActivation || g.values[v].is_output) return false;
    auto it = readers.find(v);
    if (it == readers.end() || it->second.size() != 2) return false;
    for (int swap = 0; swap < 2; ++swap) {
      const size_t a = it->second[swap], b = it->second[1 - swap];
      if (removed[a] || removed[b]) return false;
      const Step &sa = plan.steps[a], &sb = plan.steps[b];
      const ir::Node &na = g.nodes[sa.node], &nb = g.nodes[sb.node];
      if (na.op_type != "HardSigmoid" || nb.op_type != "Mul" || sa.op || sb.op || sa.outputs.size() != 1 ||
          sb.inputs.size() != 2 || sb.outputs.size() != 1 || sa.inputs[0] != v)
        continue;
      const ir::ValueId h = sa.outputs[0];
      if (h == ir::kNoValue || live_reader(h) != static_cast<long>(b)) continue;
      if (!((sb.inputs[0] == v && sb.inputs[1] == h) || (sb.inputs[0] == h && sb.inputs[1] == v))) continue;
      if (!is_float(sb.outputs[0]) || plan.slots[sb.outputs[0]].shape != plan.slots[v].shape) continue;
      attrs.set("activation", ir::Attribute::of_string("HardSwish"));
      attrs.set("activation_params",
                ir::Attribute::of_floats({na.attrs.get_float("alpha", 0.2f), na.attrs.get_float("beta", 0.5f)}));
      hs = a;
      mul = b;
      return true;
    }
    return false;
  };
  int fused = 0;
  for (size_t s = 0; s < plan.steps.size(); ++s) {
    if (removed[s]) continue;
    Step& head = plan.steps[s];
    const ir::Node& hn = g.nodes[head.node];
    if ((hn.op_type != "Conv" && hn.op_type != "Gemm") || head.op || head.outputs.size() != 1 || !is_float(head.outputs[0]))
      continue;
    if (hn.attrs.has("activation")) continue;
    std::vector<ir::ValueId> inputs = head.inputs;
    ir::ValueId out = head.outputs[0];
    std::vector<size_t> eaten;
    // Conv -> Add(out, z) with z of the output's shape: z becomes Conv's 4th input.
    long r = live_reader(out);
    if (r >= 0 && hn.op_type == "Conv" && g.nodes[plan.steps[r].node].op_type == "Add" && plan.steps[r].inputs.size() == 2) {
      const Step& add = plan.steps[r];
      ir::ValueId z = add.inputs[0] == out ? add.inputs[1] : add.inputs[0];
      if (add.inputs[0] != add.inputs[1] && is_float(z) && plan.slots[z].shape == plan.slots[out].shape &&
          plan.slots[add.outputs[0]].shape == plan.slots[out].shape) {
        while (inputs.size() < 3) inputs.push_back(ir::kNoValue);
        inputs.push_back(z);
        eaten.push_back(static_cast<size_t>(r));
        out = add.outputs[0];
        r = live_reader(out);
      }
    }
    ir::Attributes attrs = hn.attrs;
    bool has_act = false;
    size_t hs = 0, mul = 0;
    if (r < 0 && hard_swish_pattern(out, hs, mul, attrs)) {  // out * HardSigmoid(out)
      eaten.push_back(hs);
      eaten.push_back(mul);
      out = plan.steps[mul].outputs[0];
      has_act = true;
    } else if (r >= 0) {
      const Step& act = plan.steps[r];
      if (act.outputs.size() == 1 && act.inputs[0] == out && activation_attrs(g.nodes[act.node], plan.slots, attrs)) {
        eaten.push_back(static_cast<size_t>(r));
        out = act.outputs[0];
        has_act = true;
      }
    }
    if (eaten.empty()) continue;
    if (!has_act && inputs.size() < 4) continue;
    ir::Node proto = hn;
    proto.attrs = attrs;
    auto op = ops::OpRegistry::builtin().create(proto);
    if (!op.ok()) continue;  // the kernel refused the combination: keep the steps apart
    Step fused_step = head;
    fused_step.inputs = inputs;
    fused_step.outputs = {out};
    fused_step.op = std::shared_ptr<const ops::Op>(std::move(op).value());
    fused_step.attrs = std::make_shared<const ir::Attributes>(attrs);
    for (size_t e : eaten) {
      fused_step.cost.bytes += plan.steps[e].cost.bytes;
      fused_step.cost.flops += plan.steps[e].cost.flops;
      removed[e] = true;
    }
    // The fused step takes the place of the last step it replaces, where every input
    // (including a residual produced after the Conv) is ready.
    size_t last = eaten.back();
    plan.slots[head.outputs[0]].kind = Slot::Kind::kUnused;
    for (size_t k = 0; k + 1 < eaten.size(); ++k) plan.slots[plan.steps[eaten[k]].outputs[0]].kind = Slot::Kind::kUnused;
    plan.steps[last] = std::move(fused_step);
    removed[s] = true;
    fused += static_cast<int>(eaten.size());
  }
  std::vector<Step> kept;
  kept.reserve(plan.steps.size());
  for (size_t s = 0; s < plan.steps.size(); ++s)
    if (!removed[s] || plan.steps[s].op) kept.push_back(std::move(plan.steps[s]));
  plan.steps = std::move(kept);
  return fused;
}

}  // namespace top::exec

#include "exec/conv_merge.h"

#include <cstring>
#include <new>

#include "ops/op.h"

namespace top::exec {

namespace {

const ir::Attributes& step_attrs(const ExecutionPlan& plan, const Step& s) {
  return s.attrs ? *s.attrs : plan.graph->nodes[s.node].attrs;
}

std::string ints_key(const std::vector<int64_t>& v) {
  std::string k;
  for (int64_t x : v) k += std::to_string(x) + ",";
  return k;
}

std::string floats_key(const std::vector<float>& v) {
  std::string k;
  for (float x : v) k += std::to_string(x) + ",";
  return k;
}

std::string node_names(const ExecutionPlan& plan, const std::vector<int>& steps) {
  std::string names;
  for (int s : steps) names += (names.empty() ? "'" : ", '") + plan.graph->nodes[plan.steps[s].node].name + "'";
  return names;
}

}  // namespace

std::string conv_merge_key(const ExecutionPlan& plan, int step) {
  if (step < 0 || static_cast<size_t>(step) >= plan.steps.size()) return "";
  const Step& s = plan.steps[step];
  const ir::Node& node = plan.graph->nodes[s.node];
  if (node.op_type != "Conv" || s.inputs.size() < 2 || s.inputs.size() > 3 || s.outputs.size() != 1) return "";
  if (s.inputs[0] == ir::kNoValue || s.inputs[1] == ir::kNoValue) return "";
  const Slot& x = plan.slots[s.inputs[0]];
  const Slot& w = plan.slots[s.inputs[1]];
  if (s.outputs[0] == ir::kNoValue) return "";
  const Slot& y = plan.slots[s.outputs[0]];
  if (x.dtype != DataType::kFloat32 || w.kind != Slot::Kind::kConstant || w.dtype != DataType::kFloat32 ||
      y.dtype != DataType::kFloat32 || w.shape.size() < 3 || y.shape.size() != w.shape.size())
    return "";
  if (s.inputs.size() == 3 && s.inputs[2] != ir::kNoValue && plan.slots[s.inputs[2]].kind != Slot::Kind::kConstant)
    return "";
  if (y.kind != Slot::Kind::kActivation && y.kind != Slot::Kind::kOutput) return "";
  // The wide convolution runs the reference kernel on plain tensors (exec/layout.h).
  if (x.channel_block != 0 || y.channel_block != 0) return "";
  const ir::Attributes& a = step_attrs(plan, s);
  if (a.get_int("group", 1) != 1) return "";
  Shape w_rest(w.shape.begin() + 1, w.shape.end());
  Shape y_spatial(y.shape.begin() + 2, y.shape.end());
  return "x=" + std::to_string(s.inputs[0]) + "|w=" + ints_key(w_rest) + "|y=" + ints_key(y_spatial) +
         "|k=" + ints_key(a.get_ints("kernel_shape")) + "|s=" + ints_key(a.get_ints("strides")) +
         "|p=" + ints_key(a.get_ints("pads")) + "|d=" + ints_key(a.get_ints("dilations")) +
         "|ap=" + a.get_string("auto_pad", "NOTSET") + "|act=" + a.get_string("activation", "") + ":" +
         floats_key(a.get_floats("activation_params"));
}

Result<std::shared_ptr<const MergedConv>> merge_convs(const ExecutionPlan& plan, const std::vector<int>& steps) {
  if (steps.size() < 2) return InvalidArgument("merge_convs: needs at least two convolutions");
  const std::string key = conv_merge_key(plan, steps[0]);
  for (int s : steps)
    if (key.empty() || conv_merge_key(plan, s) != key)
      return InvalidArgument("merge_convs: nodes " + node_names(plan, steps) + " are not same-input convolutions");
  auto m = std::make_shared<MergedConv>();
  m->steps = steps;
  const Step& first = plan.steps[steps[0]];
  const Shape& w0 = plan.slots[first.inputs[1]].shape;
  int64_t total = 0;
  for (int s : steps) {
    const int64_t c = plan.slots[plan.steps[s].inputs[1]].shape[0];
    m->channels.push_back(c);
    total += c;
  }
  Shape ws = w0;
  ws[0] = total;
  {
    auto w = Tensor::allocate(DataType::kFloat32, ws);
    auto b = Tensor::allocate(DataType::kFloat32, {total});
    if (!w.ok() || !b.ok())
      return (w.ok() ? b.status() : w.status()).with_context("merge_convs: stacked weights of " + node_names(plan, steps));
    m->weight = std::move(w).value();
    m->bias = std::move(b).value();
  }
  size_t woff = 0;
  int64_t boff = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& st = plan.steps[steps[i]];
    const Tensor& w = plan.slots[st.inputs[1]].constant;
    std::memcpy(static_cast<char*>(m->weight.raw_data()) + woff, w.raw_data(), w.nbytes());
    woff += w.nbytes();
    if (st.inputs.size() == 3 && st.inputs[2] != ir::kNoValue) {
      const Tensor& b = plan.slots[st.inputs[2]].constant;
      if (b.numel() != m->channels[i]) return InvalidArgument("merge_convs: bias of " + node_names(plan, {steps[i]}) + " has the wrong size");
      std::memcpy(m->bias.data<float>() + boff, b.raw_data(), b.nbytes());
    }
    boff += m->channels[i];
  }
  m->output_shape = plan.slots[first.outputs[0]].shape;
  m->output_shape[1] = total;
  ir::Node proto = plan.graph->nodes[first.node];
  proto.attrs = step_attrs(plan, first);
  TOP_ASSIGN_OR_RETURN(auto op, ops::OpRegistry::builtin().create(proto));
  m->op = std::shared_ptr<const ops::Op>(std::move(op));
  m->cost = merged_conv_cost(plan, steps);
  return std::shared_ptr<const MergedConv>(std::move(m));
}

Status run_merged_conv(const ExecutionPlan& plan, const MergedConv& m, Bindings& b, ThreadPool* pool) {
  const Step& first = plan.steps[m.steps[0]];
  const Tensor* x = b.view[first.inputs[0]];
  if (!x) return Internal("merged convolution: input of " + node_names(plan, m.steps) + " is not bound");
  Status st;
  try {
    // The wide result lives only for this call: it is as large as the steps' outputs
    // together, which the arena holds anyway, and the copy out is cheap next to the GEMM.
    TOP_ASSIGN_OR_RETURN(Tensor wide, Tensor::allocate(DataType::kFloat32, m.output_shape));
    Tensor* wide_ptr = &wide;
    ops::KernelContext ctx({x, &m.weight, &m.bias}, {wide_ptr}, pool);
    st = m.op->compute(ctx);
    if (st.ok()) {
      const int64_t batch = m.output_shape[0];
      int64_t plane = 1;
      for (size_t d = 2; d < m.output_shape.size(); ++d) plane *= m.output_shape[d];
      const int64_t total = m.output_shape[1];
      int64_t c0 = 0;
      for (size_t i = 0; i < m.steps.size(); ++i) {
        Tensor& y = b.tensors[plan.steps[m.steps[i]].outputs[0]];
        const int64_t c = m.channels[i];
        if (y.numel() != batch * c * plane) {
          st = Internal("merged convolution: output of " + node_names(plan, {m.steps[i]}) + " has the wrong size");
          break;
        }
        for (int64_t n = 0; n < batch; ++n)
          std::memcpy(y.data<float>() + n * c * plane, wide.data<float>() + (n * total + c0) * plane,
                      static_cast<size_t>(c * plane) * sizeof(float));
        c0 += c;
      }
    }
  } catch (const std::bad_alloc&) {
    st = OutOfMemory("out of memory");
  }
  if (!st.ok()) return st.with_context("merged Conv nodes " + node_names(plan, m.steps));
  return Status::Ok();
}

ir::OpCost merged_conv_cost(const ExecutionPlan& plan, const std::vector<int>& steps) {
  ir::OpCost c;
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& s = plan.steps[steps[i]];
    c.flops += s.cost.flops;
    c.bytes += s.cost.bytes;
    const Slot& x = plan.slots[s.inputs[0]];
    if (i > 0) c.bytes -= static_cast<double>(shape_numel(x.shape)) * dtype_size(x.dtype);  // the input is read once
  }
  return c;
}

}  // namespace top::exec

#include "exec/interpreter.h"

#include <cstring>
#include <memory>
#include <string>

#include "ops/float16_promotion.h"
#include "ops/op.h"
#include "ops/sequence.h"

namespace top::exec {
namespace {

// Loops without a trip count stop with an error after this many iterations rather than
// running forever on a condition that never turns false (as exec/control_flow.cpp).
constexpr int64_t kMaxUnboundedIterations = int64_t{1} << 20;

std::string node_label(const ir::Node& n) { return n.op_type + " node '" + n.name + "'"; }

Result<const ir::Graph*> body_of(const ir::Node& n, const char* attr) {
  const ir::Attribute* a = n.attrs.find(attr);
  if (a == nullptr || a->kind != ir::Attribute::Kind::kGraph || !a->g)
    return InvalidModel(node_label(n) + ": attribute '" + attr + "' (a graph) is required");
  return a->g.get();
}

Result<bool> bool_of(const Value& v, const std::string& what) {
  if (!v.is_tensor() || v.tensor().dtype() != DataType::kBool || v.tensor().numel() != 1)
    return InvalidArgument(what + " must be one bool");
  // Read as a byte: a model may hold bool bytes other than 0 and 1.
  return static_cast<const uint8_t*>(v.tensor().raw_data())[0] != 0;
}

// A tensor node: its shape rule on the actual inputs, then its kernel.
Result<std::vector<Value>> run_tensor_node(const ir::Node& n, const std::vector<Value>& in, ThreadPool* pool) {
  std::vector<ops::ValueInfo> infos;
  std::vector<const Tensor*> ins;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i].is_sequence())
      return InvalidArgument(node_label(n) + " takes tensors; its input " + std::to_string(i) + " is a sequence");
    if (in[i].is_none()) {
      infos.emplace_back();
      ins.push_back(nullptr);
      continue;
    }
    const Tensor& t = in[i].tensor();
    infos.push_back(ops::ValueInfo{t.dtype(), t.shape(), &t});
    ins.push_back(&t);
  }
  std::shared_ptr<const ops::Op> op = n.op;
  auto ictx = std::make_unique<ops::InferContext>(n.name, infos, n.outputs.size());
  Status st = op->infer(*ictx);
  if (st.code() == StatusCode::kUnsupported && ops::has_float16_input(infos)) {
    auto wide = ops::float16_via_float32(n.op);
    auto wide_ctx = std::make_unique<ops::InferContext>(n.name, infos, n.outputs.size());
    if (wide->infer(*wide_ctx).ok()) {
      op = std::move(wide);
      ictx = std::move(wide_ctx);
      st = Status::Ok();
    }
  }
  TOP_RETURN_IF_ERROR(st.with_context(node_label(n)));
  std::vector<Tensor> outs(n.outputs.size());
  std::vector<Tensor*> out_ptrs(n.outputs.size(), nullptr);
  bool all_values = !n.outputs.empty();
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    if (n.outputs[i] == ir::kNoValue) continue;
    if (const Tensor* v = ictx->output_value(i)) {  // Shape, Size: known from the shapes
      outs[i] = *v;
      continue;
    }
    all_values = false;
    const ops::ValueInfo& o = ictx->output(i);
    if (!o.present()) return Internal(node_label(n) + " did not infer its output " + std::to_string(i));
    for (int64_t d : o.shape)
      if (d < 0) return InvalidModel(node_label(n) + " inferred a negative dimension");
    Result<Tensor> t = Tensor::allocate(o.dtype, o.shape);
    if (!t.ok()) return t.status().with_context(node_label(n) + ", output " + std::to_string(i));
    outs[i] = std::move(t).value();
    out_ptrs[i] = &outs[i];
  }
  if (!all_values) {
    // Outputs the model omits still get buffers: kernels write every output they have.
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i] != ir::kNoValue || out_ptrs[i] != nullptr || !ictx->output(i).present()) continue;
      TOP_ASSIGN_OR_RETURN(outs[i], Tensor::allocate(ictx->output(i).dtype, ictx->output(i).shape));
      out_ptrs[i] = &outs[i];
    }
    ops::KernelContext kctx(ins, out_ptrs, pool);
    TOP_RETURN_IF_ERROR(op->compute(kctx).with_context(node_label(n)));
  }
  std::vector<Value> r;
  for (Tensor& t : outs) r.push_back(t.defined() ? Value(std::move(t)) : Value());
  return r;
}

Result<std::vector<Value>> run_if(const ir::Node& n, const std::vector<Value>& in, ThreadPool* pool) {
  TOP_ASSIGN_OR_RETURN(bool cond, bool_of(in.empty() ? Value() : in[0], node_label(n) + ": cond"));
  TOP_ASSIGN_OR_RETURN(const ir::Graph* branch, body_of(n, cond ? "then_branch" : "else_branch"));
  const std::vector<Value> body_in(in.begin() + 1, in.end());
  if (body_in.size() != branch->inputs.size())
    return Internal(node_label(n) + ": inputs do not match the branch's outer-scope values");
  Result<std::vector<Value>> r = interpret(*branch, body_in, pool);
  if (!r.ok()) return r.status().with_context(node_label(n));
  return r;
}

// Stacks one scan output's per-iteration tensors along a new axis 0.
Result<Tensor> stack(const std::vector<Tensor>& parts, const ir::Value& declared, const std::string& what) {
  if (parts.empty()) {  // no iteration ran: [0] followed by the declared shape, if fixed
    Shape s{0};
    bool fixed = declared.has_shape;
    for (int64_t d : declared.shape) fixed = fixed && d >= 0;
    if (fixed) s.insert(s.end(), declared.shape.begin(), declared.shape.end());
    const DataType dt = declared.dtype == DataType::kUndefined ? DataType::kFloat32 : declared.dtype;
    return Tensor::allocate(dt, s);
  }
  Shape s = parts[0].shape();
  s.insert(s.begin(), static_cast<int64_t>(parts.size()));
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(parts[0].dtype(), s));
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (size_t t = 0; t < parts.size(); ++t) {
    if (parts[t].dtype() != parts[0].dtype() || parts[t].shape() != parts[0].shape())
      return InvalidArgument(what + " is " + dtype_name(parts[t].dtype()) + " " + shape_str(parts[t].shape()) +
                             " at iteration " + std::to_string(t) + " but " + dtype_name(parts[0].dtype()) + " " +
                             shape_str(parts[0].shape()) + " at iteration 0");
    if (parts[t].nbytes() > 0) std::memcpy(dst + t * parts[0].nbytes(), parts[t].raw_data(), parts[t].nbytes());
  }
  return out;
}

Result<std::vector<Value>> run_loop(const ir::Node& n, const std::vector<Value>& in, ThreadPool* pool) {
  const std::string p = node_label(n);
  TOP_ASSIGN_OR_RETURN(const ir::Graph* body, body_of(n, "body"));
  const size_t implicit = body->implicit_inputs.size();
  if (in.size() < 2 + implicit || body->inputs.size() != in.size())
    return InvalidModel(p + ": needs M, cond, the body's carried values and its outer-scope values");
  const size_t carried = in.size() - 2 - implicit;
  if (body->outputs.size() < 1 + carried)
    return InvalidModel(p + ": the body must output cond and its " + std::to_string(carried) + " carried values");
  const size_t scans = body->outputs.size() - 1 - carried;
  int64_t max_trips = kMaxUnboundedIterations;
  const bool bounded = !in[0].is_none();
  if (bounded) {
    if (!in[0].is_tensor() || in[0].tensor().dtype() != DataType::kInt64 || in[0].tensor().numel() != 1)
      return InvalidArgument(p + ": M must be one int64");
    max_trips = in[0].tensor().data<int64_t>()[0];
  }
  bool cond = true;
  if (!in[1].is_none()) {
    TOP_ASSIGN_OR_RETURN(cond, bool_of(in[1], p + ": cond"));
  }
  std::vector<Value> state(in.begin() + 2, in.begin() + 2 + static_cast<std::ptrdiff_t>(carried));
  std::vector<std::vector<Tensor>> scanned(scans);
  int64_t t = 0;
  for (; t < max_trips && cond; ++t) {
    Tensor iter = Tensor::scalar<int64_t>(t), cond_in = Tensor::scalar<bool>(cond);
    if (!iter.defined() || !cond_in.defined()) return OutOfMemory(p + ": cannot allocate the body's inputs");
    std::vector<Value> body_in{Value(std::move(iter)), Value(std::move(cond_in))};
    for (Value& v : state) body_in.push_back(std::move(v));
    body_in.insert(body_in.end(), in.end() - static_cast<std::ptrdiff_t>(implicit), in.end());
    Result<std::vector<Value>> out = interpret(*body, body_in, pool);
    if (!out.ok()) return out.status().with_context(p + ", iteration " + std::to_string(t));
    TOP_ASSIGN_OR_RETURN(cond, bool_of((*out)[0], p + ": the body's cond output"));
    for (size_t i = 0; i < carried; ++i) state[i] = std::move((*out)[1 + i]);
    for (size_t s = 0; s < scans; ++s) {
      Value& v = (*out)[1 + carried + s];
      if (!v.is_tensor()) return InvalidArgument(p + ": scan output " + std::to_string(s) + " must be a tensor");
      scanned[s].push_back(v.tensor());
    }
  }
  if (!bounded && cond)
    return InvalidArgument(p + ": no trip count and the condition still true after " + std::to_string(t) +
                           " iterations");
  std::vector<Value> result = std::move(state);
  for (size_t s = 0; s < scans; ++s) {
    const ir::Value& declared = body->values[static_cast<size_t>(body->outputs[1 + carried + s])];
    TOP_ASSIGN_OR_RETURN(Tensor stacked, stack(scanned[s], declared, p + ": scan output " + std::to_string(s)));
    result.push_back(Value(std::move(stacked)));
  }
  return result;
}

Result<std::vector<Value>> run_node(const ir::Node& n, const std::vector<Value>& in, ThreadPool* pool) {
  if (!n.op) return Internal(node_label(n) + " has no operator");
  const bool default_domain = n.domain.empty() || n.domain == "ai.onnx";
  if (default_domain && n.op_type == "Identity") {  // any kind of value passes through
    if (in.size() != 1) return InvalidModel(node_label(n) + " takes one input");
    return std::vector<Value>{in[0]};
  }
  if (default_domain && n.op_type == "If") return run_if(n, in, pool);
  if (default_domain && n.op_type == "Loop") return run_loop(n, in, pool);
  if (const auto* seq_op = dynamic_cast<const ops::SequenceOp*>(n.op.get())) {
    ops::SequenceContext ctx;
    ctx.node_name = n.name;
    ctx.pool = pool;
    ctx.run_body = [pool](const ir::Graph& g, const std::vector<Value>& body_in) { return interpret(g, body_in, pool); };
    return seq_op->evaluate(in, n.outputs.size(), ctx);
  }
  return run_tensor_node(n, in, pool);
}

}  // namespace

bool needs_interpreter(const ir::Graph& g) {
  for (const ir::Value& v : g.values)
    if (v.is_sequence || v.is_optional) return true;
  for (const ir::Node& n : g.nodes) {
    if (dynamic_cast<const ops::SequenceOp*>(n.op.get()) != nullptr) return true;
    for (const auto& kv : n.attrs.items())
      if (kv.second.kind == ir::Attribute::Kind::kGraph && kv.second.g && needs_interpreter(*kv.second.g)) return true;
  }
  return false;
}

Result<std::vector<Value>> interpret(const ir::Graph& g, const std::vector<Value>& inputs, ThreadPool* pool) {
  if (inputs.size() != g.inputs.size())
    return Internal("graph '" + g.name + "' takes " + std::to_string(g.inputs.size()) + " inputs, given " +
                    std::to_string(inputs.size()));
  std::vector<Value> vals(g.values.size());
  for (size_t i = 0; i < g.values.size(); ++i)
    if (g.values[i].initializer.defined()) vals[i] = Value(g.values[i].initializer);
  for (size_t i = 0; i < inputs.size(); ++i) vals[static_cast<size_t>(g.inputs[i])] = inputs[i];
  TOP_ASSIGN_OR_RETURN(std::vector<ir::NodeId> order, g.topological_order());
  for (ir::NodeId id : order) {
    const ir::Node& n = g.nodes[static_cast<size_t>(id)];
    std::vector<Value> in;
    for (ir::ValueId v : n.inputs) in.push_back(v == ir::kNoValue ? Value() : vals[static_cast<size_t>(v)]);
    TOP_ASSIGN_OR_RETURN(std::vector<Value> out, run_node(n, in, pool));
    if (out.size() != n.outputs.size())
      return Internal(node_label(n) + " gave " + std::to_string(out.size()) + " outputs, not " +
                      std::to_string(n.outputs.size()));
    for (size_t i = 0; i < out.size(); ++i)
      if (n.outputs[i] != ir::kNoValue) vals[static_cast<size_t>(n.outputs[i])] = std::move(out[i]);
  }
  std::vector<Value> result;
  for (ir::ValueId v : g.outputs) result.push_back(vals[static_cast<size_t>(v)]);
  return result;
}

}  // namespace top::exec

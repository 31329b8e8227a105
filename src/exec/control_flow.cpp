// If, Loop and Scan on the CPU: each runs its bodies (exec/subgraph.h) with the
// planner and executor, which is why these operators live in exec/ rather than ops/
// (registered with the others from ops/registry.cpp, families.h).
//
// Their outputs must have shapes when the enclosing graph is planned:
//   If    the condition's value when it is known (a constant, or a graph input the
//         session plans by value), else both branches must give the same types and shapes;
//   Loop  carried values keep their shape across iterations; scan outputs need the trip
//         count when planning: M known, the condition input known, and a body whose
//         condition output passes its condition input through (or no scan outputs);
//         the body is planned with iteration 0 and every iteration's shapes are checked;
//   Scan  always static (the scan axis' length).
// Data-dependent trip counts with scan outputs are refused by name.
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "exec/subgraph.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

using exec::Subgraph;

Result<std::shared_ptr<Subgraph>> body_of(const ir::Attributes& attrs, const char* name, const std::string& p) {
  const ir::Attribute* a = attrs.find(name);
  if (a == nullptr || a->kind != ir::Attribute::Kind::kGraph || !a->g)
    return InvalidArgument(p + "attribute '" + name + "' (a graph) is required");
  return std::make_shared<Subgraph>(a->g);
}

bool is_scalar_of(const ValueInfo& v, DataType t) { return v.dtype == t && shape_numel(v.shape) == 1; }

// A bool tensor's first value, read as a byte (any non-zero byte is true): a model file
// may hold bool bytes other than 0 and 1, and loading those as bool is undefined.
bool first_bool(const Tensor& t) { return static_cast<const uint8_t*>(t.raw_data())[0] != 0; }

// A scalar input of a body (Tensor::scalar, with its allocation failure as a Status).
template <class T>
Result<Tensor> scalar_input(T v) {
  Tensor t = Tensor::scalar<T>(v);
  if (!t.defined()) return OutOfMemory("cannot allocate a body's scalar input");
  return t;
}

// After a body failed to plan: the node inputs behind the body inputs it needed values
// of are recorded as missing, so the planner can name the graph inputs to plan by value.
void note_needed(const InferContext& ctx, const std::vector<size_t>& needing, size_t body_first_implicit,
                 size_t node_first_implicit) {
  for (size_t i : needing)
    if (i >= body_first_implicit) (void)ctx.constant_input(node_first_implicit + (i - body_first_implicit));
}

// [outer, d, inner] of `s` around `axis` (ops/op_util.h), inner in bytes.
struct AxisView {
  int64_t outer = 1, d = 1, inner_bytes = 0;
};
AxisView axis_view(const Shape& s, int64_t axis, DataType dt) {
  const SoftmaxSplit split = softmax_split(s, axis, false);
  return AxisView{split.outer, split.d, split.inner * static_cast<int64_t>(dtype_size(dt))};
}

Shape without_axis(Shape s, int64_t axis) {
  s.erase(s.begin() + axis);
  return s;
}
Shape with_axis(Shape s, int64_t axis, int64_t d) {
  s.insert(s.begin() + axis, d);
  return s;
}

// Slice i of x along axis (the axis removed).
Result<Tensor> take(const Tensor& x, int64_t axis, int64_t i) {
  TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(x.dtype(), without_axis(x.shape(), axis)));
  const AxisView v = axis_view(x.shape(), axis, x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (int64_t o = 0; o < v.outer; ++o)
    std::memcpy(dst + o * v.inner_bytes, src + (o * v.d + i) * v.inner_bytes, static_cast<size_t>(v.inner_bytes));
  return out;
}

// Writes `piece` as slice i of out along axis.
Status put(Tensor& out, int64_t axis, int64_t i, const Tensor& piece, const std::string& what) {
  if (piece.dtype() != out.dtype() || piece.shape() != without_axis(out.shape(), axis))
    return InvalidArgument(what + " is " + dtype_name(piece.dtype()) + " " + shape_str(piece.shape()) +
                           ", not a slice of the planned " + dtype_name(out.dtype()) + " " + shape_str(out.shape()));
  const AxisView v = axis_view(out.shape(), axis, out.dtype());
  const auto* src = static_cast<const uint8_t*>(piece.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  for (int64_t o = 0; o < v.outer; ++o)
    std::memcpy(dst + (o * v.d + i) * v.inner_bytes, src + o * v.inner_bytes, static_cast<size_t>(v.inner_bytes));
  return Status::Ok();
}

// ---- If -------------------------------------------------------------------------------

class IfOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(then_, body_of(attrs, "then_branch", "If: "));
    TOP_ASSIGN_OR_RETURN(else_, body_of(attrs, "else_branch", "If: "));
    if (then_->num_declared_inputs() != 0 || else_->num_declared_inputs() != 0)
      return InvalidArgument("If: branches take no inputs");
    if (then_->num_outputs() != else_->num_outputs())
      return InvalidArgument("If: then_branch has " + std::to_string(then_->num_outputs()) + " outputs, else_branch " +
                             std::to_string(else_->num_outputs()));
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("If", ctx);
    if (!ctx.has_input(0) || !is_scalar_of(ctx.input(0), DataType::kBool))
      return InvalidArgument(p + "cond must be a bool tensor of one element");
    if (ctx.num_inputs() != 1 + then_->num_implicit_inputs())
      return Internal(p + "inputs do not match the branches' outer-scope values");
    if (ctx.num_outputs() != then_->num_outputs())
      return InvalidArgument(p + "has " + std::to_string(ctx.num_outputs()) + " outputs, the branches " +
                             std::to_string(then_->num_outputs()));
    std::vector<ValueInfo> in;
    for (size_t i = 1; i < ctx.num_inputs(); ++i) in.push_back(ctx.input(i));
    std::vector<ValueInfo> out;
    if (const Tensor* cond = ctx.constant_input(0)) {
      const Subgraph& branch = first_bool(*cond) ? *then_ : *else_;
      std::vector<size_t> needing;
      Result<std::vector<ValueInfo>> r = branch.infer(in, &needing);
      if (!r.ok()) note_needed(ctx, needing, 0, 1);
      TOP_RETURN_IF_ERROR(r.status().with_context(p));
      out = *r;
    } else {
      std::vector<size_t> needing;
      Result<std::vector<ValueInfo>> a = then_->infer(in, &needing);
      if (!a.ok()) note_needed(ctx, needing, 0, 1);
      TOP_RETURN_IF_ERROR(a.status().with_context(p));
      Result<std::vector<ValueInfo>> b = else_->infer(in, &needing);
      if (!b.ok()) note_needed(ctx, needing, 0, 1);
      TOP_RETURN_IF_ERROR(b.status().with_context(p));
      for (size_t i = 0; i < a->size(); ++i)
        if ((*a)[i].dtype != (*b)[i].dtype || (*a)[i].shape != (*b)[i].shape)
          return Unsupported(p + "output " + std::to_string(i) + " is " + dtype_name((*a)[i].dtype) + " " +
                             shape_str((*a)[i].shape) + " in then_branch but " + dtype_name((*b)[i].dtype) + " " +
                             shape_str((*b)[i].shape) + " in else_branch: the condition must be known when planning");
      out = *a;
    }
    for (size_t i = 0; i < out.size(); ++i) ctx.set_output(i, out[i].dtype, out[i].shape);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& cond = ctx.input(0);
    if (cond.dtype() != DataType::kBool || cond.numel() != 1) return InvalidArgument("If: cond must be one bool");
    const Subgraph& branch = first_bool(cond) ? *then_ : *else_;
    std::vector<const Tensor*> in;
    for (size_t i = 1; i < ctx.num_inputs(); ++i) in.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
    TOP_ASSIGN_OR_RETURN(std::vector<Tensor> out, branch.run(in, ctx.pool()));
    for (size_t i = 0; i < ctx.num_outputs(); ++i)
      if (ctx.has_output(i))
        TOP_RETURN_IF_ERROR(exec::copy_into(ctx.output(i), out[i], "If: output " + std::to_string(i)));
    return Status::Ok();
  }

 private:
  std::shared_ptr<Subgraph> then_, else_;
};

// ---- Loop -----------------------------------------------------------------------------

// Loops without a trip count stop with an error after this many iterations rather than
// running forever on a condition that never turns false.
constexpr int64_t kMaxUnboundedIterations = int64_t{1} << 20;

class LoopOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(body_, body_of(attrs, "body", "Loop: "));
    if (body_->num_declared_inputs() < 2) return InvalidArgument("Loop: the body needs iteration_num and cond inputs");
    carried_ = body_->num_declared_inputs() - 2;
    if (body_->num_outputs() < 1 + carried_)
      return InvalidArgument("Loop: the body must output cond and its " + std::to_string(carried_) + " carried values");
    scans_ = body_->num_outputs() - 1 - carried_;
    // Does the body pass its condition through (cond_out = cond_in, directly or by Identity)?
    const ir::Graph& g = body_->graph();
    const ir::ValueId cond_in = g.inputs[1], cond_out = g.outputs[0];
    const ir::NodeId producer = g.values[static_cast<size_t>(cond_out)].producer;
    cond_passed_through_ = cond_out == cond_in ||
                           (producer >= 0 && g.nodes[static_cast<size_t>(producer)].op_type == "Identity" &&
                            g.nodes[static_cast<size_t>(producer)].inputs.size() == 1 &&
                            g.nodes[static_cast<size_t>(producer)].inputs[0] == cond_in);
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Loop", ctx);
    if (ctx.num_inputs() != 2 + carried_ + body_->num_implicit_inputs())
      return InvalidArgument(p + "needs M, cond and " + std::to_string(carried_) + " initial values");
    if (ctx.has_input(0) && !is_scalar_of(ctx.input(0), DataType::kInt64))
      return InvalidArgument(p + "M must be one int64");
    if (ctx.has_input(1) && !is_scalar_of(ctx.input(1), DataType::kBool))
      return InvalidArgument(p + "cond must be one bool");
    if (ctx.num_outputs() != carried_ + scans_)
      return InvalidArgument(p + "has " + std::to_string(ctx.num_outputs()) + " outputs, the body gives " +
                             std::to_string(carried_ + scans_));
    // The body planned for iteration 0 with cond true.
    TOP_ASSIGN_OR_RETURN(Tensor iter0, scalar_input<int64_t>(0));
    TOP_ASSIGN_OR_RETURN(Tensor yes, scalar_input<bool>(true));
    std::vector<ValueInfo> in = {ValueInfo{DataType::kInt64, {}, &iter0}, ValueInfo{DataType::kBool, {}, &yes}};
    for (size_t i = 0; i < carried_; ++i) {
      if (!ctx.has_input(2 + i)) return InvalidArgument(p + "initial value " + std::to_string(i) + " is missing");
      in.push_back(ValueInfo{ctx.input_dtype(2 + i), ctx.input_shape(2 + i), nullptr});
    }
    for (size_t i = 2 + carried_; i < ctx.num_inputs(); ++i) in.push_back(ctx.input(i));
    std::vector<size_t> needing;
    Result<std::vector<ValueInfo>> out = body_->infer(in, &needing);
    if (!out.ok()) note_needed(ctx, needing, 2 + carried_, 2 + carried_);
    TOP_RETURN_IF_ERROR(out.status().with_context(p));
    if ((*out)[0].dtype != DataType::kBool || shape_numel((*out)[0].shape) != 1)
      return InvalidArgument(p + "the body's cond output must be one bool");
    for (size_t i = 0; i < carried_; ++i) {
      const ValueInfo& o = (*out)[1 + i];
      if (o.dtype != in[2 + i].dtype || o.shape != in[2 + i].shape)
        return Unsupported(p + "carried value " + std::to_string(i) + " changes from " + dtype_name(in[2 + i].dtype) +
                           " " + shape_str(in[2 + i].shape) + " to " + dtype_name(o.dtype) + " " + shape_str(o.shape) +
                           " across an iteration");
      ctx.set_output(i, o.dtype, o.shape);
    }
    if (scans_ == 0) return Status::Ok();
    TOP_ASSIGN_OR_RETURN(int64_t trips, planned_trip_count(ctx, p));
    for (size_t s = 0; s < scans_; ++s) {
      const ValueInfo& o = (*out)[1 + carried_ + s];
      ctx.set_output(carried_ + s, o.dtype, with_axis(o.shape, 0, trips));
    }
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const int64_t max_trips = ctx.has_input(0) ? ctx.input(0).data<int64_t>()[0] : kMaxUnboundedIterations;
    bool cond = ctx.has_input(1) ? first_bool(ctx.input(1)) : true;
    std::vector<Tensor> carried;
    for (size_t i = 0; i < carried_; ++i) carried.push_back(ctx.input(2 + i));  // shared, never written
    int64_t t = 0;
    for (; t < max_trips && cond; ++t) {
      TOP_ASSIGN_OR_RETURN(Tensor iter, scalar_input<int64_t>(t));
      TOP_ASSIGN_OR_RETURN(Tensor cond_in, scalar_input<bool>(cond));
      std::vector<const Tensor*> in = {&iter, &cond_in};
      for (const Tensor& c : carried) in.push_back(&c);
      for (size_t i = 2 + carried_; i < ctx.num_inputs(); ++i) in.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
      TOP_ASSIGN_OR_RETURN(std::vector<Tensor> out, body_->run(in, ctx.pool()));
      if (out[0].dtype() != DataType::kBool || out[0].numel() != 1)
        return InvalidArgument("Loop: the body's cond output must be one bool");
      cond = first_bool(out[0]);
      for (size_t i = 0; i < carried_; ++i) {
        if (out[1 + i].shape() != carried[i].shape() || out[1 + i].dtype() != carried[i].dtype())
          return InvalidArgument("Loop: carried value " + std::to_string(i) + " changed shape at iteration " +
                                 std::to_string(t));
        carried[i] = std::move(out[1 + i]);
      }
      for (size_t s = 0; s < scans_; ++s) {
        if (!ctx.has_output(carried_ + s)) continue;
        Tensor& dst = ctx.output(carried_ + s);
        if (t >= dst.dim(0))
          return InvalidArgument("Loop: ran more iterations than the " + std::to_string(dst.dim(0)) + " planned");
        TOP_RETURN_IF_ERROR(put(dst, 0, t, out[1 + carried_ + s], "Loop: scan output " + std::to_string(s)));
      }
    }
    if (!ctx.has_input(0) && cond)
      return InvalidArgument("Loop: no trip count and the condition still true after " + std::to_string(t) +
                             " iterations");
    for (size_t s = 0; s < scans_; ++s)
      if (ctx.has_output(carried_ + s) && ctx.output(carried_ + s).dim(0) != t)
        return InvalidArgument("Loop: ran " + std::to_string(t) + " iterations, planned " +
                               std::to_string(ctx.output(carried_ + s).dim(0)));
    for (size_t i = 0; i < carried_; ++i)
      if (ctx.has_output(i))
        TOP_RETURN_IF_ERROR(exec::copy_into(ctx.output(i), carried[i], "Loop: final value " + std::to_string(i)));
    return Status::Ok();
  }

 private:
  // The iterations a loop with scan outputs runs, which must be known when planning.
  Result<int64_t> planned_trip_count(const InferContext& ctx, const std::string& p) const {
    const Tensor* m = ctx.has_input(0) ? ctx.constant_input(0) : nullptr;
    const Tensor* c = ctx.has_input(1) ? ctx.constant_input(1) : nullptr;
    if (ctx.has_input(1) && c == nullptr)
      return InvalidArgument(p + "scan outputs need the condition input's value when planning");
    if (c != nullptr && !first_bool(*c)) return int64_t{0};
    if (!cond_passed_through_)
      return Unsupported(p + "scan outputs with a condition the body computes: the trip count depends on the data");
    if (!ctx.has_input(0)) return Unsupported(p + "scan outputs without a trip count M");
    if (m == nullptr) return InvalidArgument(p + "scan outputs need M's value when planning");
    return std::max<int64_t>(0, m->data<int64_t>()[0]);
  }

  std::shared_ptr<Subgraph> body_;
  size_t carried_ = 0, scans_ = 0;
  bool cond_passed_through_ = false;
};

// ---- Scan -----------------------------------------------------------------------------

class ScanOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    batched_ = opset < 9;  // Scan-8: a batch axis 0 and the scan axis 1 everywhere
    TOP_ASSIGN_OR_RETURN(body_, body_of(attrs, "body", "Scan: "));
    const int64_t m = attrs.get_int("num_scan_inputs", -1);
    if (m < 1 || static_cast<size_t>(m) > body_->num_declared_inputs())
      return InvalidArgument("Scan: num_scan_inputs must be in [1, the body's inputs]");
    scan_inputs_ = static_cast<size_t>(m);
    states_ = body_->num_declared_inputs() - scan_inputs_;
    if (body_->num_outputs() < states_) return InvalidArgument("Scan: the body must output its states");
    scan_outputs_ = body_->num_outputs() - states_;
    in_axes_ = attrs.get_ints("scan_input_axes", std::vector<int64_t>(scan_inputs_, 0));
    in_dirs_ = attrs.get_ints(batched_ ? "directions" : "scan_input_directions", std::vector<int64_t>(scan_inputs_, 0));
    out_axes_ = attrs.get_ints("scan_output_axes", std::vector<int64_t>(scan_outputs_, 0));
    out_dirs_ = attrs.get_ints("scan_output_directions", std::vector<int64_t>(scan_outputs_, 0));
    if (in_axes_.size() != scan_inputs_ || in_dirs_.size() != scan_inputs_ || out_axes_.size() != scan_outputs_ ||
        out_dirs_.size() != scan_outputs_)
      return InvalidArgument("Scan: the axes and directions attributes need one entry per scan input/output");
    if (batched_ && (attrs.has("scan_input_axes") || attrs.has("scan_output_axes")))
      return InvalidArgument("Scan-8 has no axes attributes");
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Scan", ctx);
    const size_t first = batched_ ? 1 : 0;  // Scan-8's sequence_lens comes first
    if (ctx.num_inputs() != first + states_ + scan_inputs_ + body_->num_implicit_inputs())
      return InvalidArgument(p + "needs " + std::to_string(states_) + " states and " + std::to_string(scan_inputs_) +
                             " scan inputs");
    if (batched_ && ctx.has_input(0)) return Unsupported(p + "sequence_lens (only full-length sequences)");
    if (ctx.num_outputs() != states_ + scan_outputs_)
      return InvalidArgument(p + "has " + std::to_string(ctx.num_outputs()) + " outputs, the body gives " +
                             std::to_string(states_ + scan_outputs_));
    int64_t batch = 1, trips = -1;
    std::vector<ValueInfo> in;
    for (size_t i = 0; i < states_; ++i) {
      if (!ctx.has_input(first + i)) return InvalidArgument(p + "state " + std::to_string(i) + " is missing");
      Shape s = ctx.input_shape(first + i);
      if (batched_) {
        if (s.empty()) return InvalidArgument(p + "Scan-8 states need a batch axis");
        batch = s[0];
        s.erase(s.begin());
      }
      in.push_back(ValueInfo{ctx.input_dtype(first + i), s, nullptr});
    }
    for (size_t j = 0; j < scan_inputs_; ++j) {
      const size_t k = first + states_ + j;
      if (!ctx.has_input(k)) return InvalidArgument(p + "scan input " + std::to_string(j) + " is missing");
      Shape s = ctx.input_shape(k);
      if (batched_) {
        if (s.size() < 2) return InvalidArgument(p + "Scan-8 scan inputs need batch and sequence axes");
        if (states_ > 0 && s[0] != batch) return InvalidArgument(p + "batch sizes differ");
        batch = s[0];
        s.erase(s.begin());
      }
      TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(batched_ ? 0 : in_axes_[j], static_cast<int64_t>(s.size()),
                                                   p + "scan_input_axes: "));
      if (trips >= 0 && s[static_cast<size_t>(axis)] != trips)
        return InvalidArgument(p + "scan inputs differ in length along their scan axes");
      trips = s[static_cast<size_t>(axis)];
      in.push_back(ValueInfo{ctx.input_dtype(k), without_axis(s, axis), nullptr});
    }
    for (size_t i = first + states_ + scan_inputs_; i < ctx.num_inputs(); ++i) in.push_back(ctx.input(i));
    std::vector<size_t> needing;
    const size_t body_implicit = states_ + scan_inputs_;
    Result<std::vector<ValueInfo>> out = body_->infer(in, &needing);
    if (!out.ok()) note_needed(ctx, needing, body_implicit, first + body_implicit);
    TOP_RETURN_IF_ERROR(out.status().with_context(p));
    for (size_t i = 0; i < states_; ++i) {
      const ValueInfo& o = (*out)[i];
      if (o.dtype != in[i].dtype || o.shape != in[i].shape)
        return InvalidArgument(p + "state " + std::to_string(i) + " changes type or shape across an iteration");
      ctx.set_output(i, o.dtype, batched_ ? with_axis(o.shape, 0, batch) : o.shape);
    }
    for (size_t s = 0; s < scan_outputs_; ++s) {
      const ValueInfo& o = (*out)[states_ + s];
      TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(batched_ ? 0 : out_axes_[s], static_cast<int64_t>(o.shape.size()) + 1,
                                                   p + "scan_output_axes: "));
      Shape shape = with_axis(o.shape, axis, trips);
      ctx.set_output(states_ + s, o.dtype, batched_ ? with_axis(shape, 0, batch) : shape);
    }
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const size_t first = batched_ ? 1 : 0;
    std::vector<const Tensor*> implicit;
    for (size_t i = first + states_ + scan_inputs_; i < ctx.num_inputs(); ++i)
      implicit.push_back(ctx.has_input(i) ? &ctx.input(i) : nullptr);
    if (!batched_) {
      std::vector<Tensor> states, scans;
      for (size_t i = 0; i < states_; ++i) states.push_back(ctx.input(first + i));
      for (size_t j = 0; j < scan_inputs_; ++j) scans.push_back(ctx.input(first + states_ + j));
      std::vector<Tensor> outs;
      // Tensors share storage when copied: the sequence writes straight into the outputs.
      for (size_t i = 0; i < ctx.num_outputs(); ++i) outs.push_back(ctx.has_output(i) ? ctx.output(i) : Tensor());
      return run_sequence(states, scans, implicit, outs, ctx);
    }
    // Scan-8: one sequence per batch entry, written into that entry's slice.
    const int64_t batch = ctx.input(first + states_).dim(0);  // scan inputs are [batch, sequence, ...]
    for (int64_t b = 0; b < batch; ++b) {
      std::vector<Tensor> states, scans, outs;
      for (size_t i = 0; i < states_; ++i) {
        TOP_ASSIGN_OR_RETURN(Tensor s, take(ctx.input(first + i), 0, b));
        states.push_back(std::move(s));
      }
      for (size_t j = 0; j < scan_inputs_; ++j) {
        TOP_ASSIGN_OR_RETURN(Tensor s, take(ctx.input(first + states_ + j), 0, b));
        scans.push_back(std::move(s));
      }
      for (size_t i = 0; i < ctx.num_outputs(); ++i) {
        if (!ctx.has_output(i)) {
          outs.emplace_back();
          continue;
        }
        TOP_ASSIGN_OR_RETURN(Tensor o, Tensor::allocate(ctx.output(i).dtype(), without_axis(ctx.output(i).shape(), 0)));
        outs.push_back(std::move(o));
      }
      TOP_RETURN_IF_ERROR(run_sequence(states, scans, implicit, outs, ctx));
      for (size_t i = 0; i < ctx.num_outputs(); ++i)
        if (outs[i].defined()) TOP_RETURN_IF_ERROR(put(ctx.output(i), 0, b, outs[i], "Scan: output " + std::to_string(i)));
    }
    return Status::Ok();
  }

 private:
  // One sequence: `outs` are the final states then the stacked scan outputs.
  Status run_sequence(std::vector<Tensor> states, const std::vector<Tensor>& scans,
                      const std::vector<const Tensor*>& implicit, std::vector<Tensor>& outs,
                      const KernelContext& ctx) const {
    std::vector<int64_t> axes;
    int64_t trips = 0;
    for (size_t j = 0; j < scan_inputs_; ++j) {
      TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(batched_ ? 0 : in_axes_[j], scans[j].rank(), "Scan: "));
      axes.push_back(a);
      trips = scans[j].dim(a);
    }
    for (int64_t t = 0; t < trips; ++t) {
      std::vector<Tensor> slices;
      for (size_t j = 0; j < scan_inputs_; ++j) {
        TOP_ASSIGN_OR_RETURN(Tensor s, take(scans[j], axes[j], in_dirs_[j] != 0 ? trips - 1 - t : t));
        slices.push_back(std::move(s));
      }
      std::vector<const Tensor*> in;
      for (const Tensor& s : states) in.push_back(&s);
      for (const Tensor& s : slices) in.push_back(&s);
      in.insert(in.end(), implicit.begin(), implicit.end());
      TOP_ASSIGN_OR_RETURN(std::vector<Tensor> out, body_->run(in, ctx.pool()));
      for (size_t i = 0; i < states_; ++i) states[i] = std::move(out[i]);
      for (size_t s = 0; s < scan_outputs_; ++s) {
        Tensor& dst = outs[states_ + s];
        if (!dst.defined()) continue;  // the model omitted it
        TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(batched_ ? 0 : out_axes_[s], dst.rank(), "Scan: "));
        TOP_RETURN_IF_ERROR(put(dst, a, out_dirs_[s] != 0 ? trips - 1 - t : t, out[states_ + s],
                                "Scan: scan output " + std::to_string(s)));
      }
    }
    for (size_t i = 0; i < states_; ++i)
      if (outs[i].defined())
        TOP_RETURN_IF_ERROR(exec::copy_into(outs[i], states[i], "Scan: final state " + std::to_string(i)));
    return Status::Ok();
  }

  std::shared_ptr<Subgraph> body_;
  bool batched_ = false;
  size_t states_ = 0, scan_inputs_ = 0, scan_outputs_ = 0;
  std::vector<int64_t> in_axes_, in_dirs_, out_axes_, out_dirs_;
};

}  // namespace

void register_control_flow_ops(OpRegistry& r) {
  r.add("If", 1, [] { return std::make_unique<IfOp>(); });
  r.add("Loop", 1, [] { return std::make_unique<LoopOp>(); });
  r.add("Scan", 8, [] { return std::make_unique<ScanOp>(); });
}

}  // namespace top::ops

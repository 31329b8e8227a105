// Sequence and optional operators (ops/sequence.h), evaluated on top::Values by the
// interpreter. Elements are shared, never copied, except where an operator makes new
// tensors (SplitToSequence, ConcatFromSequence).
#include "ops/sequence.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {

Status SequenceOp::infer(InferContext& ctx) const {
  return Unsupported(op_type_ + " node '" + ctx.node_name() +
                     "' works on sequence or optional values, which only a Session on the CPU backend runs (by "
                     "interpreting the graph); plans, the Runtime and the CUDA backend take tensor graphs");
}

Status SequenceOp::compute(const KernelContext& ctx) const {
  (void)ctx;
  return Internal(op_type_ + " is evaluated on values, never run as a planned kernel");
}

namespace {

std::vector<Value> one(Value v) { return std::vector<Value>{std::move(v)}; }

const Value& input_or_none(const std::vector<Value>& in, size_t i) {
  static const Value kNone;
  return i < in.size() ? in[i] : kNone;
}

Result<const Tensor*> tensor_input(const std::vector<Value>& in, size_t i, const std::string& p, const char* what) {
  const Value& v = input_or_none(in, i);
  if (!v.is_tensor()) return InvalidArgument(p + what + " must be a tensor, got " + value_kind_name(v.kind()));
  return &v.tensor();
}

Result<const Value*> sequence_input(const std::vector<Value>& in, size_t i, const std::string& p) {
  const Value& v = input_or_none(in, i);
  if (!v.is_sequence()) return InvalidArgument(p + "input " + std::to_string(i) + " must be a sequence, got " +
                                               value_kind_name(v.kind()));
  return &v;
}

// A position input: one int32 or int64.
Result<int64_t> position_of(const Tensor& t, const std::string& p) {
  if (!is_index_dtype(t.dtype()) || t.numel() != 1)
    return InvalidArgument(p + "position must be one int32 or int64, got " + dtype_name(t.dtype()) + " " +
                           shape_str(t.shape()));
  return t.dtype() == DataType::kInt64 ? t.data<int64_t>()[0] : static_cast<int64_t>(t.data<int32_t>()[0]);
}

// `pos` in [-n, n + past_end) mapped to [0, n + past_end).
Result<size_t> norm_position(int64_t pos, size_t n, bool past_end, const std::string& p) {
  const int64_t len = static_cast<int64_t>(n);
  const int64_t hi = past_end ? len : len - 1;
  if (pos < -len || pos > hi)
    return InvalidArgument(p + "position " + std::to_string(pos) + " is outside [" + std::to_string(-len) + ", " +
                           std::to_string(hi) + "] for a sequence of " + std::to_string(n));
  return static_cast<size_t>(pos < 0 ? pos + len : pos);
}

Status check_element(const Tensor& t, DataType elem, const std::string& p) {
  if (elem != DataType::kUndefined && t.dtype() != elem)
    return InvalidArgument(p + "a " + dtype_name(t.dtype()) + " tensor cannot join a sequence of " + dtype_name(elem));
  return Status::Ok();
}

Status check_length(size_t n, const std::string& p) {
  if (n > kMaxSequenceLength)
    return OutOfMemory(p + "a sequence would hold " + std::to_string(n) + " tensors, over the limit of " +
                             std::to_string(kMaxSequenceLength));
  return Status::Ok();
}

// Copies rows [0, d) of `src` ([outer, d, inner] bytes view) to rows [at, at + d) of
// `dst` ([outer, D, inner]).
void copy_rows(const Tensor& src, int64_t d, Tensor& dst, int64_t big_d, int64_t at, int64_t outer,
               int64_t inner_bytes) {
  const auto* s = static_cast<const uint8_t*>(src.raw_data());
  auto* o = static_cast<uint8_t*>(dst.raw_data());
  const size_t row = static_cast<size_t>(d * inner_bytes);
  for (int64_t k = 0; k < outer; ++k)
    if (row > 0) std::memcpy(o + (k * big_d + at) * inner_bytes, s + k * d * inner_bytes, row);
}

int64_t outer_of(const Shape& s, int64_t axis) {
  int64_t r = 1;
  for (int64_t i = 0; i < axis; ++i) r *= s[static_cast<size_t>(i)];
  return r;
}
int64_t inner_of(const Shape& s, int64_t axis) {
  int64_t r = 1;
  for (size_t i = static_cast<size_t>(axis) + 1; i < s.size(); ++i) r *= s[i];
  return r;
}

// ---- building sequences ------------------------------------------------------------------

class SequenceEmptyOp final : public SequenceOp {
 public:
  SequenceEmptyOp() : SequenceOp("SequenceEmpty") {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(dtype_, from_onnx_dtype(attrs.get_int("dtype", 1), "SequenceEmpty of"));
    return Status::Ok();
  }
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t, const SequenceContext&) const override {
    (void)in;
    return one(Value::sequence(dtype_, {}));
  }

 private:
  DataType dtype_ = DataType::kFloat32;
};

class SequenceConstructOp final : public SequenceOp {
 public:
  SequenceConstructOp() : SequenceOp("SequenceConstruct") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    if (in.empty()) return InvalidArgument(p + "needs at least one tensor");
    TOP_RETURN_IF_ERROR(check_length(in.size(), p));
    std::vector<Tensor> elems;
    for (size_t i = 0; i < in.size(); ++i) {
      TOP_ASSIGN_OR_RETURN(const Tensor* t, tensor_input(in, i, p, "every input"));
      TOP_RETURN_IF_ERROR(check_element(*t, elems.empty() ? DataType::kUndefined : elems[0].dtype(), p));
      elems.push_back(*t);
    }
    const DataType dt = elems[0].dtype();
    return one(Value::sequence(dt, std::move(elems)));
  }
};

class SequenceInsertOp final : public SequenceOp {
 public:
  SequenceInsertOp() : SequenceOp("SequenceInsert") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    TOP_ASSIGN_OR_RETURN(const Value* seq, sequence_input(in, 0, p));
    TOP_ASSIGN_OR_RETURN(const Tensor* t, tensor_input(in, 1, p, "the tensor to insert"));
    TOP_RETURN_IF_ERROR(check_element(*t, seq->elem_dtype(), p));
    TOP_RETURN_IF_ERROR(check_length(seq->elements().size() + 1, p));
    size_t at = seq->elements().size();
    if (input_or_none(in, 2).is_tensor()) {
      TOP_ASSIGN_OR_RETURN(int64_t pos, position_of(in[2].tensor(), p));
      TOP_ASSIGN_OR_RETURN(at, norm_position(pos, seq->elements().size(), true, p));
    }
    std::vector<Tensor> elems = seq->elements();
    elems.insert(elems.begin() + static_cast<std::ptrdiff_t>(at), *t);
    return one(Value::sequence(t->dtype(), std::move(elems)));
  }
};

// ---- reading and shrinking them ---------------------------------------------------------

class SequenceAtOp final : public SequenceOp {
 public:
  SequenceAtOp() : SequenceOp("SequenceAt") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    TOP_ASSIGN_OR_RETURN(const Value* seq, sequence_input(in, 0, p));
    TOP_ASSIGN_OR_RETURN(const Tensor* pos_t, tensor_input(in, 1, p, "position"));
    TOP_ASSIGN_OR_RETURN(int64_t pos, position_of(*pos_t, p));
    TOP_ASSIGN_OR_RETURN(size_t at, norm_position(pos, seq->elements().size(), false, p));
    return one(Value(seq->elements()[at]));
  }
};

class SequenceEraseOp final : public SequenceOp {
 public:
  SequenceEraseOp() : SequenceOp("SequenceErase") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    TOP_ASSIGN_OR_RETURN(const Value* seq, sequence_input(in, 0, p));
    int64_t pos = -1;  // the last
    if (input_or_none(in, 1).is_tensor()) {
      TOP_ASSIGN_OR_RETURN(pos, position_of(in[1].tensor(), p));
    }
    TOP_ASSIGN_OR_RETURN(size_t at, norm_position(pos, seq->elements().size(), false, p));
    std::vector<Tensor> elems = seq->elements();
    elems.erase(elems.begin() + static_cast<std::ptrdiff_t>(at));
    return one(Value::sequence(seq->elem_dtype(), std::move(elems)));
  }
};

class SequenceLengthOp final : public SequenceOp {
 public:
  SequenceLengthOp() : SequenceOp("SequenceLength") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    TOP_ASSIGN_OR_RETURN(const Value* seq, sequence_input(in, 0, prefix(ctx)));
    Tensor n = Tensor::scalar<int64_t>(static_cast<int64_t>(seq->elements().size()));
    if (!n.defined()) return OutOfMemory(prefix(ctx) + "cannot allocate its output");
    return one(Value(std::move(n)));
  }
};

// ---- between tensors and sequences ------------------------------------------------------

class SplitToSequenceOp final : public SequenceOp {
 public:
  SplitToSequenceOp() : SequenceOp("SplitToSequence") {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    axis_ = attrs.get_int("axis", 0);
    keepdims_ = attrs.get_int("keepdims", 1) != 0;
    return Status::Ok();
  }
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    TOP_ASSIGN_OR_RETURN(const Tensor* x, tensor_input(in, 0, p, "input"));
    if (x->rank() == 0) return InvalidArgument(p + "cannot split a scalar");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, x->rank(), p + "axis: "));
    const int64_t d = x->dim(static_cast<int>(axis));
    std::vector<int64_t> lengths;
    bool squeeze = false;
    if (!input_or_none(in, 1).is_tensor()) {  // pieces of one, squeezed unless keepdims
      lengths.assign(static_cast<size_t>(d), 1);
      squeeze = !keepdims_;
    } else {
      const Tensor& s = in[1].tensor();
      if (!is_index_dtype(s.dtype()) || s.rank() > 1)
        return InvalidArgument(p + "split must be an int32 or int64 scalar or 1-D tensor");
      std::vector<int64_t> v;
      for (int64_t k = 0; k < s.numel(); ++k) v.push_back(s.item_as_int(k));
      if (s.rank() == 0) {  // one chunk length; the last chunk takes what is left
        if (v[0] <= 0) return InvalidArgument(p + "split length must be positive, got " + std::to_string(v[0]));
        for (int64_t at = 0; at < d; at += v[0]) lengths.push_back(std::min(v[0], d - at));
      } else {
        int64_t sum = 0;
        for (int64_t l : v) {
          if (l < 0 || l > d - sum)
            return InvalidArgument(p + "split lengths must be non-negative and add up to " + std::to_string(d));
          sum += l;
        }
        if (sum != d) return InvalidArgument(p + "split lengths add up to " + std::to_string(sum) + ", not " +
                                             std::to_string(d));
        lengths = v;
      }
    }
    TOP_RETURN_IF_ERROR(check_length(lengths.size(), p));
    const int64_t outer = outer_of(x->shape(), axis);
    const int64_t inner_bytes = inner_of(x->shape(), axis) * static_cast<int64_t>(dtype_size(x->dtype()));
    std::vector<Tensor> elems;
    int64_t at = 0;
    for (int64_t l : lengths) {
      Shape s = x->shape();
      s[static_cast<size_t>(axis)] = l;
      TOP_ASSIGN_OR_RETURN(Tensor piece, Tensor::allocate(x->dtype(), s));
      // The piece is rows [at, at + l) of x: copy_rows run the other way round.
      const auto* src = static_cast<const uint8_t*>(x->raw_data());
      auto* dst = static_cast<uint8_t*>(piece.raw_data());
      const size_t row = static_cast<size_t>(l * inner_bytes);
      for (int64_t k = 0; k < outer; ++k)
        if (row > 0) std::memcpy(dst + k * l * inner_bytes, src + (k * d + at) * inner_bytes, row);
      if (squeeze) {
        s.erase(s.begin() + axis);
        piece = piece.reshaped(s);
      }
      elems.push_back(std::move(piece));
      at += l;
    }
    return one(Value::sequence(x->dtype(), std::move(elems)));
  }

 private:
  int64_t axis_ = 0;
  bool keepdims_ = true;
};

class ConcatFromSequenceOp final : public SequenceOp {
 public:
  ConcatFromSequenceOp() : SequenceOp("ConcatFromSequence") {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    if (!attrs.has("axis")) return InvalidArgument("ConcatFromSequence: attribute 'axis' is required");
    axis_ = attrs.get_int("axis", 0);
    new_axis_ = attrs.get_int("new_axis", 0) != 0;
    return Status::Ok();
  }
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    TOP_ASSIGN_OR_RETURN(const Value* seq, sequence_input(in, 0, p));
    const std::vector<Tensor>& elems = seq->elements();
    if (elems.empty()) return InvalidArgument(p + "cannot concatenate an empty sequence");
    const Shape& first = elems[0].shape();
    const int64_t rank = static_cast<int64_t>(first.size()) + (new_axis_ ? 1 : 0);
    if (rank == 0) return InvalidArgument(p + "cannot concatenate scalars without new_axis");
    TOP_ASSIGN_OR_RETURN(int64_t axis, norm_axis(axis_, rank, p + "axis: "));
    // Each element seen with the axis present: new_axis inserts it with length 1.
    std::vector<Shape> shapes;
    for (const Tensor& t : elems) {
      Shape s = t.shape();
      if (new_axis_) s.insert(s.begin() + axis, 1);
      shapes.push_back(s);
    }
    Shape out_shape = shapes[0];
    out_shape[static_cast<size_t>(axis)] = 0;
    for (size_t e = 0; e < elems.size(); ++e) {
      bool same = elems[e].dtype() == elems[0].dtype() && shapes[e].size() == shapes[0].size();
      for (size_t k = 0; same && k < shapes[e].size(); ++k)
        same = static_cast<int64_t>(k) == axis || shapes[e][k] == shapes[0][k];
      if (!same)
        return InvalidArgument(p + "element " + std::to_string(e) + " (" + dtype_name(elems[e].dtype()) + " " +
                               shape_str(elems[e].shape()) + ") does not fit element 0 (" +
                               dtype_name(elems[0].dtype()) + " " + shape_str(first) + ") along axis " +
                               std::to_string(axis));
      out_shape[static_cast<size_t>(axis)] += shapes[e][static_cast<size_t>(axis)];
    }
    TOP_ASSIGN_OR_RETURN(Tensor out, Tensor::allocate(elems[0].dtype(), out_shape));
    const int64_t outer = outer_of(out_shape, axis);
    const int64_t inner_bytes = inner_of(out_shape, axis) * static_cast<int64_t>(dtype_size(out.dtype()));
    const int64_t big_d = out_shape[static_cast<size_t>(axis)];
    int64_t at = 0;
    for (size_t e = 0; e < elems.size(); ++e) {
      const int64_t d = shapes[e][static_cast<size_t>(axis)];
      copy_rows(elems[e], d, out, big_d, at, outer, inner_bytes);
      at += d;
    }
    return one(Value(std::move(out)));
  }

 private:
  int64_t axis_ = 0;
  bool new_axis_ = false;
};

// ---- SequenceMap ------------------------------------------------------------------------

class SequenceMapOp final : public SequenceOp {
 public:
  SequenceMapOp() : SequenceOp("SequenceMap") {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    const ir::Attribute* a = attrs.find("body");
    if (a == nullptr || a->kind != ir::Attribute::Kind::kGraph || !a->g)
      return InvalidArgument("SequenceMap: attribute 'body' (a graph) is required");
    body_ = a->g;
    return Status::Ok();
  }
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t num_outputs,
                                      const SequenceContext& ctx) const override {
    const std::string p = prefix(ctx);
    const size_t declared = body_->inputs.size() - body_->implicit_inputs.size();
    if (in.size() != body_->inputs.size() || declared == 0)
      return InvalidArgument(p + "has " + std::to_string(in.size()) + " inputs, its body takes " +
                             std::to_string(body_->inputs.size()));
    if (num_outputs != body_->outputs.size())
      return InvalidArgument(p + "has " + std::to_string(num_outputs) + " outputs, its body gives " +
                             std::to_string(body_->outputs.size()));
    TOP_ASSIGN_OR_RETURN(const Value* first, sequence_input(in, 0, p));
    const size_t n = first->elements().size();
    for (size_t j = 0; j < declared; ++j) {
      if (in[j].is_sequence() && in[j].elements().size() != n)
        return InvalidArgument(p + "input sequences differ in length (" + std::to_string(n) + " and " +
                               std::to_string(in[j].elements().size()) + ")");
      if (in[j].is_none()) return InvalidArgument(p + "input " + std::to_string(j) + " is missing");
    }
    std::vector<std::vector<Tensor>> outs(num_outputs);
    for (size_t i = 0; i < n; ++i) {
      std::vector<Value> body_in;
      for (size_t j = 0; j < in.size(); ++j)
        body_in.push_back(j < declared && in[j].is_sequence() ? Value(in[j].elements()[i]) : in[j]);
      TOP_ASSIGN_OR_RETURN(std::vector<Value> r, ctx.run_body(*body_, body_in));
      for (size_t k = 0; k < num_outputs; ++k) {
        if (!r[k].is_tensor())
          return InvalidArgument(p + "body output " + std::to_string(k) + " must be a tensor, got " +
                                 value_kind_name(r[k].kind()));
        outs[k].push_back(r[k].tensor());
      }
    }
    std::vector<Value> result;
    for (size_t k = 0; k < num_outputs; ++k) {
      const DataType dt = outs[k].empty() ? body_->values[static_cast<size_t>(body_->outputs[k])].dtype
                                          : outs[k][0].dtype();
      result.push_back(Value::sequence(dt, std::move(outs[k])));
    }
    return result;
  }

 private:
  std::shared_ptr<const ir::Graph> body_;
};

// ---- optionals ------------------------------------------------------------------------------

// Optional(x) is x, and Optional() is none: a value holds only what is there.
class OptionalOp final : public SequenceOp {
 public:
  OptionalOp() : SequenceOp("Optional") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t, const SequenceContext&) const override {
    return one(input_or_none(in, 0));
  }
};

class OptionalHasElementOp final : public SequenceOp {
 public:
  OptionalHasElementOp() : SequenceOp("OptionalHasElement") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    Tensor has = Tensor::scalar<bool>(!input_or_none(in, 0).is_none());
    if (!has.defined()) return OutOfMemory(prefix(ctx) + "cannot allocate its output");
    return one(Value(std::move(has)));
  }
};

class OptionalGetElementOp final : public SequenceOp {
 public:
  OptionalGetElementOp() : SequenceOp("OptionalGetElement") {}
  Result<std::vector<Value>> evaluate(const std::vector<Value>& in, size_t,
                                      const SequenceContext& ctx) const override {
    const Value& v = input_or_none(in, 0);
    if (v.is_none()) return InvalidArgument(prefix(ctx) + "the optional input is empty");
    return one(v);
  }
};

template <class T>
OpFactory make() {
  return [] { return std::make_unique<T>(); };
}

}  // namespace

void register_sequence_ops(OpRegistry& r) {
  r.add("SequenceEmpty", 11, make<SequenceEmptyOp>());
  r.add("SequenceConstruct", 11, make<SequenceConstructOp>());
  r.add("SequenceInsert", 11, make<SequenceInsertOp>());
  r.add("SequenceAt", 11, make<SequenceAtOp>());
  r.add("SequenceErase", 11, make<SequenceEraseOp>());
  r.add("SequenceLength", 11, make<SequenceLengthOp>());
  r.add("SplitToSequence", 11, make<SplitToSequenceOp>());
  r.add("ConcatFromSequence", 11, make<ConcatFromSequenceOp>());
  r.add("SequenceMap", 17, make<SequenceMapOp>());
  r.add("Optional", 15, make<OptionalOp>());
  r.add("OptionalHasElement", 15, make<OptionalHasElementOp>());
  r.add("OptionalGetElement", 15, make<OptionalGetElementOp>());
}

}  // namespace top::ops

// Shape family: operators that compute or change shapes without touching the order of
// the elements (Reshape, Flatten, Squeeze, Unsqueeze, Expand), operators whose output
// is a shape or a size (Shape, Size), and value generators (Constant, ConstantOfShape,
// Range).
//
// The data movement here is dtype-agnostic: kernels copy bytes (dtype_size per element),
// so float, int64 shape tensors, bool masks and uint8 images all go through the same
// code. Ops whose output shape depends on an input's value (Reshape's shape, Expand's
// shape, ConstantOfShape, Range) need that input to be constant at plan time; the
// planner folds Shape->Gather->Concat chains into constants when input shapes are
// known, so these kernels also run on small int64 tensors during folding.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "ops/broadcast.h"
#include "ops/checked_math.h"
#include "ops/families.h"
#include "ops/op.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// Output = input bytes, for ops that only relabel the shape.
Status copy_same_bytes(const KernelContext& ctx, const char* op) {
  if (ctx.num_inputs() < 1 || !ctx.has_input(0) || ctx.num_outputs() < 1 || !ctx.has_output(0))
    return InvalidArgument(std::string(op) + ": missing input or output");
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (x.nbytes() != y.nbytes() || x.dtype() != y.dtype()) {
    return InvalidArgument(std::string(op) + ": output " + dtype_name(y.dtype()) + shape_str(y.shape()) +
                           " does not hold the same data as input " + dtype_name(x.dtype()) + shape_str(x.shape()));
  }
  parallel_memcpy(ctx, y.raw_data(), x.raw_data(), x.nbytes());
  return Status::Ok();
}

Status check_dims(const Shape& s, const std::string& op, const std::string& node) {
  for (int64_t d : s) {
    if (d < 0) return InvalidArgument(op + " node '" + node + "': input shape " + shape_str(s) + " has unknown dims");
  }
  return Status::Ok();
}

// Normalises axes against `rank`, rejecting out-of-range and repeated axes.
Result<std::vector<int64_t>> normalize_axes(const std::vector<int64_t>& axes, int64_t rank, const std::string& op,
                                            const std::string& node) {
  std::vector<int64_t> out;
  std::set<int64_t> seen;
  for (int64_t a : axes) {
    TOP_ASSIGN_OR_RETURN(int64_t n, norm_axis(a, rank, op + " node '" + node + "': "));
    if (!seen.insert(n).second) {
      return InvalidArgument(op + " node '" + node + "': axis " + std::to_string(a) + " is repeated in " +
                             ints_str(axes));
    }
    out.push_back(n);
  }
  return out;
}

// ---------------------------------------------------------------------------------
class ReshapeOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    allowzero_ = attrs.get_int("allowzero", 0) != 0;
    if (opset < 5) {
      attr_shape_ = attrs.get_ints("shape");
      use_attr_ = true;
    }
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const std::string op = "Reshape";
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, op));
    std::vector<int64_t> target = attr_shape_;
    if (!use_attr_) {
      TOP_ASSIGN_OR_RETURN(target, constant_ints(ctx, 1, op, "shape"));
    }
    const Shape& in = ctx.input_shape(0);
    TOP_RETURN_IF_ERROR(check_dims(in, op, ctx.node_name()));
    Shape out(target.size());
    int64_t infer_at = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (size_t i = 0; i < target.size(); ++i) {
      int64_t d = target[i];
      if (d == 0 && !allowzero_) {
        if (i >= in.size()) {
          return InvalidArgument(op + " node '" + ctx.node_name() + "': shape " + ints_str(target) +
                                 " copies dim " + std::to_string(i) + " (0) but the input " + shape_str(in) +
                                 " has rank " + std::to_string(in.size()));
        }
        d = in[i];
      } else if (d == -1) {
        if (infer_at >= 0) {
          return InvalidArgument(op + " node '" + ctx.node_name() + "': shape " + ints_str(target) +
                                 " has more than one -1");
        }
        infer_at = static_cast<int64_t>(i);
        continue;
      } else if (d < 0) {
        return InvalidArgument(op + " node '" + ctx.node_name() + "': shape " + ints_str(target) +
                               " has invalid dim " + std::to_string(d));
      }
      if (target[i] == 0) has_zero = true;
      out[i] = d;
      // A product that wraps could divide the element count and pass for a valid shape.
      TOP_ASSIGN_OR_RETURN(known, to_dim(CheckedInt(known) * d, op + " node '" + ctx.node_name() + "': shape " +
                                                                   ints_str(target) + " element count"));
    }
    const int64_t numel = shape_numel(in);
    if (infer_at >= 0) {
      if (allowzero_ && has_zero) {
        return InvalidArgument(op + " node '" + ctx.node_name() + "': shape " + ints_str(target) +
                               " has both 0 and -1 with allowzero=1");
      }
      if (known == 0 || numel % known != 0) {
        return InvalidArgument(op + " node '" + ctx.node_name() + "': cannot reshape input " + shape_str(in) +
                               " to " + ints_str(target));
      }
      out[static_cast<size_t>(infer_at)] = numel / known;
    } else if (known != numel) {
      return InvalidArgument(op + " node '" + ctx.node_name() + "': cannot reshape input " + shape_str(in) + " (" +
                             std::to_string(numel) + " elements) to " + shape_str(out));
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override { return copy_same_bytes(ctx, "Reshape"); }

 private:
  bool allowzero_ = false;
  bool use_attr_ = false;
  std::vector<int64_t> attr_shape_;
};

// ---------------------------------------------------------------------------------
class FlattenOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 1);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Flatten"));
    const Shape& in = ctx.input_shape(0);
    const int64_t r = static_cast<int64_t>(in.size());
    if (axis_ < -r || axis_ > r) {
      return InvalidArgument("Flatten node '" + ctx.node_name() + "': axis " + std::to_string(axis_) +
                             " is out of range for input " + shape_str(in));
    }
    const int64_t a = axis_ < 0 ? axis_ + r : axis_;
    // With a 0 dim in one half, the other half's product is not bounded by the input's size.
    const std::string p = "Flatten node '" + ctx.node_name() + "': ";
    TOP_ASSIGN_OR_RETURN(int64_t outer, checked_numel(Shape(in.begin(), in.begin() + a), p + "outer dims' product"));
    TOP_ASSIGN_OR_RETURN(int64_t inner, checked_numel(Shape(in.begin() + a, in.end()), p + "inner dims' product"));
    ctx.set_output(0, ctx.input_dtype(0), {outer, inner});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override { return copy_same_bytes(ctx, "Flatten"); }

 private:
  int64_t axis_ = 1;
};

// ---------------------------------------------------------------------------------
// Squeeze and Unsqueeze: axes attribute before opset 13, second input from 13.
class SqueezeOp final : public MovementOp {
 public:
  explicit SqueezeOp(bool unsqueeze) : unsqueeze_(unsqueeze) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    axes_from_input_ = opset >= 13;
    has_attr_axes_ = attrs.has("axes");
    attr_axes_ = attrs.get_ints("axes");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string op = unsqueeze_ ? "Unsqueeze" : "Squeeze";
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, op));
    std::vector<int64_t> axes = attr_axes_;
    bool have_axes = has_attr_axes_;
    if (axes_from_input_) {
      have_axes = ctx.has_input(1);
      if (have_axes) {
        TOP_ASSIGN_OR_RETURN(axes, constant_ints(ctx, 1, op, "axes"));
      }
    }
    const Shape& in = ctx.input_shape(0);
    Shape out;
    if (unsqueeze_) {
      if (!have_axes) return InvalidArgument(op + " node '" + ctx.node_name() + "': axes are required");
      const int64_t out_rank = static_cast<int64_t>(in.size() + axes.size());
      TOP_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(axes, out_rank, op, ctx.node_name()));
      std::vector<bool> is_new(static_cast<size_t>(out_rank), false);
      for (int64_t a : norm) is_new[static_cast<size_t>(a)] = true;
      size_t k = 0;
      for (int64_t i = 0; i < out_rank; ++i) out.push_back(is_new[static_cast<size_t>(i)] ? 1 : in[k++]);
    } else {
      const int64_t rank = static_cast<int64_t>(in.size());
      std::vector<bool> drop(in.size(), false);
      if (have_axes && !axes.empty()) {  // empty axes squeeze every size-1 dim, like absent ones
        TOP_ASSIGN_OR_RETURN(std::vector<int64_t> norm, normalize_axes(axes, rank, op, ctx.node_name()));
        for (int64_t a : norm) {
          if (in[static_cast<size_t>(a)] != 1) {
            return InvalidArgument(op + " node '" + ctx.node_name() + "': cannot squeeze axis " +
                                   std::to_string(a) + " of input " + shape_str(in) + ": its size is not 1");
          }
          drop[static_cast<size_t>(a)] = true;
        }
      } else {
        for (size_t i = 0; i < in.size(); ++i) drop[i] = in[i] == 1;
      }
      for (size_t i = 0; i < in.size(); ++i)
        if (!drop[i]) out.push_back(in[i]);
    }
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    return copy_same_bytes(ctx, unsqueeze_ ? "Unsqueeze" : "Squeeze");
  }

 private:
  bool unsqueeze_;
  bool axes_from_input_ = false;
  bool has_attr_axes_ = false;
  std::vector<int64_t> attr_axes_;
};

// ---------------------------------------------------------------------------------
class ShapeOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    start_ = attrs.get_int("start", 0);
    has_end_ = attrs.has("end");
    end_ = attrs.get_int("end", 0);
    return Status::Ok();
  }
  std::pair<int64_t, int64_t> range(int64_t rank) const {
    auto clamp = [rank](int64_t v) {
      if (v < 0) v += rank;
      return std::min(std::max<int64_t>(v, 0), rank);
    };
    int64_t s = clamp(start_);
    int64_t e = has_end_ ? clamp(end_) : rank;
    return {s, std::max(s, e)};
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Shape"));
    const Shape& in = ctx.input_shape(0);
    auto [s, e] = range(static_cast<int64_t>(in.size()));
    // The value is known from the shape alone: the planner folds it into a constant.
    std::vector<int64_t> dims(in.begin() + s, in.begin() + e);
    ctx.set_output_value(0, Tensor::from_vector<int64_t>({e - s}, dims));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Shape& in = ctx.input(0).shape();
    auto [s, e] = range(static_cast<int64_t>(in.size()));
    Tensor& y = ctx.output(0);
    if (y.dtype() != DataType::kInt64 || y.numel() != e - s)
      return InvalidArgument("Shape: output must be int64 with " + std::to_string(e - s) + " elements");
    for (int64_t i = s; i < e; ++i) y.data<int64_t>()[i - s] = in[static_cast<size_t>(i)];
    return Status::Ok();
  }

 private:
  int64_t start_ = 0;
  int64_t end_ = 0;
  bool has_end_ = false;
};

class SizeOp final : public MovementOp {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Size"));
    ctx.set_output_value(0, Tensor::scalar<int64_t>(shape_numel(ctx.input_shape(0))));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    if (y.dtype() != DataType::kInt64 || y.numel() != 1) return InvalidArgument("Size: output must be an int64 scalar");
    y.data<int64_t>()[0] = ctx.input(0).numel();
    return Status::Ok();
  }
};

// ---------------------------------------------------------------------------------
class ConstantOfShapeOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    const Tensor* v = attrs.get_tensor("value");
    if (v != nullptr && v->defined()) {
      if (v->numel() != 1) {
        return InvalidArgument("ConstantOfShape: attribute 'value' must hold exactly one element, got shape " +
                               shape_str(v->shape()));
      }
      value_ = v->clone();
    } else {
      value_ = Tensor::scalar<float>(0.0f);
    }
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> dims, constant_ints(ctx, 0, "ConstantOfShape", "input"));
    for (int64_t d : dims) {
      if (d < 0) {
        return InvalidArgument("ConstantOfShape node '" + ctx.node_name() + "': negative dim in shape " +
                               ints_str(dims));
      }
    }
    TOP_RETURN_IF_ERROR(
        checked_numel(dims, "ConstantOfShape node '" + ctx.node_name() + "': element count of shape " + ints_str(dims))
            .status());
    ctx.set_output(0, value_.dtype(), dims);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    if (y.dtype() != value_.dtype()) return InvalidArgument("ConstantOfShape: output dtype mismatch");
    const auto* v = static_cast<const uint8_t*>(value_.raw_data());
    const size_t esize = dtype_size(y.dtype());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    const int64_t n = y.numel();
    ctx.parallel_for(n, 1 << 16, [&](int64_t b, int64_t e) { fill_pattern(dst + b * esize, e - b, v, esize); });
    return Status::Ok();
  }

 private:
  Tensor value_;
};

// ---------------------------------------------------------------------------------
class RangeOp final : public Op {
 public:
  static bool supported(DataType t) {
    return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kInt16 || t == DataType::kInt32 ||
           t == DataType::kInt64;
  }

  template <class T>
  static Result<int64_t> count(const Tensor& s, const Tensor& l, const Tensor& d) {
    const T start = s.data<T>()[0], limit = l.data<T>()[0], delta = d.data<T>()[0];
    if (delta == T(0)) return InvalidArgument("Range: delta must not be zero");
    T diff;
    if constexpr (std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t>) {
      // Checked, never computed plainly first: signed overflow is undefined behaviour.
      if (__builtin_sub_overflow(limit, start, &diff))
        return InvalidArgument("Range: limit - start (" + std::to_string(limit) + " - " + std::to_string(start) +
                               ") overflows " + dtype_name(dtype_of<T>()));
    } else {
      diff = static_cast<T>(limit - start);  // narrower types wrap after promotion, as in ONNX Runtime
    }
    double n = std::ceil(static_cast<double>(diff) / static_cast<double>(delta));
    if (!(n > 0)) return int64_t{0};
    if (n > static_cast<double>(std::numeric_limits<int32_t>::max()) * 64)
      return InvalidArgument("Range: output would have " + std::to_string(n) + " elements");
    return static_cast<int64_t>(n);
  }

  static Result<int64_t> count_any(const Tensor& s, const Tensor& l, const Tensor& d) {
    switch (s.dtype()) {
      case DataType::kFloat32: return count<float>(s, l, d);
      case DataType::kFloat64: return count<double>(s, l, d);
      case DataType::kInt16: return count<int16_t>(s, l, d);
      case DataType::kInt32: return count<int32_t>(s, l, d);
      case DataType::kInt64: return count<int64_t>(s, l, d);
      default: return Unsupported(std::string("Range: unsupported dtype ") + dtype_name(s.dtype()));
    }
  }

  Status infer(InferContext& ctx) const override {
    const std::string node = ctx.node_name();
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, "Range"));
    const DataType t = ctx.input_dtype(0);
    if (!supported(t)) {
      return Unsupported("Range node '" + node + "': unsupported dtype " + dtype_name(t));
    }
    const char* names[3] = {"start", "limit", "delta"};
    for (size_t i = 0; i < 3; ++i) {
      if (ctx.input_dtype(i) != t) {
        return InvalidArgument("Range node '" + node + "': inputs must share one dtype, '" + names[i] + "' is " +
                               dtype_name(ctx.input_dtype(i)) + " and 'start' is " + dtype_name(t));
      }
      if (shape_numel(ctx.input_shape(i)) != 1) {
        return InvalidArgument("Range node '" + node + "': input '" + names[i] + "' must be a scalar, got " +
                               shape_str(ctx.input_shape(i)));
      }
      if (ctx.constant_input(i) == nullptr) {
        return Unsupported("Range node '" + node + "': input '" + names[i] +
                           "' is not constant at plan time (data-dependent output shape)");
      }
    }
    Result<int64_t> n = count_any(*ctx.constant_input(0), *ctx.constant_input(1), *ctx.constant_input(2));
    if (!n.ok()) return n.status().with_context("Range node '" + node + "'");
    ctx.set_output(0, t, {*n});
    return Status::Ok();
  }

  template <class T>
  static void fill(const Tensor& s, const Tensor& d, Tensor& y) {
    T v = s.data<T>()[0];
    const T delta = d.data<T>()[0];
    T* out = y.data<T>();
    // Accumulate like ONNX Runtime does, so float outputs match it bit for bit.
    for (int64_t i = 0; i < y.numel(); ++i) {
      out[i] = v;
      v = static_cast<T>(v + delta);
    }
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& s = ctx.input(0);
    const Tensor& l = ctx.input(1);
    const Tensor& d = ctx.input(2);
    Tensor& y = ctx.output(0);
    if (s.numel() != 1 || l.numel() != 1 || d.numel() != 1) return InvalidArgument("Range: inputs must be scalars");
    if (s.dtype() != y.dtype() || l.dtype() != y.dtype() || d.dtype() != y.dtype())
      return InvalidArgument("Range: inputs and output must share one dtype");
    TOP_ASSIGN_OR_RETURN(int64_t n, count_any(s, l, d));
    if (n != y.numel()) {
      return InvalidArgument("Range: inputs give " + std::to_string(n) + " elements but the output holds " +
                             std::to_string(y.numel()));
    }
    switch (y.dtype()) {
      case DataType::kFloat32: fill<float>(s, d, y); break;
      case DataType::kFloat64: fill<double>(s, d, y); break;
      case DataType::kInt16: fill<int16_t>(s, d, y); break;
      case DataType::kInt32: fill<int32_t>(s, d, y); break;
      case DataType::kInt64: fill<int64_t>(s, d, y); break;
      default: return Unsupported(std::string("Range: unsupported dtype ") + dtype_name(y.dtype()));
    }
    return Status::Ok();
  }
};

// ---------------------------------------------------------------------------------
// Copies a broadcast view of `x` (shape `in`) into the dense `y` (shape `out`).
void broadcast_copy(const KernelContext& ctx, const Tensor& x, Tensor& y) {
  const size_t esize = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  if (y.numel() == 0) return;
  if (x.numel() == y.numel()) {
    parallel_memcpy(ctx, dst, src, y.nbytes());
    return;
  }
  // Merge trailing dims that are copied whole so that each run is one memcpy.
  BroadcastIterator it({x.shape()}, y.shape());
  const int64_t inner = it.inner();
  const int64_t inner_stride = it.inner_strides()[0];
  const size_t run = static_cast<size_t>(inner) * esize;
  const int64_t grain = std::max<int64_t>(1, (int64_t{1} << 15) / std::max<int64_t>(1, static_cast<int64_t>(run)));
  ctx.parallel_for(it.rows(), grain, [&](int64_t b, int64_t e) {
    std::vector<int64_t> off;
    for (int64_t r = b; r < e; ++r) {
      it.row_offsets(r, off);
      uint8_t* d = dst + static_cast<size_t>(r) * run;
      const uint8_t* s = src + static_cast<size_t>(off[0]) * esize;
      if (inner_stride == 1) {
        std::memcpy(d, s, run);
      } else {
        fill_pattern(d, inner, s, esize);
      }
    }
  });
}

class ExpandOp final : public MovementOp {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Expand"));
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> shape, constant_ints(ctx, 1, "Expand", "shape"));
    for (int64_t d : shape) {
      if (d < 0) {
        return InvalidArgument("Expand node '" + ctx.node_name() + "': negative dim in shape " + ints_str(shape));
      }
    }
    Result<Shape> out = broadcast_shapes({ctx.input_shape(0), shape});
    if (!out.ok()) {
      return out.status().with_context("Expand node '" + ctx.node_name() + "': input " +
                                       shape_str(ctx.input_shape(0)) + " to shape " + ints_str(shape));
    }
    ctx.set_output(0, ctx.input_dtype(0), *out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    Result<Shape> out = broadcast_shapes({x.shape(), y.shape()});
    if (!out.ok() || *out != y.shape() || x.dtype() != y.dtype()) {
      return InvalidArgument("Expand: input " + shape_str(x.shape()) + " cannot expand to output " +
                             shape_str(y.shape()));
    }
    broadcast_copy(ctx, x, y);
    return Status::Ok();
  }
};

// ---------------------------------------------------------------------------------
class ConstantOp final : public MovementOp {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    if (const Tensor* t = attrs.get_tensor("value")) {
      value_ = t->clone();
    } else if (const ir::Attribute* a = attrs.find("value_float")) {
      value_ = Tensor::scalar<float>(a->f);
    } else if (const ir::Attribute* a = attrs.find("value_floats")) {
      value_ = Tensor::from_vector<float>({static_cast<int64_t>(a->floats.size())}, a->floats);
    } else if (const ir::Attribute* a = attrs.find("value_int")) {
      value_ = Tensor::scalar<int64_t>(a->i);
    } else if (const ir::Attribute* a = attrs.find("value_ints")) {
      value_ = Tensor::from_vector<int64_t>({static_cast<int64_t>(a->ints.size())}, a->ints);
    } else if (attrs.has("value_string") || attrs.has("value_strings")) {
      return Unsupported("Constant: string tensors are not supported");
    } else if (attrs.has("sparse_value")) {
      return Unsupported("Constant: sparse_value is not supported");
    } else {
      return InvalidArgument("Constant: no value attribute (value, value_float(s) or value_int(s))");
    }
    if (!value_.defined()) return InvalidArgument("Constant: attribute 'value' holds no tensor");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    ctx.set_output(0, value_.dtype(), value_.shape());
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    if (y.dtype() != value_.dtype() || y.shape() != value_.shape()) {
      return InvalidArgument("Constant: output " + shape_str(y.shape()) + " does not match the value " +
                             shape_str(value_.shape()));
    }
    parallel_memcpy(ctx, y.raw_data(), value_.raw_data(), value_.nbytes());
    return Status::Ok();
  }

 private:
  Tensor value_;
};

}  // namespace

void register_shape_ops(OpRegistry& r) {
  r.add("Reshape", 1, [] { return std::make_unique<ReshapeOp>(); });
  r.add("Flatten", 1, [] { return std::make_unique<FlattenOp>(); });
  r.add("Squeeze", 1, [] { return std::make_unique<SqueezeOp>(false); });
  r.add("Unsqueeze", 1, [] { return std::make_unique<SqueezeOp>(true); });
  r.add("Shape", 1, [] { return std::make_unique<ShapeOp>(); });
  r.add("Size", 1, [] { return std::make_unique<SizeOp>(); });
  r.add("ConstantOfShape", 9, [] { return std::make_unique<ConstantOfShapeOp>(); });
  r.add("Range", 11, [] { return std::make_unique<RangeOp>(); });
  r.add("Expand", 8, [] { return std::make_unique<ExpandOp>(); });
  r.add("Constant", 1, [] { return std::make_unique<ConstantOp>(); });
}

}  // namespace top::ops

// Elementwise operators: binary arithmetic with numpy broadcasting (Add, Sub, Mul, Div,
// Mod, Pow), variadic Min/Max/Sum/Mean, comparisons and logic, unary math, Where,
// Cast/CastLike, Identity and inference-mode Dropout.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-trapping-math", "no-math-errno")  // lets GCC vectorise clamps and sqrt
#endif
#include "ops/elementwise_kernels.h"

#include <cstring>

#include "ops/activation_math.h"
#include "ops/blocked_layout.h"
#include "ops/elementwise_scalar.h"
#include "ops/families.h"
#include "ops/op_util.h"
#include "util/half.h"

namespace top::ops {
namespace ew {

Result<BroadcastPlan> make_broadcast_plan(const std::vector<Shape>& inputs, const Shape& out) {
  BroadcastPlan p;
  const size_t rank = out.size();
  const size_t n = inputs.size();
  p.numel = shape_numel(out);
  p.strides.assign(n, {});
  std::vector<std::vector<bool>> full_dims;  // per merged dim, per input: input has it
  for (size_t k = 0; k < n; ++k) {
    if (inputs[k].size() > rank)
      return InvalidArgument("input of rank " + std::to_string(inputs[k].size()) + " " + shape_str(inputs[k]) +
                             " cannot broadcast to the lower-rank output " + shape_str(out));
  }
  for (size_t d = 0; d < rank; ++d) {
    const int64_t od = out[d];
    std::vector<bool> full(n, false);
    for (size_t k = 0; k < n; ++k) {
      const size_t off = rank - inputs[k].size();
      const int64_t id = d < off ? 1 : inputs[k][d - off];
      if (id == od) {
        full[k] = true;
      } else if (id != 1) {
        return InvalidArgument("shape " + shape_str(inputs[k]) + " cannot broadcast to " + shape_str(out));
      }
    }
    if (od == 1) continue;  // size-1 output dims do not move any offset
    if (!p.dims.empty() && full == full_dims.back()) {
      p.dims.back() *= od;
    } else {
      p.dims.push_back(od);
      full_dims.push_back(full);
    }
  }
  if (p.dims.empty()) {
    p.dims.push_back(1);
    full_dims.emplace_back(n, false);
  }
  for (size_t k = 0; k < n; ++k) {
    p.strides[k].assign(p.dims.size(), 0);
    int64_t stride = 1;
    for (size_t j = p.dims.size(); j-- > 0;) {
      if (full_dims[j][k]) {
        p.strides[k][j] = stride;
        stride *= p.dims[j];
      }
    }
  }
  return p;
}

Result<Shape> broadcast_output_shape(const InferContext& ctx, size_t first, size_t count, const char* op) {
  std::vector<Shape> shapes;
  for (size_t i = first; i < first + count; ++i) shapes.push_back(ctx.input_shape(i));
  Result<Shape> out = broadcast_shapes(shapes);
  if (!out.ok()) {
    std::string all;
    for (const Shape& s : shapes) all += (all.empty() ? "" : ", ") + shape_str(s);
    return out.status().with_context(std::string(op) + " inputs " + all);
  }
  return out;
}

}  // namespace ew

namespace {

using ew::Tag;

Status require_inputs(const InferContext& ctx, size_t n, const char* op) {
  for (size_t i = 0; i < n; ++i)
    if (!ctx.has_input(i)) return InvalidArgument(std::string(op) + " needs input " + std::to_string(i));
  return Status::Ok();
}

Status require_same_dtype(const InferContext& ctx, size_t first, size_t count, const char* op) {
  for (size_t i = first + 1; i < first + count; ++i) {
    if (ctx.input_dtype(i) != ctx.input_dtype(first))
      return InvalidArgument(std::string(op) + " inputs must share a dtype, got " + dtype_name(ctx.input_dtype(first)) +
                             " and " + dtype_name(ctx.input_dtype(i)));
  }
  return Status::Ok();
}

Status check_kernel_inputs(const KernelContext& ctx, size_t n, const char* op) {
  for (size_t i = 0; i < n; ++i)
    if (!ctx.has_input(i)) return InvalidArgument(std::string(op) + " needs input " + std::to_string(i));
  if (!ctx.has_output(0)) return InvalidArgument(std::string(op) + " has no output");
  return Status::Ok();
}

// ---- binary arithmetic ------------------------------------------------------------

enum class Arith { kAdd, kSub, kMul, kDiv, kMod };

class BinaryArithOp : public Op {
 public:
  BinaryArithOp(Arith kind, const char* name) : kind_(kind), name_(name) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    fmod_ = attrs.get_int("fmod", 0) != 0;  // the legacy broadcast attribute: OpRegistry::create
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, name_));
    TOP_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 2, name_));
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(dt))
      return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    if (kind_ == Arith::kMod && !fmod_ && (dt == DataType::kFloat32 || dt == DataType::kFloat64))
      return InvalidArgument("Mod on floating-point inputs requires fmod=1");
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, name_));
    ctx.set_output(0, dt, out);
    return Status::Ok();
  }

  // float32 inputs of the output's shape share its layout; one input of shape
  // [N or 1, C, 1...] against a full one (squeeze-excitation scales) runs blocked too.
  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts r;
    if (kind_ == Arith::kMod || !ctx.has_input(0) || !ctx.has_input(1) || !ctx.output(0).present() ||
        ctx.input_dtype(0) != DataType::kFloat32)
      return r;
    const Shape& y = ctx.output(0).shape;
    const Shape &s0 = ctx.input_shape(0), &s1 = ctx.input_shape(1);
    auto channel_vector = [&](const Shape& s) {
      if (s.size() != y.size() || s.size() < 3 || (s[0] != y[0] && s[0] != 1) || s[1] != y[1]) return false;
      for (size_t d = 2; d < s.size(); ++d)
        if (s[d] != 1) return false;
      return true;
    };
    if (s0 == y && s1 == y) r.same = true;
    else if (s0 == y && channel_vector(s1)) r.inputs = r.outputs = 1;
    else if (s1 == y && channel_vector(s0)) r.inputs = 2, r.outputs = 1;
    return r;
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 2, name_));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& out = ctx.output(0);
    if (a.dtype() != b.dtype() || out.dtype() != a.dtype())
      return InvalidArgument(std::string(name_) + ": dtype mismatch between inputs and output");
    if (a.shape() != b.shape() && (ctx.output_block(0) != 0 || ctx.input_block(0) != 0 || ctx.input_block(1) != 0)) {
      const uint32_t full = ctx.input(0).shape() == out.shape() ? 1u : 2u;
      bool mixed = false;
      if (const int block = mixed_layout_block(ctx, full, 1, &mixed); mixed)
        return run_all_blocked(*this, ctx, block, full, 1);  // the plan's layouts differ
      switch (kind_) {
        case Arith::kAdd: return channel_broadcast_blocked(ctx, [](float x, float y) { return x + y; });
        case Arith::kSub: return channel_broadcast_blocked(ctx, [](float x, float y) { return x - y; });
        case Arith::kMul: return channel_broadcast_blocked(ctx, [](float x, float y) { return x * y; });
        case Arith::kDiv: return channel_broadcast_blocked(ctx, [](float x, float y) { return x / y; });
        default: return Internal(std::string(name_) + ": no blocked kernel");
      }
    }
    const bool fmod = fmod_;
    // Integers wrap on overflow as in numpy and ONNX Runtime (uint8 200 + 100 = 44).
    return ew::dispatch<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(
        a.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      switch (kind_) {
        case Arith::kAdd:
          return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) { return static_cast<T>(x + y); });
        case Arith::kSub:
          return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) { return static_cast<T>(x - y); });
        case Arith::kMul:
          return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) { return mul_wrapping(x, y); });
        case Arith::kDiv:
          if constexpr (std::is_floating_point_v<T>)
            return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) { return x / y; });
          else
            return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) { return int_div(x, y); });
        case Arith::kMod:
          return ew::binary_broadcast<T, T>(ctx, a, b, out, [fmod](T x, T y) { return mod_value(x, y, fmod); });
      }
      return Internal("unknown arithmetic kind");
    });
  }

 private:
  // A blocked full-shape input against a [N or 1, C, 1...] one (ops/blocked_layout.h):
  // each plane's B channels take their B values of the vector.
  template <class F>
  Status channel_broadcast_blocked(const KernelContext& ctx, F f) const {
    const int block = ctx.output_block(0);
    const bool a_full = ctx.input_block(0) == block;
    const Tensor& full = ctx.input(a_full ? 0 : 1);
    const Tensor& vec = ctx.input(a_full ? 1 : 0);
    Tensor& out = ctx.output(0);
    if (full.shape() != out.shape() || vec.rank() != out.rank() || vec.dim(1) != out.dim(1) || vec.numel() > out.numel() ||
        out.dim(1) % block != 0 || out.dtype() != DataType::kFloat32)
      return Internal(std::string(name_) + ": blocked operands do not match");
    const BlockedPlanes bp = blocked_planes(out.shape(), block);
    const bool per_batch = vec.dim(0) != 1;
    const float* x = full.data<float>();
    const float* v = vec.data<float>();
    float* y = out.data<float>();
    const int64_t grain = std::max<int64_t>(1, ew::kGrain / std::max<int64_t>(bp.spatial * block, 1));
    ctx.parallel_for(bp.planes(), grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float* vp = v + (per_batch ? (i / bp.channel_blocks) * out.dim(1) : 0) + bp.channel(i, 0);
        const float* xp = x + i * bp.spatial * block;
        float* yp = y + i * bp.spatial * block;
        for (int64_t j = 0; j < bp.spatial; ++j)
          for (int l = 0; l < block; ++l)
            yp[j * block + l] = a_full ? f(xp[j * block + l], vp[l]) : f(vp[l], xp[j * block + l]);
      }
    });
    return Status::Ok();
  }

  Arith kind_;
  const char* name_;
  bool fmod_ = false;
};

// ---- BitShift -------------------------------------------------------------------------

class BitShiftOp : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    const std::string dir = attrs.get_string("direction", "");
    if (dir != "LEFT" && dir != "RIGHT") return InvalidArgument("BitShift: direction must be LEFT or RIGHT, got '" + dir + "'");
    left_ = dir == "LEFT";
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "BitShift"));
    TOP_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 2, "BitShift"));
    if (!ew::dtype_in<uint8_t, uint16_t, uint32_t, uint64_t>(ctx.input_dtype(0)))
      return Unsupported(node_prefix("BitShift", ctx) + "dtype " + dtype_name(ctx.input_dtype(0)) +
                         " (BitShift takes unsigned integers)");
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, "BitShift"));
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 2, "BitShift"));
    const bool left = left_;
    return ew::dispatch<uint8_t, uint16_t, uint32_t, uint64_t>(ctx.input(0).dtype(), "BitShift", [&](auto tag) {
      using T = typename decltype(tag)::type;
      return ew::binary_broadcast<T, T>(ctx, ctx.input(0), ctx.input(1), ctx.output(0),
                                        [left](T x, T y) { return bit_shift(x, y, left); });
    });
  }

 private:
  bool left_ = true;
};

// ---- Pow ---------------------------------------------------------------------------

// Copies `src` converted to T (a small exponent tensor of another dtype).
template <class T>
Result<Tensor> converted(const Tensor& src) {
  TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype_of<T>(), src.shape()));
  T* p = t.data<T>();
  for (int64_t i = 0; i < src.numel(); ++i) {
    if constexpr (std::is_floating_point_v<T>)
      p[i] = static_cast<T>(src.item_as_double(i));
    else
      p[i] = static_cast<T>(src.item_as_int(i));
  }
  return t;
}

class PowOp : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "Pow"));
    const DataType base = ctx.input_dtype(0), ex = ctx.input_dtype(1);
    if (!ew::dtype_in<float, double, int32_t, int64_t>(base))
      return Unsupported(std::string("Pow does not support base dtype ") + dtype_name(base));
    // The exponent is converted to the base's type (converted<T>), so any numeric type does.
    if (!ew::dtype_in<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(ex))
      return Unsupported(std::string("Pow does not support exponent dtype ") + dtype_name(ex));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, "Pow"));
    ctx.set_output(0, base, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 2, "Pow"));
    const Tensor& a = ctx.input(0);
    Tensor& out = ctx.output(0);
    if (out.dtype() != a.dtype()) return InvalidArgument("Pow: output dtype differs from the base dtype");
    return ew::dispatch<float, double, int32_t, int64_t>(a.dtype(), "Pow", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      Tensor b = ctx.input(1);
      if (b.dtype() != a.dtype()) {
        TOP_ASSIGN_OR_RETURN(b, converted<T>(ctx.input(1)));
      }
      if constexpr (std::is_floating_point_v<T>) {
        if (b.numel() == 1 && shape_numel(a.shape()) == out.numel()) {
          const T e = b.data<T>()[0];
          auto run = [&](auto f) { ew::unary_map<T, T>(ctx, a, out, ew::kGrain, f); };
          if (e == T(2)) return run([](T x) { return x * x; }), Status::Ok();
          if (e == T(3)) return run([](T x) { return x * x * x; }), Status::Ok();
          if (e == T(1)) return run([](T x) { return x; }), Status::Ok();
          if (e == T(0.5)) return run([](T x) { return std::sqrt(x); }), Status::Ok();
          if (e == T(-1)) return run([](T x) { return T(1) / x; }), Status::Ok();
        }
        return ew::binary_broadcast<T, T>(
            ctx, a, b, out, [](T x, T y) { return std::pow(x, y); }, ew::kGrainHeavy);
      } else {
        return ew::binary_broadcast<T, T>(ctx, a, b, out, [](T x, T y) {
          return static_cast<T>(std::pow(static_cast<double>(x), static_cast<double>(y)));
        });
      }
    });
  }
};

// ---- variadic Min / Max / Sum / Mean ---------------------------------------------------

enum class Variadic { kMin, kMax, kSum, kMean };

class VariadicOp : public Op {
 public:
  VariadicOp(Variadic kind, const char* name) : kind_(kind), name_(name) {}

  Status infer(InferContext& ctx) const override {
    if (ctx.num_inputs() == 0) return InvalidArgument(std::string(name_) + " needs at least one input");
    TOP_RETURN_IF_ERROR(require_inputs(ctx, ctx.num_inputs(), name_));
    TOP_RETURN_IF_ERROR(require_same_dtype(ctx, 0, ctx.num_inputs(), name_));
    const DataType dt = ctx.input_dtype(0);
    const bool ok = kind_ == Variadic::kMean  ? ew::dtype_in<float, double>(dt)
                    : kind_ == Variadic::kSum ? ew::dtype_in<float, double, int32_t, int64_t>(dt)
                                              : ew::dtype_in<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t,
                                                             uint32_t, int64_t, uint64_t>(dt);
    if (!ok) return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, ctx.num_inputs(), name_));
    ctx.set_output(0, dt, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const size_t n = ctx.num_inputs();
    if (n == 0) return InvalidArgument(std::string(name_) + " needs at least one input");
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, n, name_));
    Tensor& out = ctx.output(0);
    for (size_t i = 0; i < n; ++i)
      if (ctx.input(i).dtype() != out.dtype()) return InvalidArgument(std::string(name_) + ": dtype mismatch");
    return ew::dispatch<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t>(
        out.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      auto run = [&](auto f) -> Status {
        if (n == 1) return ew::broadcast_copy<T>(ctx, ctx.input(0), out);
        TOP_RETURN_IF_ERROR((ew::binary_broadcast<T, T>(ctx, ctx.input(0), ctx.input(1), out, f)));
        for (size_t i = 2; i < n; ++i) TOP_RETURN_IF_ERROR(ew::accumulate_broadcast<T>(ctx, out, ctx.input(i), f));
        return Status::Ok();
      };
      switch (kind_) {
        case Variadic::kMin:
          return run([](T x, T y) { return min_nan(x, y); });
        case Variadic::kMax:
          return run([](T x, T y) { return max_nan(x, y); });
        case Variadic::kSum:
          return run([](T x, T y) { return static_cast<T>(x + y); });
        case Variadic::kMean: {
          TOP_RETURN_IF_ERROR(run([](T x, T y) { return static_cast<T>(x + y); }));
          const T scale = static_cast<T>(1) / static_cast<T>(n);
          T* p = out.data<T>();
          ctx.parallel_for(out.numel(), ew::kGrain, [&](int64_t b, int64_t e) {
            ew::loop_acc_s(p + b, scale, e - b, [](T x, T s) { return x * s; });
          });
          return Status::Ok();
        }
      }
      return Internal("unknown variadic kind");
    });
  }

 private:
  Variadic kind_;
  const char* name_;
};

// ---- comparisons and logic -------------------------------------------------------------

enum class Compare { kEqual, kLess, kGreater, kLessOrEqual, kGreaterOrEqual };

class CompareOp : public Op {
 public:
  CompareOp(Compare kind, const char* name) : kind_(kind), name_(name) {}

  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, name_));
    TOP_RETURN_IF_ERROR(require_same_dtype(ctx, 0, 2, name_));
    const DataType dt = ctx.input_dtype(0);
    if (!ew::dtype_in<float, double, int32_t, int64_t, int8_t, uint8_t, bool>(dt))
      return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, name_));
    ctx.set_output(0, DataType::kBool, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 2, name_));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& out = ctx.output(0);
    if (a.dtype() != b.dtype() || out.dtype() != DataType::kBool)
      return InvalidArgument(std::string(name_) + ": dtype mismatch");
    return ew::dispatch<float, double, int32_t, int64_t, int8_t, uint8_t, bool>(
        a.dtype(), name_, [&](auto tag) -> Status {
          using T = typename decltype(tag)::type;
          switch (kind_) {
            case Compare::kEqual:
              return ew::binary_broadcast<T, bool>(ctx, a, b, out, [](T x, T y) { return x == y; });
            case Compare::kLess:
              return ew::binary_broadcast<T, bool>(ctx, a, b, out, [](T x, T y) { return x < y; });
            case Compare::kGreater:
              return ew::binary_broadcast<T, bool>(ctx, a, b, out, [](T x, T y) { return x > y; });
            case Compare::kLessOrEqual:
              return ew::binary_broadcast<T, bool>(ctx, a, b, out, [](T x, T y) { return x <= y; });
            case Compare::kGreaterOrEqual:
              return ew::binary_broadcast<T, bool>(ctx, a, b, out, [](T x, T y) { return x >= y; });
          }
          return Internal("unknown comparison kind");
        });
  }

 private:
  Compare kind_;
  const char* name_;
};

enum class Logic { kAnd, kOr, kXor };

class LogicOp : public Op {
 public:
  LogicOp(Logic kind, const char* name) : kind_(kind), name_(name) {}

  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, name_));
    if (ctx.input_dtype(0) != DataType::kBool || ctx.input_dtype(1) != DataType::kBool)
      return InvalidArgument(std::string(name_) + " needs bool inputs, got " + dtype_name(ctx.input_dtype(0)) +
                             " and " + dtype_name(ctx.input_dtype(1)));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 2, name_));
    ctx.set_output(0, DataType::kBool, out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 2, name_));
    const Tensor& a = ctx.input(0);
    const Tensor& b = ctx.input(1);
    Tensor& out = ctx.output(0);
    if (a.dtype() != DataType::kBool || b.dtype() != DataType::kBool || out.dtype() != DataType::kBool)
      return InvalidArgument(std::string(name_) + " needs bool tensors");
    // Bytes of a bool tensor are 0 or 1, so bitwise ops on uint8 are exact and vectorise.
    auto as_u8 = [](const Tensor& t) {
      return Tensor::wrap(DataType::kUint8, t.shape(), nullptr, const_cast<void*>(t.raw_data()), t.capacity_bytes());
    };
    Tensor a8 = as_u8(a), b8 = as_u8(b), o8 = as_u8(out);
    switch (kind_) {
      case Logic::kAnd:
        return ew::binary_broadcast<uint8_t, uint8_t>(ctx, a8, b8, o8, [](uint8_t x, uint8_t y) { return uint8_t(x & y); });
      case Logic::kOr:
        return ew::binary_broadcast<uint8_t, uint8_t>(ctx, a8, b8, o8, [](uint8_t x, uint8_t y) { return uint8_t(x | y); });
      case Logic::kXor:
        return ew::binary_broadcast<uint8_t, uint8_t>(ctx, a8, b8, o8, [](uint8_t x, uint8_t y) { return uint8_t(x ^ y); });
    }
    return Internal("unknown logic kind");
  }

 private:
  Logic kind_;
  const char* name_;
};

// ---- unary math ----------------------------------------------------------------------

enum class Unary {
  kSqrt, kExp, kLog, kNeg, kAbs, kReciprocal, kFloor, kCeil, kRound, kSign, kErf, kSin, kCos, kTan,
  kAtan, kAsin, kAcos, kSinh, kCosh, kAsinh, kAcosh, kAtanh, kNot, kIsNaN, kIsInf
};

bool unary_is_float_only(Unary k) {
  switch (k) {
    case Unary::kNeg:
    case Unary::kAbs:
    case Unary::kSign:
    case Unary::kNot:
      return false;
    default:
      return true;
  }
}

class UnaryOp : public Op {
 public:
  UnaryOp(Unary kind, const char* name) : kind_(kind), name_(name) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    detect_negative_ = attrs.get_int("detect_negative", 1) != 0;
    detect_positive_ = attrs.get_int("detect_positive", 1) != 0;
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, name_));
    const DataType dt = ctx.input_dtype(0);
    bool ok;
    if (kind_ == Unary::kNot)
      ok = dt == DataType::kBool;
    else if (unary_is_float_only(kind_))
      ok = ew::dtype_in<float, double>(dt);
    else
      ok = ew::dtype_in<float, double, int32_t, int64_t, int8_t>(dt);
    if (!ok) return Unsupported(std::string(name_) + " does not support dtype " + dtype_name(dt));
    const bool to_bool = kind_ == Unary::kIsNaN || kind_ == Unary::kIsInf;
    ctx.set_output(0, to_bool ? DataType::kBool : dt, ctx.input_shape(0));
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 1, name_));
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (x.numel() != y.numel()) return InvalidArgument(std::string(name_) + ": output size differs from input");
    if (kind_ == Unary::kNot) {
      if (x.dtype() != DataType::kBool || y.dtype() != DataType::kBool) return InvalidArgument("Not needs bool tensors");
      const uint8_t* px = static_cast<const uint8_t*>(x.raw_data());
      uint8_t* py = static_cast<uint8_t*>(y.raw_data());
      ctx.parallel_for(y.numel(), ew::kGrain, [&](int64_t b, int64_t e) {
        ew::loop_map(px + b, py + b, e - b, [](uint8_t v) { return uint8_t(v ^ 1u); });
      });
      return Status::Ok();
    }
    if (kind_ == Unary::kIsNaN || kind_ == Unary::kIsInf) {
      if (y.dtype() != DataType::kBool) return InvalidArgument(std::string(name_) + " output must be bool");
      const bool neg = detect_negative_, pos = detect_positive_;
      return ew::dispatch<float, double>(x.dtype(), name_, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        if (kind_ == Unary::kIsNaN)
          ew::unary_map<T, bool>(ctx, x, y, ew::kGrain, [](T v) { return v != v; });
        else
          ew::unary_map<T, bool>(ctx, x, y, ew::kGrain, [neg, pos](T v) {
            return (pos && v == std::numeric_limits<T>::infinity()) || (neg && v == -std::numeric_limits<T>::infinity());
          });
        return Status::Ok();
      });
    }
    if (x.dtype() != y.dtype()) return InvalidArgument(std::string(name_) + ": output dtype differs from input");
    if (!unary_is_float_only(kind_)) {
      return ew::dispatch<float, double, int32_t, int64_t, int8_t>(x.dtype(), name_, [&](auto tag) -> Status {
        using T = typename decltype(tag)::type;
        switch (kind_) {
          case Unary::kNeg:
            ew::unary_map<T, T>(ctx, x, y, ew::kGrain, [](T v) { return static_cast<T>(-v); });
            break;
          case Unary::kAbs:
            ew::unary_map<T, T>(ctx, x, y, ew::kGrain, [](T v) { return v < T(0) ? static_cast<T>(-v) : v; });
            break;
          default:  // kSign
            ew::unary_map<T, T>(ctx, x, y, ew::kGrain, [](T v) { return static_cast<T>((T(0) < v) - (v < T(0))); });
            break;
        }
        return Status::Ok();
      });
    }
    return ew::dispatch<float, double>(x.dtype(), name_, [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      constexpr bool kF32 = std::is_same_v<T, float>;
      auto cheap = [&](auto f) { ew::unary_map<T, T>(ctx, x, y, ew::kGrain, f); };
      auto heavy = [&](auto f) { ew::unary_map<T, T>(ctx, x, y, ew::kGrainHeavy, f); };
      switch (kind_) {
        case Unary::kSqrt: cheap([](T v) { return std::sqrt(v); }); break;
        case Unary::kReciprocal: cheap([](T v) { return T(1) / v; }); break;
        case Unary::kFloor: cheap([](T v) { return std::floor(v); }); break;
        case Unary::kCeil: cheap([](T v) { return std::ceil(v); }); break;
        case Unary::kRound: cheap([](T v) { return std::nearbyint(v); }); break;  // half to even
        case Unary::kExp:
          if constexpr (kF32) heavy([](float v) { return ew::exp_f(v); });
          else heavy([](T v) { return std::exp(v); });
          break;
        case Unary::kErf:
          if constexpr (kF32) heavy([](float v) { return ew::erf_f(v); });
          else heavy([](T v) { return std::erf(v); });
          break;
        case Unary::kLog: heavy([](T v) { return std::log(v); }); break;
        case Unary::kSin: heavy([](T v) { return std::sin(v); }); break;
        case Unary::kCos: heavy([](T v) { return std::cos(v); }); break;
        case Unary::kTan: heavy([](T v) { return std::tan(v); }); break;
        case Unary::kAtan: heavy([](T v) { return std::atan(v); }); break;
        case Unary::kAsin: heavy([](T v) { return std::asin(v); }); break;
        case Unary::kAcos: heavy([](T v) { return std::acos(v); }); break;
        case Unary::kSinh: heavy([](T v) { return std::sinh(v); }); break;
        case Unary::kCosh: heavy([](T v) { return std::cosh(v); }); break;
        case Unary::kAsinh: heavy([](T v) { return std::asinh(v); }); break;
        case Unary::kAcosh: heavy([](T v) { return std::acosh(v); }); break;
        case Unary::kAtanh: heavy([](T v) { return std::atanh(v); }); break;
        default: return Internal("unknown unary kind");
      }
      return Status::Ok();
    });
  }

 private:
  Unary kind_;
  const char* name_;
  bool detect_negative_ = true;
  bool detect_positive_ = true;
};

// ---- Where ---------------------------------------------------------------------------

template <class T>
Status where_kernel(const KernelContext& ctx, const Tensor& c, const Tensor& x, const Tensor& y, Tensor& out) {
  TOP_ASSIGN_OR_RETURN(ew::BroadcastPlan plan, ew::make_broadcast_plan({c.shape(), x.shape(), y.shape()}, out.shape()));
  const uint8_t* pc = static_cast<const uint8_t*>(c.raw_data());
  const T* px = static_cast<const T*>(x.raw_data());
  const T* py = static_cast<const T*>(y.raw_data());
  T* po = static_cast<T*>(out.raw_data());
  const int64_t sc = plan.inner_stride(0), sx = plan.inner_stride(1), sy = plan.inner_stride(2);
  ctx.parallel_for(plan.numel, ew::kGrain, [&](int64_t begin, int64_t end) {
    ew::walk_segments<3>(plan, begin, end, [&](int64_t oo, const int64_t* io, int64_t len) {
      const uint8_t* c0 = pc + io[0];
      const T* x0 = px + io[1];
      const T* y0 = py + io[2];
      T* o0 = po + oo;
      if (sc && sx && sy) {
        ew::loop_select(c0, x0, y0, o0, len);
      } else if (!sc) {
        // One condition for the whole run: a copy or a fill.
        const T* src = c0[0] ? x0 : y0;
        const int64_t s = c0[0] ? sx : sy;
        if (s)
          std::memcpy(o0, src, static_cast<size_t>(len) * sizeof(T));
        else
          std::fill(o0, o0 + len, src[0]);
      } else {
        for (int64_t i = 0; i < len; ++i) o0[i] = c0[i] ? x0[i * sx] : y0[i * sy];
      }
    });
  });
  return Status::Ok();
}

class WhereOp : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, "Where"));
    if (ctx.input_dtype(0) != DataType::kBool)
      return InvalidArgument(std::string("Where condition must be bool, got ") + dtype_name(ctx.input_dtype(0)));
    TOP_RETURN_IF_ERROR(require_same_dtype(ctx, 1, 2, "Where"));
    TOP_ASSIGN_OR_RETURN(Shape out, ew::broadcast_output_shape(ctx, 0, 3, "Where"));
    ctx.set_output(0, ctx.input_dtype(1), out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 3, "Where"));
    const Tensor& c = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    Tensor& out = ctx.output(0);
    if (c.dtype() != DataType::kBool || x.dtype() != y.dtype() || out.dtype() != x.dtype())
      return InvalidArgument("Where: condition must be bool and X, Y, output share a dtype");
    switch (dtype_size(x.dtype())) {
      case 1: return where_kernel<uint8_t>(ctx, c, x, y, out);
      case 2: return where_kernel<uint16_t>(ctx, c, x, y, out);
      case 4: return where_kernel<uint32_t>(ctx, c, x, y, out);
      case 8: return where_kernel<uint64_t>(ctx, c, x, y, out);
      default: return Unsupported(std::string("Where does not support dtype ") + dtype_name(x.dtype()));
    }
  }
};

// ---- Cast ----------------------------------------------------------------------------

template <class From, class To>
void cast_loop(const KernelContext& ctx, const Tensor& x, Tensor& y) {
  ew::unary_map<From, To>(ctx, x, y, ew::kGrain, [](From v) { return convert_value<To, From>(v); });
}

Status cast_tensor(const KernelContext& ctx, const Tensor& x, Tensor& y) {
  const DataType from = x.dtype(), to = y.dtype();
  if (x.numel() != y.numel()) return InvalidArgument("Cast: output size differs from input");
  if (from == to) {
    std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
    return Status::Ok();
  }
  const bool half_from = from == DataType::kFloat16 || from == DataType::kBFloat16;
  const bool half_to = to == DataType::kFloat16 || to == DataType::kBFloat16;
  if (half_from || half_to) {
    // 16-bit floats go through float32: both convert to float exactly.
    if (half_from) {
      Tensor tmp = y;
      if (to != DataType::kFloat32) {
        TOP_ASSIGN_OR_RETURN(tmp, Tensor::allocate(DataType::kFloat32, x.shape()));
      }
      const uint16_t* px = static_cast<const uint16_t*>(x.raw_data());
      float* pt = tmp.data<float>();
      const bool bf = from == DataType::kBFloat16;
      ctx.parallel_for(x.numel(), ew::kGrain, [&](int64_t b, int64_t e) { halves_to_floats(bf, px + b, pt + b, e - b); });
      return to == DataType::kFloat32 ? Status::Ok() : cast_tensor(ctx, tmp, y);
    }
    Tensor tmp = x;
    if (from != DataType::kFloat32) {
      TOP_ASSIGN_OR_RETURN(tmp, Tensor::allocate(DataType::kFloat32, x.shape()));
      TOP_RETURN_IF_ERROR(cast_tensor(ctx, x, tmp));
    }
    const float* pt = tmp.data<float>();
    uint16_t* py = static_cast<uint16_t*>(y.raw_data());
    const bool bf = to == DataType::kBFloat16;
    ctx.parallel_for(x.numel(), ew::kGrain, [&](int64_t b, int64_t e) { floats_to_halves(bf, pt + b, py + b, e - b); });
    return Status::Ok();
  }
  return ew::dispatch<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, bool>(
      from, "Cast", [&](auto ftag) -> Status {
        using From = typename decltype(ftag)::type;
        return ew::dispatch<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t,
                            bool>(
            to, "Cast", [&](auto ttag) -> Status {
              using To = typename decltype(ttag)::type;
              cast_loop<From, To>(ctx, x, y);
              return Status::Ok();
            });
      });
}

bool castable(DataType t) {
  return t == DataType::kFloat16 || t == DataType::kBFloat16 ||
         ew::dtype_in<float, double, int8_t, uint8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t, uint64_t, bool>(t);
}

class CastOp : public Op {
 public:
  explicit CastOp(bool like) : like_(like) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    if (like_) return Status::Ok();
    if (!attrs.has("to")) return InvalidArgument("Cast needs the 'to' attribute");
    TOP_ASSIGN_OR_RETURN(to_, from_onnx_dtype(attrs.get_int("to", 0)));
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    const char* name = like_ ? "CastLike" : "Cast";
    TOP_RETURN_IF_ERROR(require_inputs(ctx, like_ ? 2 : 1, name));
    const DataType to = like_ ? ctx.input_dtype(1) : to_;
    if (!castable(ctx.input_dtype(0)) || !castable(to))
      return Unsupported(std::string(name) + " from " + dtype_name(ctx.input_dtype(0)) + " to " + dtype_name(to) +
                         " is not supported");
    ctx.set_output(0, to, ctx.input_shape(0));
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 1, like_ ? "CastLike" : "Cast"));
    return cast_tensor(ctx, ctx.input(0), ctx.output(0));
  }

 private:
  bool like_;
  DataType to_ = DataType::kUndefined;
};

// ---- Identity, Dropout -------------------------------------------------------------------

Status copy_tensor(const KernelContext& ctx, const Tensor& x, Tensor& y) {
  if (x.nbytes() != y.nbytes()) return InvalidArgument("output size differs from the input");
  const char* px = static_cast<const char*>(x.raw_data());
  char* py = static_cast<char*>(y.raw_data());
  ctx.parallel_for(static_cast<int64_t>(x.nbytes()), 1 << 20, [&](int64_t b, int64_t e) {
    std::memcpy(py + b, px + b, static_cast<size_t>(e - b));
  });
  return Status::Ok();
}

class IdentityOp : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Identity"));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 1, "Identity"));
    return copy_tensor(ctx, ctx.input(0), ctx.output(0));
  }
  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    c.flops = 0;
    return c;
  }
};

// The output is the input and the mask is all true: inference, or training_mode with a
// ratio of exactly 0. Training with a ratio above 0 (random masks) is refused.
class DropoutOp : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    opset_ = opset;
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Dropout"));
    if (ctx.has_input(2)) {
      if (ctx.input_dtype(2) != DataType::kBool) return InvalidArgument("Dropout training_mode must be bool");
      const Tensor* t = ctx.constant_input(2);
      const Tensor* ratio = ctx.has_input(1) ? ctx.constant_input(1) : nullptr;
      if (t && t->numel() >= 1 && t->data<bool>()[0] && !(ratio && ratio->numel() == 1 && ratio->item_as_double(0) == 0))
        return Unsupported("Dropout with training_mode=true and a ratio above 0 (random masks are not supported)");
    }
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    if (ctx.num_outputs() > 1)
      ctx.set_output(1, opset_ >= 10 ? DataType::kBool : ctx.input_dtype(0), ctx.input_shape(0));
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    TOP_RETURN_IF_ERROR(check_kernel_inputs(ctx, 1, "Dropout"));
    if (ctx.has_input(2)) {
      const Tensor& t = ctx.input(2);
      if (t.dtype() != DataType::kBool) return InvalidArgument("Dropout training_mode must be bool");
      const bool zero_ratio = ctx.has_input(1) && ctx.input(1).numel() == 1 && ctx.input(1).item_as_double(0) == 0;
      if (t.numel() >= 1 && t.data<bool>()[0] && !zero_ratio)
        return Unsupported("Dropout with training_mode=true and a ratio above 0 (random masks are not supported)");
    }
    TOP_RETURN_IF_ERROR(copy_tensor(ctx, ctx.input(0), ctx.output(0)));
    if (ctx.has_output(1)) {
      Tensor& m = ctx.output(1);
      if (m.dtype() == DataType::kBool) {
        std::memset(m.raw_data(), 1, m.nbytes());
      } else {
        TOP_ASSIGN_OR_RETURN(Tensor one, Tensor::allocate(DataType::kFloat32, {}));
        one.data<float>()[0] = 1.0f;
        TOP_ASSIGN_OR_RETURN(Tensor one_t, Tensor::allocate(m.dtype(), {}));
        TOP_RETURN_IF_ERROR(cast_tensor(ctx, one, one_t));
        const size_t es = dtype_size(m.dtype());
        char* p = static_cast<char*>(m.raw_data());
        for (int64_t i = 0; i < m.numel(); ++i) std::memcpy(p + i * es, one_t.raw_data(), es);
      }
    }
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    c.flops = 0;
    return c;
  }

 private:
  int opset_ = 13;
};

}  // namespace

void register_elementwise_ops(OpRegistry& r) {
  auto arith = [&r](const char* name, Arith k) {
    r.add(name, 1, [name, k] { return std::make_unique<BinaryArithOp>(k, name); });
  };
  arith("Add", Arith::kAdd);
  arith("Sub", Arith::kSub);
  arith("Mul", Arith::kMul);
  arith("Div", Arith::kDiv);
  r.add("Mod", 10, [] { return std::make_unique<BinaryArithOp>(Arith::kMod, "Mod"); });
  r.add("BitShift", 11, [] { return std::make_unique<BitShiftOp>(); });
  r.add("Pow", 1, [] { return std::make_unique<PowOp>(); });

  auto variadic = [&r](const char* name, Variadic k) {
    r.add(name, 1, [name, k] { return std::make_unique<VariadicOp>(k, name); });
  };
  variadic("Min", Variadic::kMin);
  variadic("Max", Variadic::kMax);
  variadic("Sum", Variadic::kSum);
  variadic("Mean", Variadic::kMean);

  auto compare = [&r](const char* name, int since, Compare k) {
    r.add(name, since, [name, k] { return std::make_unique<CompareOp>(k, name); });
  };
  compare("Equal", 1, Compare::kEqual);
  compare("Less", 1, Compare::kLess);
  compare("Greater", 1, Compare::kGreater);
  compare("LessOrEqual", 12, Compare::kLessOrEqual);
  compare("GreaterOrEqual", 12, Compare::kGreaterOrEqual);

  auto logic = [&r](const char* name, Logic k) {
    r.add(name, 1, [name, k] { return std::make_unique<LogicOp>(k, name); });
  };
  logic("And", Logic::kAnd);
  logic("Or", Logic::kOr);
  logic("Xor", Logic::kXor);

  auto unary = [&r](const char* name, int since, Unary k) {
    r.add(name, since, [name, k] { return std::make_unique<UnaryOp>(k, name); });
  };
  unary("Sqrt", 1, Unary::kSqrt);
  unary("Exp", 1, Unary::kExp);
  unary("Log", 1, Unary::kLog);
  unary("Neg", 1, Unary::kNeg);
  unary("Abs", 1, Unary::kAbs);
  unary("Reciprocal", 1, Unary::kReciprocal);
  unary("Floor", 1, Unary::kFloor);
  unary("Ceil", 1, Unary::kCeil);
  unary("Round", 11, Unary::kRound);
  unary("Sign", 9, Unary::kSign);
  unary("Erf", 9, Unary::kErf);
  unary("Sin", 7, Unary::kSin);
  unary("Cos", 7, Unary::kCos);
  unary("Tan", 7, Unary::kTan);
  unary("Atan", 7, Unary::kAtan);
  unary("Asin", 7, Unary::kAsin);
  unary("Acos", 7, Unary::kAcos);
  unary("Sinh", 9, Unary::kSinh);
  unary("Cosh", 9, Unary::kCosh);
  unary("Asinh", 9, Unary::kAsinh);
  unary("Acosh", 9, Unary::kAcosh);
  unary("Atanh", 9, Unary::kAtanh);
  unary("Not", 1, Unary::kNot);
  unary("IsNaN", 9, Unary::kIsNaN);
  unary("IsInf", 10, Unary::kIsInf);

  r.add("Where", 9, [] { return std::make_unique<WhereOp>(); });
  r.add("Cast", 1, [] { return std::make_unique<CastOp>(false); });
  r.add("CastLike", 15, [] { return std::make_unique<CastOp>(true); });
  r.add("Identity", 1, [] { return std::make_unique<IdentityOp>(); });
  r.add("Dropout", 1, [] { return std::make_unique<DropoutOp>(); });
}

}  // namespace top::ops

// GPU elementwise operators (src/ops/elementwise.cpp on the CPU): unary math, binary
// arithmetic/comparison/logic with broadcasting, variadic Min/Max/Sum/Mean, Where, Clip,
// Cast/CastLike, Identity and inference-mode Dropout. Kernels: kernels/elementwise.cu.
#include <algorithm>
#include <cstring>
#include <limits>

#include "backend/cuda/cuda_op_util.h"
#include "kernels/copy.h"
#include "kernels/fill.h"
#include "ops/op_util.h"

namespace top::cuda {
namespace {

using kernels::BinaryKind;
using kernels::UnaryKind;

const std::vector<DataType> kArithTypes = {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64};
const std::vector<DataType> kCompareTypes = {DataType::kFloat32, DataType::kFloat64, DataType::kInt32, DataType::kInt64,
                                             DataType::kInt8,    DataType::kUint8,   DataType::kBool};

Result<std::unique_ptr<CudaOp>> make_mod(const PrepareContext& ctx) {
  const bool fmod = attrs_of(ctx).get_int("fmod", 0) != 0;
  return make_binary_op(ctx, fmod ? BinaryKind::kFmod : BinaryKind::kMod, kArithTypes);
}

// Min/Max/Sum/Mean over any number of broadcasting inputs: the first two combine into
// the output, every further input accumulates into it in place; Mean then scales.
Result<std::unique_ptr<CudaOp>> make_variadic(const PrepareContext& ctx, BinaryKind kind, bool mean) {
  const size_t n = ctx.inputs.size();
  if (n == 0) return InvalidArgument(node_label(ctx) + ": needs at least one input");
  const std::vector<DataType> types =
      mean ? std::vector<DataType>{DataType::kFloat32, DataType::kFloat64} : kArithTypes;
  for (size_t i = 0; i < n; ++i) TOP_RETURN_IF_ERROR(require_input(ctx, i, types));
  const DataType dt = ctx.inputs[0].dtype;
  for (size_t i = 1; i < n; ++i)
    if (ctx.inputs[i].dtype != dt) return InvalidArgument(node_label(ctx) + ": inputs must share one dtype");
  const Shape& out = ctx.outputs.at(0).shape;
  kernels::StridedIndex<2> single;
  kernels::StridedIndex<3> first;
  std::vector<kernels::StridedIndex<3>> rest;
  if (n == 1) {
    TOP_ASSIGN_OR_RETURN(single, broadcast_index<2>(ctx, {ctx.inputs[0].shape}, out));
  } else {
    TOP_ASSIGN_OR_RETURN(first, broadcast_index<3>(ctx, {ctx.inputs[0].shape, ctx.inputs[1].shape}, out));
    for (size_t i = 2; i < n; ++i) {
      TOP_ASSIGN_OR_RETURN(auto index, broadcast_index<3>(ctx, {out, ctx.inputs[i].shape}, out));
      rest.push_back(index);
    }
  }
  kernels::UnaryParams scale;
  scale.scale = 1.0 / static_cast<double>(n);
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x0, launch_input(lc, 0, node));
    if (n == 1) {
      TOP_CUDA_CHECK(kernels::strided_copy(dtype_size(dt), x0->data, y->data, single, lc.stream()));
    } else {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* x1, launch_input(lc, 1, node));
      TOP_CUDA_CHECK(kernels::binary(kind, dt, dt, x0->data, x1->data, y->data, first, lc.stream()));
      for (size_t i = 2; i < n; ++i) {
        TOP_ASSIGN_OR_RETURN(const DeviceTensor* xi, launch_input(lc, i, node));
        TOP_CUDA_CHECK(kernels::binary(kind, dt, dt, y->data, xi->data, y->data, rest[i - 2], lc.stream()));
      }
    }
    if (mean) TOP_CUDA_CHECK(kernels::unary(UnaryKind::kScale, dt, y->data, y->data, y->numel(), scale, lc.stream()));
    return Status::Ok();
  });
}

Result<std::unique_ptr<CudaOp>> make_where(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kBool}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1));
  TOP_RETURN_IF_ERROR(require_input(ctx, 2, {ctx.inputs[1].dtype}));
  const size_t esize = dtype_size(ctx.inputs[1].dtype);
  TOP_ASSIGN_OR_RETURN(auto index,
                       broadcast_index<4>(ctx, {ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.inputs[2].shape},
                                          ctx.outputs.at(0).shape));
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* c, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 1, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* y, launch_input(lc, 2, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    TOP_CUDA_CHECK(kernels::where(esize, c->data, x->data, y->data, out->data, index, lc.stream()));
    return Status::Ok();
  });
}

// Clip: bounds from attributes before opset 11, else optional scalar inputs read on the
// device (so they need not be constant at plan time).
Result<std::unique_ptr<CudaOp>> make_clip(const PrepareContext& ctx) {
  const int opset = ctx.node->opset;
  const std::vector<DataType> types =
      opset < 11 ? std::vector<DataType>{DataType::kFloat32, DataType::kFloat64}
                 : std::vector<DataType>{DataType::kFloat32, DataType::kFloat64, DataType::kInt8,
                                         DataType::kUint8,   DataType::kInt32,   DataType::kInt64};
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, types));
  const DataType dt = ctx.inputs[0].dtype;
  kernels::ClipBounds base;
  base.from_attributes = opset < 11;
  base.min_attr = attrs_of(ctx).get_float("min", -std::numeric_limits<float>::max());
  base.max_attr = attrs_of(ctx).get_float("max", std::numeric_limits<float>::max());
  bool has_bound[3] = {false, false, false};
  for (size_t i = 1; i <= 2 && opset >= 11; ++i) {
    if (!ctx.has_input(i)) continue;
    TOP_RETURN_IF_ERROR(require_input(ctx, i, {dt}));
    if (shape_numel(ctx.inputs[i].shape) != 1)
      return InvalidArgument(node_label(ctx) + ": min/max must be scalars, got " + shape_str(ctx.inputs[i].shape));
    has_bound[i] = true;
  }
  const std::string node = node_label(ctx);
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(DeviceTensor* y, launch_output(lc, 0, node));
    kernels::ClipBounds b = base;
    if (has_bound[1]) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* lo, launch_input(lc, 1, node));
      b.min_device = lo->data;
    }
    if (has_bound[2]) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* hi, launch_input(lc, 2, node));
      b.max_device = hi->data;
    }
    TOP_CUDA_CHECK(kernels::clip(dt, x->data, y->data, x->numel(), b, lc.stream()));
    return Status::Ok();
  });
}

// Cast and CastLike: the target is the output's dtype, which the plan already decided.
Result<std::unique_ptr<CudaOp>> make_cast(const PrepareContext& ctx) {
  const std::vector<DataType> castable = {DataType::kFloat32, DataType::kFloat64, DataType::kFloat16,
                                          DataType::kInt8,    DataType::kUint8,   DataType::kInt16,
                                          DataType::kInt32,   DataType::kInt64,   DataType::kBool};
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, castable));
  const DataType from = ctx.inputs[0].dtype, to = ctx.outputs.at(0).dtype;
  if (std::find(castable.begin(), castable.end(), to) == castable.end())
    return ctx.unsupported(std::string("cast to ") + dtype_name(to));
  return xy_op(ctx, "kernels::cast", [=](const DeviceTensor& x, DeviceTensor& y, cudaStream_t s) {
    return kernels::cast(from, to, x.data, y.data, x.numel(), s);
  });
}

// Inference only: Y = X; the optional mask is all true (bool since opset 10, else X's dtype).
Result<std::unique_ptr<CudaOp>> make_dropout(const PrepareContext& ctx) {
  if (ctx.has_input(2)) {
    const Tensor* t = ctx.inputs[2].constant;
    if (ctx.inputs[2].dtype != DataType::kBool)
      return InvalidArgument(node_label(ctx) + ": training_mode must be bool");
    if (t == nullptr) return ctx.unsupported("training_mode is not constant at plan time");
    if (t->numel() >= 1 && t->data<bool>()[0]) return ctx.unsupported("training_mode=true (inference only)");
  }
  TOP_ASSIGN_OR_RETURN(std::unique_ptr<CudaOp> copy, make_copy_op(ctx));
  uint64_t one = 0;
  DataType mask_dt = DataType::kUndefined;
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) {
    mask_dt = ctx.outputs[1].dtype;
    if (!ops::put_scalar(mask_dt, 1.0, reinterpret_cast<uint8_t*>(&one)))
      return ctx.unsupported(std::string("mask dtype ") + dtype_name(mask_dt));
  }
  std::shared_ptr<const CudaOp> copy_op(std::move(copy));
  return function_op([=](const LaunchContext& lc) -> Status {
    TOP_RETURN_IF_ERROR(copy_op->launch(lc));
    if (lc.outputs.size() > 1 && lc.outputs[1] != nullptr && mask_dt != DataType::kUndefined) {
      DeviceTensor* m = lc.outputs[1];
      TOP_CUDA_CHECK(kernels::fill(m->data, &one, dtype_size(mask_dt), m->numel(), lc.stream()));
    }
    return Status::Ok();
  });
}

}  // namespace

void register_cuda_elementwise_ops(CudaOpRegistry& r) {
  auto binary = [&r](const char* name, BinaryKind k, const std::vector<DataType>& types) {
    r.add(name, [k, types](const PrepareContext& ctx) { return make_binary_op(ctx, k, types); });
  };
  binary("Add", BinaryKind::kAdd, kArithTypes);
  binary("Sub", BinaryKind::kSub, kArithTypes);
  binary("Mul", BinaryKind::kMul, kArithTypes);
  binary("Div", BinaryKind::kDiv, kArithTypes);
  binary("Pow", BinaryKind::kPow, kArithTypes);
  r.add("Mod", make_mod);
  r.add("BitShift", [](const PrepareContext& ctx) -> Result<std::unique_ptr<CudaOp>> {
    const std::string dir = attrs_of(ctx).get_string("direction", "");
    if (dir != "LEFT" && dir != "RIGHT") return InvalidArgument(node_label(ctx) + ": direction must be LEFT or RIGHT");
    return make_binary_op(ctx, dir == "LEFT" ? BinaryKind::kShiftLeft : BinaryKind::kShiftRight,
                          {DataType::kUint8, DataType::kUint16, DataType::kUint32, DataType::kUint64});
  });
  binary("Equal", BinaryKind::kEqual, kCompareTypes);
  binary("Less", BinaryKind::kLess, kCompareTypes);
  binary("Greater", BinaryKind::kGreater, kCompareTypes);
  binary("LessOrEqual", BinaryKind::kLessOrEqual, kCompareTypes);
  binary("GreaterOrEqual", BinaryKind::kGreaterOrEqual, kCompareTypes);
  binary("And", BinaryKind::kAnd, {DataType::kBool});
  binary("Or", BinaryKind::kOr, {DataType::kBool});
  binary("Xor", BinaryKind::kXor, {DataType::kBool});

  auto variadic = [&r](const char* name, BinaryKind k, bool mean) {
    r.add(name, [k, mean](const PrepareContext& ctx) { return make_variadic(ctx, k, mean); });
  };
  variadic("Min", BinaryKind::kMin, false);
  variadic("Max", BinaryKind::kMax, false);
  variadic("Sum", BinaryKind::kAdd, false);
  variadic("Mean", BinaryKind::kAdd, true);

  auto unary = [&r](const char* name, UnaryKind k) {
    r.add(name, [k](const PrepareContext& ctx) { return make_unary_op(ctx, k); });
  };
  unary("Sqrt", UnaryKind::kSqrt);
  unary("Exp", UnaryKind::kExp);
  unary("Log", UnaryKind::kLog);
  unary("Neg", UnaryKind::kNeg);
  unary("Abs", UnaryKind::kAbs);
  unary("Reciprocal", UnaryKind::kReciprocal);
  unary("Floor", UnaryKind::kFloor);
  unary("Ceil", UnaryKind::kCeil);
  unary("Round", UnaryKind::kRound);
  unary("Sign", UnaryKind::kSign);
  unary("Erf", UnaryKind::kErf);
  unary("Sin", UnaryKind::kSin);
  unary("Cos", UnaryKind::kCos);
  unary("Tan", UnaryKind::kTan);
  unary("Atan", UnaryKind::kAtan);
  unary("Asin", UnaryKind::kAsin);
  unary("Acos", UnaryKind::kAcos);
  unary("Sinh", UnaryKind::kSinh);
  unary("Cosh", UnaryKind::kCosh);
  unary("Asinh", UnaryKind::kAsinh);
  unary("Acosh", UnaryKind::kAcosh);
  unary("Atanh", UnaryKind::kAtanh);
  unary("Not", UnaryKind::kNot);
  unary("IsNaN", UnaryKind::kIsNaN);
  r.add("IsInf", [](const PrepareContext& ctx) {
    kernels::UnaryParams p;
    p.detect_negative = attrs_of(ctx).get_int("detect_negative", 1) != 0;
    p.detect_positive = attrs_of(ctx).get_int("detect_positive", 1) != 0;
    return make_unary_op(ctx, UnaryKind::kIsInf, p);
  });

  r.add("Where", make_where);
  r.add("Clip", make_clip);
  r.add("Cast", make_cast);
  r.add("CastLike", make_cast);
  r.add("Identity", make_copy_op);
  r.add("Dropout", make_dropout);
}

}  // namespace top::cuda

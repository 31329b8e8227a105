// ScatterElements, Scatter (its deprecated opset 9-10 name) and ScatterND: a copy of
// data with updates written (or combined by a reduction) at the indexed places.
// Indices are checked before anything is written; with duplicate indices and no
// reduction the last update wins (ONNX leaves the order undefined).
#include <algorithm>
#include <cstring>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/scatter.h"

namespace top::ops {
namespace {

template <class T>
T reduce(ScatterReduction r, T old, T v) {
  switch (r) {
    case ScatterReduction::kAdd: return static_cast<T>(old + v);
    case ScatterReduction::kMul: return static_cast<T>(old * v);
    case ScatterReduction::kMax: return std::max(old, v);
    case ScatterReduction::kMin: return std::min(old, v);
    default: return v;
  }
}

int64_t index_at(const Tensor& idx, int64_t i) {
  return idx.dtype() == DataType::kInt64 ? idx.data<int64_t>()[i] : idx.data<int32_t>()[i];
}

// Writes updates into y (a copy of data) at the element offsets `at` (one per update).
Status apply(const Tensor& updates, const std::vector<int64_t>& at, int64_t run, ScatterReduction r, Tensor& y,
             const char* op) {
  if (r == ScatterReduction::kNone) {
    const size_t esize = dtype_size(y.dtype());
    const auto* src = static_cast<const uint8_t*>(updates.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    for (size_t u = 0; u < at.size(); ++u)
      std::memcpy(dst + static_cast<size_t>(at[u]) * esize, src + u * static_cast<size_t>(run) * esize,
                  static_cast<size_t>(run) * esize);
    return Status::Ok();
  }
  return ew::dispatch<float, double, int32_t, int64_t>(y.dtype(), op, [&](auto tag) -> Status {
    using T = typename decltype(tag)::type;
    const T* src = updates.data<T>();
    T* dst = y.data<T>();
    for (size_t u = 0; u < at.size(); ++u)
      for (int64_t j = 0; j < run; ++j) dst[at[u] + j] = reduce(r, dst[at[u] + j], src[static_cast<int64_t>(u) * run + j]);
    return Status::Ok();
  });
}

class ScatterBase : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", 0);
    TOP_ASSIGN_OR_RETURN(reduction_, parse_scatter_reduction(attrs.get_string("reduction", "none"), name() + ": "));
    return Status::Ok();
  }

 protected:
  virtual std::string name() const = 0;
  Status check_common(const InferContext& ctx, const std::string& p) const {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, name()));
    if (!is_index_dtype(ctx.input_dtype(1)))
      return InvalidArgument(p + "indices must be int32 or int64, got " + dtype_name(ctx.input_dtype(1)));
    if (ctx.input_dtype(2) != ctx.input_dtype(0)) return InvalidArgument(p + "updates and data differ in dtype");
    if (reduction_ != ScatterReduction::kNone && !ew::dtype_in<float, double, int32_t, int64_t>(ctx.input_dtype(0)))
      return Unsupported(p + "a reduction on dtype " + dtype_name(ctx.input_dtype(0)));
    return Status::Ok();
  }
  int64_t axis_ = 0;
  ScatterReduction reduction_ = ScatterReduction::kNone;
};

class ScatterElementsOp final : public ScatterBase {
 public:
  explicit ScatterElementsOp(std::string name) : name_(std::move(name)) {}
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name_, ctx);
    TOP_RETURN_IF_ERROR(check_common(ctx, p));
    TOP_RETURN_IF_ERROR(
        scatter_elements_axis(ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2), axis_, p).status());
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    const Tensor& upd = ctx.input(2);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(int64_t axis, scatter_elements_axis(x.shape(), idx.shape(), upd.shape(), axis_, name_ + ": "));
    if (y.shape() != x.shape() || y.dtype() != x.dtype() || upd.dtype() != x.dtype())
      return InvalidArgument(name_ + ": output mismatch");
    const std::vector<int64_t> xs = row_major_strides(x.shape());
    const Shape& is = idx.shape();
    const int64_t dim = x.dim(static_cast<int>(axis));
    std::vector<int64_t> at(static_cast<size_t>(idx.numel()));
    for (int64_t i = 0; i < idx.numel(); ++i) {
      int64_t k = index_at(idx, i);
      if (k < -dim || k >= dim)
        return InvalidArgument(name_ + ": index " + std::to_string(k) + " is out of range for an axis of " +
                               std::to_string(dim));
      if (k < 0) k += dim;
      int64_t rem = i, off = 0;
      for (size_t d = is.size(); d-- > 0;) {
        const int64_t c = rem % is[d];
        rem /= is[d];
        off += (static_cast<int64_t>(d) == axis ? k : c) * xs[d];
      }
      at[static_cast<size_t>(i)] = off;
    }
    std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
    return apply(upd, at, 1, reduction_, y, name_.c_str());
  }

 private:
  std::string name() const override { return name_; }
  std::string name_;
};

class ScatterNdOp final : public ScatterBase {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("ScatterND", ctx);
    TOP_RETURN_IF_ERROR(check_common(ctx, p));
    if (ctx.input_dtype(1) != DataType::kInt64) return InvalidArgument(p + "indices must be int64");
    TOP_RETURN_IF_ERROR(scatter_nd_plan(ctx.input_shape(0), ctx.input_shape(1), ctx.input_shape(2), p).status());
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& idx = ctx.input(1);
    const Tensor& upd = ctx.input(2);
    Tensor& y = ctx.output(0);
    if (idx.dtype() != DataType::kInt64 || y.shape() != x.shape() || y.dtype() != x.dtype() || upd.dtype() != x.dtype())
      return InvalidArgument("ScatterND: bad inputs");
    TOP_ASSIGN_OR_RETURN(GatherNdPlan g, scatter_nd_plan(x.shape(), idx.shape(), upd.shape(), "ScatterND: "));
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> at, gather_nd_offsets(g, idx.data<int64_t>(), "ScatterND"));
    std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
    return apply(upd, at, g.slice_elems, reduction_, y, "ScatterND");
  }

 private:
  std::string name() const override { return "ScatterND"; }
};

}  // namespace

void register_scatter_ops(OpRegistry& r) {
  r.add("Scatter", 9, [] { return std::make_unique<ScatterElementsOp>("Scatter"); });
  r.add("ScatterElements", 11, [] { return std::make_unique<ScatterElementsOp>("ScatterElements"); });
  r.add("ScatterND", 11, [] { return std::make_unique<ScatterNdOp>(); });
}

}  // namespace top::ops

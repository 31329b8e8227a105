// Trilu and EyeLike: outputs that keep or set elements by their position relative to a
// diagonal of the last two dimensions. Any element type (the kernels move bytes).
#include <algorithm>
#include <cstring>

#include "ops/checked_math.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

// Trilu-14: keeps the elements on and above (upper) or on and below (lower) the k-th
// diagonal of each matrix in the last two dims, zeroes the rest. k, an optional int64
// scalar input, is read at run time: it changes values, never the shape.
class TriluOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    upper_ = attrs.get_int("upper", 1) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Trilu", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Trilu"));
    if (ctx.input_shape(0).size() < 2) return InvalidArgument(p + "input must have rank >= 2");
    if (ctx.has_input(1) && (ctx.input_dtype(1) != DataType::kInt64 || shape_numel(ctx.input_shape(1)) != 1))
      return InvalidArgument(p + "k must be an int64 scalar, got " + dtype_name(ctx.input_dtype(1)) + " " +
                             shape_str(ctx.input_shape(1)));
    ctx.set_output(0, ctx.input_dtype(0), ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (x.rank() < 2 || y.shape() != x.shape() || y.dtype() != x.dtype()) return InvalidArgument("Trilu: bad inputs");
    int64_t k = 0;
    if (ctx.has_input(1)) {
      const Tensor& kt = ctx.input(1);
      if (kt.dtype() != DataType::kInt64 || kt.numel() != 1) return InvalidArgument("Trilu: k must be an int64 scalar");
      k = kt.data<int64_t>()[0];
    }
    k = std::clamp<int64_t>(k, -kMaxDim, kMaxDim);  // beyond every dim: the same result, no overflow
    const int64_t rows = x.dim(x.rank() - 2), cols = x.dim(x.rank() - 1);
    const size_t esize = dtype_size(x.dtype());
    const size_t row_bytes = static_cast<size_t>(cols) * esize;
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    const int64_t all_rows = rows == 0 ? 0 : x.numel() / cols;
    if (cols == 0) return Status::Ok();
    ctx.parallel_for(all_rows, std::max<int64_t>(1, 4096 / cols), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const int64_t i = r % rows;
        // Kept columns: [max(0, i + k), cols) for upper, [0, min(cols, i + k + 1)) for lower.
        int64_t lo = 0, hi = cols;
        if (upper_) lo = std::clamp<int64_t>(i + k, 0, cols);
        else hi = std::clamp<int64_t>(i + k + 1, 0, cols);
        uint8_t* out = dst + static_cast<size_t>(r) * row_bytes;
        std::memset(out, 0, row_bytes);
        if (hi > lo)
          std::memcpy(out + static_cast<size_t>(lo) * esize, src + static_cast<size_t>(r) * row_bytes +
                      static_cast<size_t>(lo) * esize, static_cast<size_t>(hi - lo) * esize);
      }
    });
    return Status::Ok();
  }

 private:
  bool upper_ = true;
};

// EyeLike-9: a 2-D tensor of the input's shape with ones on the k-th diagonal, of the
// dtype attribute (default: the input's).
class EyeLikeOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    k_ = attrs.get_int("k", 0);
    dtype_attr_ = attrs.get_int("dtype", -1);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("EyeLike", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "EyeLike"));
    if (ctx.input_shape(0).size() != 2) return InvalidArgument(p + "input must be 2-D, got " + shape_str(ctx.input_shape(0)));
    DataType dt = ctx.input_dtype(0);
    if (dtype_attr_ >= 0) {
      TOP_ASSIGN_OR_RETURN(dt, from_onnx_dtype(dtype_attr_, p + "dtype"));
    }
    if (dt == DataType::kFloat16) return Unsupported(p + "float16 output");
    ctx.set_output(0, dt, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    if (y.rank() != 2) return InvalidArgument("EyeLike: output must be 2-D");
    std::memset(y.raw_data(), 0, y.nbytes());
    const int64_t rows = y.dim(0), cols = y.dim(1);
    const int64_t k = std::clamp<int64_t>(k_, -kMaxDim, kMaxDim);  // as Trilu's
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t j = i + k;
      if (j < 0 || j >= cols) continue;
      auto* at = static_cast<uint8_t*>(y.raw_data()) + static_cast<size_t>(i * cols + j) * dtype_size(y.dtype());
      if (!put_scalar(y.dtype(), 1.0, at)) return Unsupported("EyeLike: output dtype not supported");
    }
    return Status::Ok();
  }

 private:
  int64_t k_ = 0;
  int64_t dtype_attr_ = -1;
};

}  // namespace

void register_matrix_mask_ops(OpRegistry& r) {
  r.add("Trilu", 14, [] { return std::make_unique<TriluOp>(); });
  r.add("EyeLike", 9, [] { return std::make_unique<EyeLikeOp>(); });
}

}  // namespace top::ops

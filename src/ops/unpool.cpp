// MaxUnpool-9/11 on the CPU: Y zero-filled to output_shape, then X scattered to MaxPool's
// flattened indices I. The indices address the default shape (the inverse of MaxPool's
// size rule from kernel_shape, strides and pads); a given output_shape keeps each value at
// the same coordinates (as ONNX Runtime and onnx's reference do). No GPU kernel yet (CPU-only list in
// tests/unit/cuda_registry_test.cpp).
#include <cstring>
#include <vector>

#include "ops/conv_util.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class MaxUnpoolOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_RETURN_IF_ERROR(parse_window_attrs(attrs, "MaxUnpool", win_));
    if (win_.kernel_shape.empty()) return InvalidArgument("MaxUnpool: attribute kernel_shape is required");
    const size_t spatial = win_.kernel_shape.size();
    if (!win_.strides.empty() && win_.strides.size() != spatial)
      return InvalidArgument("MaxUnpool: strides needs one value per kernel dim (" + std::to_string(spatial) + ")");
    if (!win_.pads.empty() && win_.pads.size() != 2 * spatial)
      return InvalidArgument("MaxUnpool: pads needs two values per kernel dim (" + std::to_string(2 * spatial) + ")");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("MaxUnpool", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "MaxUnpool"));
    const Shape& x = ctx.input_shape(0);
    if (ctx.input_dtype(1) != DataType::kInt64 || ctx.input_shape(1) != x)
      return InvalidArgument(p + "I must be int64 of X's shape " + shape_str(x));
    TOP_ASSIGN_OR_RETURN(Shape out, out_shape(x, ctx.has_input(2) ? ctx.constant_input(2) : nullptr, ctx.has_input(2), p));
    ctx.set_output(0, ctx.input_dtype(0), out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& ind = ctx.input(1);
    Tensor& y = ctx.output(0);
    if (ind.numel() != x.numel()) return InvalidArgument("MaxUnpool: I must match X");
    TOP_ASSIGN_OR_RETURN(Shape base, out_shape(x.shape(), nullptr, false, "MaxUnpool: "));
    const Shape& out = y.shape();
    // Each index: coordinates in the default shape, then the offset in Y's.
    std::vector<int64_t> at(static_cast<size_t>(ind.numel()));
    for (int64_t i = 0; i < ind.numel(); ++i) {  // every index checked before anything is written
      int64_t rest = ind.data<int64_t>()[i], offset = 0, stride = 1;
      if (rest < 0 || rest >= shape_numel(base))
        return InvalidArgument("MaxUnpool: index " + std::to_string(rest) + " is outside the " +
                               std::to_string(shape_numel(base)) + " elements of " + shape_str(base));
      for (size_t d = base.size(); d-- > 0;) {
        const int64_t coord = rest % base[d];
        rest /= base[d];
        if (coord >= out[d]) {
          offset = -1;
          break;
        }
        offset += coord * stride;
        stride *= out[d];
      }
      if (offset < 0) return InvalidArgument("MaxUnpool: an index falls outside output_shape " + shape_str(out));
      at[static_cast<size_t>(i)] = offset;
    }
    const size_t es = dtype_size(x.dtype());
    std::memset(y.raw_data(), 0, y.nbytes());
    const auto* src = static_cast<const uint8_t*>(x.raw_data());
    auto* dst = static_cast<uint8_t*>(y.raw_data());
    for (int64_t i = 0; i < x.numel(); ++i)
      std::memcpy(dst + static_cast<size_t>(at[static_cast<size_t>(i)]) * es, src + static_cast<size_t>(i) * es, es);
    return Status::Ok();
  }

 private:
  Result<Shape> out_shape(const Shape& x, const Tensor* given, bool has_given, const std::string& p) const {
    const size_t spatial = win_.kernel_shape.size();
    if (x.size() != spatial + 2) return InvalidArgument(p + "X must have rank 2 + the kernel's");
    if (has_given) {
      if (given == nullptr) return InvalidArgument(p + "output_shape must be known when planning");
      Shape out;
      for (int64_t i = 0; i < given->numel(); ++i) out.push_back(given->item_as_int(i));
      if (out.size() != x.size() || out[0] != x[0] || out[1] != x[1])
        return InvalidArgument(p + "output_shape " + shape_str(out) + " does not fit X " + shape_str(x));
      for (int64_t d : out)
        if (d < 0 || d > (int64_t{1} << 40)) return InvalidArgument(p + "output_shape out of range");
      return out;
    }
    Shape out{x[0], x[1]};
    for (size_t i = 0; i < spatial; ++i) {
      const int64_t s = win_.strides.empty() ? 1 : win_.strides[i];
      const int64_t pad = win_.pads.empty() ? 0 : win_.pads[i] + win_.pads[i + spatial];
      const int64_t d = (x[i + 2] - 1) * s + win_.kernel_shape[i] - pad;
      if (d < 0) return InvalidArgument(p + "pads exceed the output");
      out.push_back(d);
    }
    return out;
  }
  WindowAttrs win_;
};

}  // namespace

void register_unpool_ops(OpRegistry& r) { r.add("MaxUnpool", 9, [] { return std::make_unique<MaxUnpoolOp>(); }); }

}  // namespace top::ops

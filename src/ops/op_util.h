// Helpers shared by the operator implementations in src/ops (shape, tensor and resize
// families): input checks, plan-/run-time integer inputs, axis normalisation, byte
// copies and fills. Internal to src/ops; not part of the public op interface (op.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/op.h"

namespace top::ops {

inline bool is_index_dtype(DataType t) { return t == DataType::kInt64 || t == DataType::kInt32; }

// "<op> node '<name>': ", the prefix of plan-time error messages.
std::string node_prefix(const std::string& op, const InferContext& ctx);

// InvalidArgument unless inputs 0..n-1 are all present.
Status require_inputs(const InferContext& ctx, size_t n, const std::string& op);

// The plan-time value of an integer input that decides an output shape: must be present,
// constant at plan time, int64/int32 and at most 1-D.
Result<std::vector<int64_t>> constant_ints(const InferContext& ctx, size_t i, const std::string& op,
                                           const char* what);

// The run-time value of an integer input (compute side of constant_ints).
Result<std::vector<int64_t>> input_ints(const KernelContext& ctx, size_t i, const std::string& op, const char* what);

// Element strides of a dense row-major tensor of shape `s`.
std::vector<int64_t> row_major_strides(const Shape& s);

// `axis` in [-rank, rank) mapped to [0, rank); the error message starts with `prefix`.
Result<int64_t> norm_axis(int64_t axis, int64_t rank, const std::string& prefix);

// The [outer, d, inner] view Softmax, LogSoftmax and Hardmax (CPU and GPU) work on: d
// elements along the normalised extent, outer blocks before it, inner after. Before
// opset 13 (coerce_2d) every dimension from `axis` on is flattened into d.
struct SoftmaxSplit {
  int64_t outer = 1, d = 1, inner = 1;
};
inline SoftmaxSplit softmax_split(const Shape& s, int64_t axis, bool coerce_2d) {
  SoftmaxSplit r;
  for (int64_t i = 0; i < static_cast<int64_t>(s.size()); ++i) {
    if (i < axis)
      r.outer *= s[static_cast<size_t>(i)];
    else if (i == axis || coerce_2d)
      r.d *= s[static_cast<size_t>(i)];
    else
      r.inner *= s[static_cast<size_t>(i)];
  }
  return r;
}

// Copies `bytes` bytes; large copies are split across the pool (memcpy is memory bound,
// but one core rarely saturates the memory bus).
void parallel_memcpy(const KernelContext& ctx, void* dst, const void* src, size_t bytes);

// Fills `n` elements of `esize` bytes at dst with the element at `value`.
void fill_pattern(uint8_t* dst, int64_t n, const uint8_t* value, size_t esize);

// Writes `v` converted to `t` into out (sizeof the element type bytes); returns false,
// writing nothing, when `t` is not a float, signed integer, uint8 or bool type.
bool put_scalar(DataType t, double v, uint8_t* out);

// The DataType of an ONNX TensorProto.DataType code (Cast's `to`, EyeLike's `dtype`);
// Unsupported "<what> ONNX data type N is not supported" for the others.
Result<DataType> from_onnx_dtype(int64_t code, const std::string& what = "Cast to");

// Data movement: no arithmetic, only bytes in and out (cost without flops).
class MovementOp : public Op {
 public:
  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    c.flops = 0;
    return c;
  }
};

}  // namespace top::ops

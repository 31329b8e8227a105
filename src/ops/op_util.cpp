#include "ops/op_util.h"

#include <algorithm>
#include <cstring>

namespace top::ops {

std::string node_prefix(const std::string& op, const InferContext& ctx) {
  return op + " node '" + ctx.node_name() + "': ";
}

Status require_inputs(const InferContext& ctx, size_t n, const std::string& op) {
  for (size_t i = 0; i < n; ++i) {
    if (!ctx.has_input(i)) return InvalidArgument(node_prefix(op, ctx) + "input " + std::to_string(i) + " is missing");
  }
  return Status::Ok();
}

Result<std::vector<int64_t>> constant_ints(const InferContext& ctx, size_t i, const std::string& op,
                                           const char* what) {
  if (!ctx.has_input(i)) return InvalidArgument(node_prefix(op, ctx) + "required input '" + what + "' is missing");
  const Tensor* t = ctx.constant_input(i);
  if (t == nullptr) {
    return Unsupported(node_prefix(op, ctx) + "input '" + what +
                       "' is not constant at plan time (data-dependent output shape)");
  }
  if (!is_index_dtype(t->dtype())) {
    return InvalidArgument(node_prefix(op, ctx) + "input '" + what + "' must be int64 or int32, got " +
                           dtype_name(t->dtype()));
  }
  if (t->rank() > 1) {
    return InvalidArgument(node_prefix(op, ctx) + "input '" + what + "' must be 1-D, got " + shape_str(t->shape()));
  }
  return t->to_int_vector();
}

Result<std::vector<int64_t>> input_ints(const KernelContext& ctx, size_t i, const std::string& op, const char* what) {
  if (!ctx.has_input(i)) return InvalidArgument(op + ": required input '" + what + "' is missing");
  const Tensor& t = ctx.input(i);
  if (!is_index_dtype(t.dtype())) {
    return InvalidArgument(op + ": input '" + what + "' must be int64 or int32, got " + dtype_name(t.dtype()));
  }
  return t.to_int_vector();
}

std::vector<int64_t> row_major_strides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * s[i];
  return st;
}

Result<int64_t> norm_axis(int64_t axis, int64_t rank, const std::string& prefix) {
  if (axis < -rank || axis >= rank) {
    return InvalidArgument(prefix + "axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

void parallel_memcpy(const KernelContext& ctx, void* dst, const void* src, size_t bytes) {
  if (bytes == 0 || dst == src) return;
  constexpr size_t kChunk = size_t{1} << 20;
  if (bytes < 4 * kChunk || ctx.num_threads() <= 1) {
    std::memcpy(dst, src, bytes);
    return;
  }
  const int64_t chunks = static_cast<int64_t>((bytes + kChunk - 1) / kChunk);
  auto* d = static_cast<uint8_t*>(dst);
  const auto* s = static_cast<const uint8_t*>(src);
  ctx.parallel_for(chunks, 1, [&](int64_t b, int64_t e) {
    size_t lo = static_cast<size_t>(b) * kChunk;
    size_t hi = std::min(bytes, static_cast<size_t>(e) * kChunk);
    std::memcpy(d + lo, s + lo, hi - lo);
  });
}

void fill_pattern(uint8_t* dst, int64_t n, const uint8_t* value, size_t esize) {
  if (n <= 0) return;
  bool all_zero = std::all_of(value, value + esize, [](uint8_t b) { return b == 0; });
  if (all_zero) {
    std::memset(dst, 0, static_cast<size_t>(n) * esize);
    return;
  }
  switch (esize) {
    case 1: std::memset(dst, value[0], static_cast<size_t>(n)); return;
    case 2: { uint16_t v; std::memcpy(&v, value, 2); std::fill_n(reinterpret_cast<uint16_t*>(dst), n, v); return; }
    case 4: { uint32_t v; std::memcpy(&v, value, 4); std::fill_n(reinterpret_cast<uint32_t*>(dst), n, v); return; }
    case 8: { uint64_t v; std::memcpy(&v, value, 8); std::fill_n(reinterpret_cast<uint64_t*>(dst), n, v); return; }
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<size_t>(i) * esize, value, esize);
  }
}

namespace {
double unsigned_part(double v, double max) { return v > 0 ? std::min(v, max) : 0.0; }
}  // namespace

bool put_scalar(DataType t, double v, uint8_t* out) {
  auto put = [&](auto x) { std::memcpy(out, &x, sizeof(x)); };
  switch (t) {
    case DataType::kFloat32: put(static_cast<float>(v)); return true;
    case DataType::kFloat64: put(v); return true;
    case DataType::kInt8: put(static_cast<int8_t>(v)); return true;
    case DataType::kUint8: put(static_cast<uint8_t>(v)); return true;
    case DataType::kInt16: put(static_cast<int16_t>(v)); return true;
    // Unsigned targets saturate (a negative or NaN value gives 0): a plain cast of a
    // negative double to an unsigned type is undefined behaviour.
    case DataType::kUint16: put(static_cast<uint16_t>(unsigned_part(v, 65535.0))); return true;
    case DataType::kUint32: put(static_cast<uint32_t>(unsigned_part(v, 4294967295.0))); return true;
    case DataType::kUint64: put(static_cast<uint64_t>(unsigned_part(v, 18446744073709549568.0))); return true;
    case DataType::kInt32: put(static_cast<int32_t>(v)); return true;
    case DataType::kInt64: put(static_cast<int64_t>(v)); return true;
    case DataType::kBool: put(static_cast<uint8_t>(v != 0)); return true;
    default: return false;
  }
}

Result<DataType> from_onnx_dtype(int64_t code, const std::string& what) {
  switch (code) {
    case 1: return DataType::kFloat32;
    case 2: return DataType::kUint8;
    case 3: return DataType::kInt8;
    case 4: return DataType::kUint16;
    case 5: return DataType::kInt16;
    case 12: return DataType::kUint32;
    case 13: return DataType::kUint64;
    case 6: return DataType::kInt32;
    case 7: return DataType::kInt64;
    case 9: return DataType::kBool;
    case 10: return DataType::kFloat16;
    case 16: return DataType::kBFloat16;
    case 11: return DataType::kFloat64;
    default: return Unsupported(what + " ONNX data type " + std::to_string(code) + " is not supported");
  }
}

}  // namespace top::ops

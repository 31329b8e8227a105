#include "top/tensor.h"

#include "top/limits.h"
#include "util/half.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <cstring>

namespace top {

size_t dtype_size(DataType t) {
  switch (t) {
    case DataType::kFloat32: return 4;
    case DataType::kFloat64: return 8;
    case DataType::kFloat16: return 2;
    case DataType::kInt8: return 1;
    case DataType::kUint8: return 1;
    case DataType::kInt16: return 2;
    case DataType::kInt32: return 4;
    case DataType::kInt64: return 8;
    case DataType::kBool: return 1;
    case DataType::kUint16: return 2;
    case DataType::kUint32: return 4;
    case DataType::kUint64: return 8;
    case DataType::kBFloat16: return 2;
    case DataType::kUndefined: return 0;
  }
  return 0;
}

const char* dtype_name(DataType t) {
  switch (t) {
    case DataType::kFloat32: return "float32";
    case DataType::kFloat64: return "float64";
    case DataType::kFloat16: return "float16";
    case DataType::kInt8: return "int8";
    case DataType::kUint8: return "uint8";
    case DataType::kInt16: return "int16";
    case DataType::kInt32: return "int32";
    case DataType::kInt64: return "int64";
    case DataType::kBool: return "bool";
    case DataType::kUint16: return "uint16";
    case DataType::kUint32: return "uint32";
    case DataType::kUint64: return "uint64";
    case DataType::kBFloat16: return "bfloat16";
    case DataType::kUndefined: return "undefined";
  }
  return "undefined";
}

int64_t shape_numel(const Shape& s) {
  // Saturates instead of overflowing (undefined behaviour) on hostile shapes; callers that
  // allocate check sizes with checked_tensor_bytes() first.
  // A zero dimension makes the product 0 even when the others overflow.
  for (int64_t d : s)
    if (d == 0) return 0;
  int64_t n = 1;
  for (int64_t d : s)
    if (__builtin_mul_overflow(n, d, &n)) return INT64_MAX;
  return n;
}

std::string shape_str(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ",";
    out += s[i] < 0 ? std::string("?") : std::to_string(s[i]);
  }
  return out + "]";
}

Result<Tensor> Tensor::allocate(DataType dtype, Shape shape) {
  TOP_ASSIGN_OR_RETURN(size_t bytes, checked_tensor_bytes(dtype, shape));
  // 64-byte alignment suits AVX-512 loads; at least one byte so data() is never null.
  size_t rounded = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
  void* p = std::aligned_alloc(64, rounded);
  if (p == nullptr) return OutOfMemory("cannot allocate " + std::to_string(rounded) + " bytes for a tensor of shape " +
                                       shape_str(shape));
  std::shared_ptr<void> storage;
  try {
    storage = std::shared_ptr<void>(p, [](void* q) { std::free(q); });
  } catch (const std::bad_alloc&) {  // the control block; shared_ptr has already called the deleter on p
    return OutOfMemory("cannot allocate a tensor's control block");
  }
  std::memset(p, 0, rounded);
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.storage_ = std::move(storage);
  t.data_ = p;
  t.capacity_ = rounded;
  return t;
}

Tensor Tensor::zeros(DataType dtype, Shape shape) {
  Result<Tensor> t = allocate(dtype, std::move(shape));
  return t.ok() ? std::move(t).value() : Tensor();
}

Tensor Tensor::wrap(DataType dtype, Shape shape, std::shared_ptr<void> owner, void* data, size_t capacity_bytes) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.storage_ = std::move(owner);
  t.data_ = data;
  t.capacity_ = data ? capacity_bytes : 0;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  Tensor t = zeros(dtype_, shape_);
  if (!t.defined()) return t;
  if (nbytes() > 0) std::memcpy(t.data_, data_, nbytes());
  return t;
}

double Tensor::item_as_double(int64_t i) const {
  switch (dtype_) {
    case DataType::kFloat32: return data<float>()[i];
    case DataType::kFloat64: return data<double>()[i];
    case DataType::kFloat16: return half_to_float(data<uint16_t>()[i]);
    case DataType::kBFloat16: return bfloat16_to_float(data<uint16_t>()[i]);
    case DataType::kInt8: return data<int8_t>()[i];
    case DataType::kUint8: return data<uint8_t>()[i];
    case DataType::kInt16: return data<int16_t>()[i];
    case DataType::kInt32: return data<int32_t>()[i];
    case DataType::kInt64: return static_cast<double>(data<int64_t>()[i]);
    case DataType::kBool: return data<bool>()[i] ? 1.0 : 0.0;
    case DataType::kUint16: return data<uint16_t>()[i];
    case DataType::kUint32: return data<uint32_t>()[i];
    case DataType::kUint64: return static_cast<double>(data<uint64_t>()[i]);
    default: return 0.0;
  }
}

int64_t Tensor::item_as_int(int64_t i) const {
  switch (dtype_) {
    case DataType::kInt64: return data<int64_t>()[i];
    case DataType::kInt32: return data<int32_t>()[i];
    case DataType::kUint32: return data<uint32_t>()[i];
    case DataType::kUint64: return static_cast<int64_t>(data<uint64_t>()[i]);  // wraps past INT64_MAX
    default: return static_cast<int64_t>(item_as_double(i));
  }
}

std::vector<int64_t> Tensor::to_int_vector() const {
  std::vector<int64_t> v(static_cast<size_t>(numel()));
  for (int64_t i = 0; i < numel(); ++i) v[static_cast<size_t>(i)] = item_as_int(i);
  return v;
}

}  // namespace top

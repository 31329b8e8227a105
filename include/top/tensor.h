// Tensor: a typed, shaped, dense row-major array on the host.
//
// A Tensor shares its storage when copied (like a shared_ptr); clone() makes a deep
// copy. Views into a larger buffer (the executor's activation arena) keep that buffer
// alive through the same shared ownership.
//
//   top::Tensor x = top::Tensor::empty(top::DataType::kFloat32, {1, 3, 224, 224});
//   float* p = x.data<float>();
//
// Allocation never throws. allocate() is the checked path (a Status says why it failed);
// zeros(), clone() and from_vector() return an undefined Tensor (defined() false) when
// the size is invalid, over max_allocation_bytes() (top/limits.h) or memory runs out,
// and Session::run / Runtime::submit refuse undefined inputs.
//
// Thread safety: concurrent reads are safe; writes to shared storage need the caller's
// own synchronisation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "top/status.h"

namespace top {

enum class DataType : uint8_t {
  kUndefined = 0,
  kFloat32,
  kFloat64,
  kFloat16,
  kInt8,
  kUint8,
  kInt16,
  kInt32,
  kInt64,
  kBool,
  kUint16,  // appended: the values above are stable
  kUint32,
  kUint64,
  kBFloat16,  // storage and Cast; arithmetic through float32 (ops/float16_promotion.h)
};

size_t dtype_size(DataType t);
const char* dtype_name(DataType t);  // "float32", "int64", ...

template <class T> constexpr DataType dtype_of();
template <> constexpr DataType dtype_of<float>() { return DataType::kFloat32; }
template <> constexpr DataType dtype_of<double>() { return DataType::kFloat64; }
template <> constexpr DataType dtype_of<int8_t>() { return DataType::kInt8; }
template <> constexpr DataType dtype_of<uint8_t>() { return DataType::kUint8; }
template <> constexpr DataType dtype_of<int16_t>() { return DataType::kInt16; }
template <> constexpr DataType dtype_of<int32_t>() { return DataType::kInt32; }
template <> constexpr DataType dtype_of<int64_t>() { return DataType::kInt64; }
template <> constexpr DataType dtype_of<bool>() { return DataType::kBool; }
template <> constexpr DataType dtype_of<uint16_t>() { return DataType::kUint16; }
template <> constexpr DataType dtype_of<uint32_t>() { return DataType::kUint32; }
template <> constexpr DataType dtype_of<uint64_t>() { return DataType::kUint64; }

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
std::string shape_str(const Shape& s);  // "[1,3,224,224]"

class Tensor {
 public:
  Tensor() = default;

  // New zero-filled storage, size checked before anything is allocated:
  // InvalidArgument (negative dimension, overflow), OutOfMemory (over the limit, or the
  // system refused).
  static Result<Tensor> allocate(DataType dtype, Shape shape);
  // As allocate(); an undefined Tensor when that fails.
  static Tensor zeros(DataType dtype, Shape shape);
  // A view of `data` (`capacity_bytes` long), kept alive by `owner` (which may be null
  // for borrowed memory that the caller guarantees to outlive the tensor). Session::run
  // and Runtime::submit refuse a null `data` or a capacity below nbytes().
  static Tensor wrap(DataType dtype, Shape shape, std::shared_ptr<void> owner, void* data, size_t capacity_bytes);
  template <class T>
  static Tensor from_vector(Shape shape, const std::vector<T>& values);
  template <class T>
  static Tensor scalar(T value) { return from_vector<T>({}, {value}); }

  bool defined() const { return dtype_ != DataType::kUndefined; }
  DataType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t dim(int i) const { return shape_[static_cast<size_t>(i)]; }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  // Bytes behind raw_data(): what was allocated, or what wrap() was told.
  size_t capacity_bytes() const { return capacity_; }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <class T> T* data() { return static_cast<T*>(data_); }
  template <class T> const T* data() const { return static_cast<const T*>(data_); }

  // Same storage, new shape (numel must match; checked by the caller).
  Tensor reshaped(Shape shape) const;
  Tensor clone() const;  // undefined when the copy cannot be allocated
  // Element i converted to double / int64 (for small shape tensors and tests).
  double item_as_double(int64_t i) const;
  int64_t item_as_int(int64_t i) const;
  // All elements as int64 (shape tensors: Reshape's shape, Slice's starts, ...).
  std::vector<int64_t> to_int_vector() const;

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  size_t capacity_ = 0;
  DataType dtype_ = DataType::kUndefined;
  Shape shape_;
};

template <class T>
Tensor Tensor::from_vector(Shape shape, const std::vector<T>& values) {
  Tensor t = zeros(dtype_of<T>(), std::move(shape));
  if (!t.defined()) return t;
  T* p = t.data<T>();
  for (size_t i = 0; i < values.size() && static_cast<int64_t>(i) < t.numel(); ++i) p[i] = values[i];
  return t;
}

}  // namespace top

#include <cuda_fp16.h>

#include <cmath>
#include <limits>
#include <type_traits>

#include "kernels/elementwise.h"
#include "kernels/elementwise_math.h"
#include "kernels/launch_util.cuh"

namespace top::kernels {
namespace {

template <class T>
__global__ void unary_kernel(UnaryKind k, const T* x, T* y, int64_t n, UnaryParams p) {
  TOP_GRID_LOOP(i, n) y[i] = unary_value(k, x[i], p);
}

// Not, IsNaN, IsInf: bool results.
template <class T>
__global__ void predicate_kernel(UnaryKind k, const T* x, bool* y, int64_t n, bool neg, bool pos) {
  TOP_GRID_LOOP(i, n) {
    const T v = x[i];
    if constexpr (std::is_same_v<T, bool>) {
      y[i] = !v;
    } else if (k == UnaryKind::kIsNaN) {
      y[i] = v != v;
    } else {
      y[i] = (pos && v == std::numeric_limits<T>::infinity()) || (neg && v == -std::numeric_limits<T>::infinity());
    }
  }
}

bool is_float(DataType dt) { return dt == DataType::kFloat32 || dt == DataType::kFloat64; }

// Group of a binary kind: what the output is made of.
enum class BinaryGroup { kArith, kCompare, kLogic };

template <BinaryGroup G, class T, class TB, class R>
__global__ void binary_kernel(BinaryKind k, const T* a, const TB* b, R* out, StridedIndex<3> index, int64_t n,
                              bool dense) {
  TOP_GRID_LOOP(i, n) {
    int64_t off[3] = {i, i, i};
    if (!dense) strided_offsets(index, i, off);
    if constexpr (G == BinaryGroup::kArith)
      out[off[2]] = arith_value<T, TB>(k, a[off[0]], b[off[1]]);
    else if constexpr (G == BinaryGroup::kCompare)
      out[off[2]] = compare_value<T>(k, a[off[0]], b[off[1]]);
    else
      out[off[2]] = logic_value(k, a[off[0]], b[off[1]]);
  }
}

template <BinaryGroup G, class T, class TB, class R>
cudaError_t launch_binary(BinaryKind k, const void* a, const void* b, void* out, const StridedIndex<3>& index,
                          cudaStream_t stream) {
  const int64_t n = strided_numel(index);
  if (n == 0) return cudaSuccess;
  binary_kernel<G, T, TB, R><<<grid_for(n), kThreads, 0, stream>>>(
      k, static_cast<const T*>(a), static_cast<const TB*>(b), static_cast<R*>(out), index, n, strided_is_dense(index));
  return cudaGetLastError();
}

// ---- Where, Clip ----------------------------------------------------------------------------

template <class E>
__global__ void where_kernel(const bool* c, const E* x, const E* y, E* out, StridedIndex<4> index, int64_t n,
                             bool dense) {
  TOP_GRID_LOOP(i, n) {
    int64_t off[4] = {i, i, i, i};
    if (!dense) strided_offsets(index, i, off);
    out[off[3]] = c[off[0]] ? x[off[1]] : y[off[2]];
  }
}

template <class T>
__global__ void clip_kernel(const T* x, T* y, int64_t n, ClipBounds b) {
  T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
  if (b.from_attributes) {
    lo = static_cast<T>(b.min_attr);
    hi = static_cast<T>(b.max_attr);
  } else {
    if (b.min_device) lo = *static_cast<const T*>(b.min_device);
    if (b.max_device) hi = *static_cast<const T*>(b.max_device);
  }
  TOP_GRID_LOOP(i, n) {
    T v = x[i];
    v = v < lo ? lo : v;
    y[i] = v > hi ? hi : v;  // min > max gives max everywhere, as the spec says
  }
}

// ---- Cast -------------------------------------------------------------------------------------

// float16 storage (converted through float32, like the CPU kernel).
struct Half {
  uint16_t bits;
};

template <class T>
__device__ __forceinline__ T load_value(const T* p, int64_t i) {
  return p[i];
}
__device__ __forceinline__ float load_value(const Half* p, int64_t i) {
  return __half2float(__ushort_as_half(p[i].bits));
}

template <class From, class To>
__global__ void cast_kernel(const From* x, To* y, int64_t n) {
  TOP_GRID_LOOP(i, n) {
    const auto v = load_value(x, i);
    if constexpr (std::is_same_v<To, Half>)
      y[i].bits = __half_as_ushort(__float2half_rn(convert_value<float>(v)));
    else
      y[i] = convert_value<To>(v);
  }
}

template <class F>
cudaError_t dispatch_cast_type(DataType dt, F&& f) {
  if (dt == DataType::kFloat16) return f(Half{});
  return dispatch_dtype<float, double, int8_t, uint8_t, int16_t, int32_t, int64_t, bool>(dt, f);
}

}  // namespace

bool unary_supports(UnaryKind kind, DataType dt) {
  switch (kind) {
    case UnaryKind::kNot:
      return dt == DataType::kBool;
    case UnaryKind::kNeg:
    case UnaryKind::kAbs:
    case UnaryKind::kSign:
    case UnaryKind::kRelu:
      return is_float(dt) || dt == DataType::kInt32 || dt == DataType::kInt64 || dt == DataType::kInt8;
    default:
      return is_float(dt);
  }
}

cudaError_t unary(UnaryKind kind, DataType dt, const void* x, void* y, int64_t n, const UnaryParams& p,
                  cudaStream_t stream) {
  if (!unary_supports(kind, dt)) return cudaErrorInvalidValue;
  if (n <= 0) return cudaSuccess;
  const bool predicate = kind == UnaryKind::kNot || kind == UnaryKind::kIsNaN || kind == UnaryKind::kIsInf;
  if (predicate) {
    return dispatch_dtype<bool, float, double>(dt, [&](auto t) {
      using T = decltype(t);
      predicate_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(kind, static_cast<const T*>(x), static_cast<bool*>(y),
                                                                n, p.detect_negative, p.detect_positive);
      return cudaGetLastError();
    });
  }
  return dispatch_dtype<float, double, int32_t, int64_t, int8_t>(dt, [&](auto t) {
    using T = decltype(t);
    unary_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(kind, static_cast<const T*>(x), static_cast<T*>(y), n, p);
    return cudaGetLastError();
  });
}

cudaError_t binary(BinaryKind kind, DataType dt, DataType b_dt, const void* a, const void* b, void* out,
                   const StridedIndex<3>& index, cudaStream_t stream) {
  switch (kind) {
    case BinaryKind::kEqual:
    case BinaryKind::kLess:
    case BinaryKind::kGreater:
    case BinaryKind::kLessOrEqual:
    case BinaryKind::kGreaterOrEqual:
      if (b_dt != dt) return cudaErrorInvalidValue;
      return dispatch_dtype<float, double, int32_t, int64_t, int8_t, uint8_t, bool>(dt, [&](auto t) {
        using T = decltype(t);
        return launch_binary<BinaryGroup::kCompare, T, T, bool>(kind, a, b, out, index, stream);
      });
    case BinaryKind::kAnd:
    case BinaryKind::kOr:
    case BinaryKind::kXor:
      // Bytes of a bool tensor are 0 or 1, so bitwise ops on them are exact.
      if (dt != DataType::kBool || b_dt != DataType::kBool) return cudaErrorInvalidValue;
      return launch_binary<BinaryGroup::kLogic, uint8_t, uint8_t, uint8_t>(kind, a, b, out, index, stream);
    case BinaryKind::kShiftLeft:
    case BinaryKind::kShiftRight:
      if (b_dt != dt) return cudaErrorInvalidValue;
      return dispatch_dtype<uint8_t, uint16_t, uint32_t, uint64_t>(dt, [&](auto t) {
        using T = decltype(t);
        return launch_binary<BinaryGroup::kArith, T, T, T>(kind, a, b, out, index, stream);
      });
    case BinaryKind::kPow:
      return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
        using T = decltype(t);
        return dispatch_dtype<float, double, int32_t, int64_t>(b_dt, [&](auto tb) {
          using TB = decltype(tb);
          return launch_binary<BinaryGroup::kArith, T, TB, T>(kind, a, b, out, index, stream);
        });
      });
    default:
      if (b_dt != dt) return cudaErrorInvalidValue;
      return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
        using T = decltype(t);
        return launch_binary<BinaryGroup::kArith, T, T, T>(kind, a, b, out, index, stream);
      });
  }
}

cudaError_t where(size_t esize, const void* cond, const void* x, const void* y, void* out, const StridedIndex<4>& index,
                  cudaStream_t stream) {
  const int64_t n = strided_numel(index);
  if (n == 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    where_kernel<E><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const bool*>(cond), static_cast<const E*>(x),
                                                          static_cast<const E*>(y), static_cast<E*>(out), index, n,
                                                          strided_is_dense(index));
    return cudaGetLastError();
  });
}

cudaError_t clip(DataType dt, const void* x, void* y, int64_t n, const ClipBounds& bounds, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return dispatch_dtype<float, double, int8_t, uint8_t, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    clip_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const T*>(x), static_cast<T*>(y), n, bounds);
    return cudaGetLastError();
  });
}

cudaError_t cast(DataType from, DataType to, const void* x, void* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  if (from == to)
    return cudaMemcpyAsync(y, x, static_cast<size_t>(n) * dtype_size(from), cudaMemcpyDeviceToDevice, stream);
  return dispatch_cast_type(from, [&](auto f) {
    using From = decltype(f);
    return dispatch_cast_type(to, [&](auto t) {
      using To = decltype(t);
      cast_kernel<From, To><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const From*>(x), static_cast<To*>(y), n);
      return cudaGetLastError();
    });
  });
}

}  // namespace top::kernels

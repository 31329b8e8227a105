// The per-element math of the elementwise kernels, as __host__ __device__ functions:
// the unit tests (tests/unit/cuda_elementwise_math_test.cpp) run them on the host
// against the CPU operators, so their semantics (integer division by zero, Python Mod,
// saturating casts, NaN handling of clamps) are checked without a GPU.
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/elementwise.h"
#include "kernels/index_math.h"

namespace top::kernels {

// std::min / std::max with their NaN behaviour (the CPU kernels use them): the first
// argument wins unless the comparison says otherwise.
template <class T>
TOP_HD T smin(T a, T b) {
  return b < a ? b : a;
}
template <class T>
TOP_HD T smax(T a, T b) {
  return a < b ? b : a;
}

template <class T>
TOP_HD T softplus(T x) {
  return x > T(0) ? x + log1p(exp(-x)) : log1p(exp(x));
}

// ---- unary -----------------------------------------------------------------------------

template <class T>
TOP_HD T unary_value(UnaryKind k, T v, const UnaryParams& p) {
  switch (k) {
    case UnaryKind::kNeg:
      return static_cast<T>(-v);
    case UnaryKind::kAbs:
      return v < T(0) ? static_cast<T>(-v) : v;
    case UnaryKind::kSign:
      return static_cast<T>((T(0) < v) - (v < T(0)));
    case UnaryKind::kRelu:
      return v < T(0) ? T(0) : v;
    default:
      break;
  }
  if constexpr (std::is_floating_point_v<T>) {
    const T alpha = static_cast<T>(p.alpha), beta = static_cast<T>(p.beta), gamma = static_cast<T>(p.gamma);
    switch (k) {
      case UnaryKind::kSqrt:
        return sqrt(v);
      case UnaryKind::kExp:
        return exp(v);
      case UnaryKind::kLog:
        return log(v);
      case UnaryKind::kReciprocal:
        return T(1) / v;
      case UnaryKind::kFloor:
        return floor(v);
      case UnaryKind::kCeil:
        return ceil(v);
      case UnaryKind::kRound:
        return rint(v);  // half to even, like nearbyint on the CPU
      case UnaryKind::kErf:
        return erf(v);
      case UnaryKind::kSin:
        return sin(v);
      case UnaryKind::kCos:
        return cos(v);
      case UnaryKind::kTan:
        return tan(v);
      case UnaryKind::kAtan:
        return atan(v);
      case UnaryKind::kAsin:
        return asin(v);
      case UnaryKind::kAcos:
        return acos(v);
      case UnaryKind::kSinh:
        return sinh(v);
      case UnaryKind::kCosh:
        return cosh(v);
      case UnaryKind::kLeakyRelu:
        return v < T(0) ? v * alpha : v;
      case UnaryKind::kThresholdedRelu:
        return v > alpha ? v : T(0);
      case UnaryKind::kElu:
        return v < T(0) ? alpha * (exp(v) - T(1)) : v;
      case UnaryKind::kCelu:
        return smax(T(0), v) + smin(T(0), alpha * (exp(v / alpha) - T(1)));
      case UnaryKind::kSelu:
        return v > T(0) ? gamma * v : gamma * (alpha * exp(v) - alpha);
      case UnaryKind::kSigmoid:
        return T(1) / (T(1) + exp(-v));
      case UnaryKind::kHardSigmoid:
        return smax(T(0), smin(T(1), alpha * v + beta));
      case UnaryKind::kHardSwish:
        return v * smax(T(0), smin(T(1), v * T(1.0 / 6.0) + T(0.5)));
      case UnaryKind::kTanh:
        return tanh(v);
      case UnaryKind::kSoftplus:
        return softplus(v);
      case UnaryKind::kSoftsign:
        return v / (T(1) + fabs(v));
      case UnaryKind::kMish:
        return v * tanh(softplus(v));
      case UnaryKind::kScale:
        return v * static_cast<T>(p.scale);
      default:
        break;
    }
  }
  return v;
}

// ---- binary -----------------------------------------------------------------------------

template <class T>
TOP_HD T int_div(T a, T b) {
  if (b == 0) return 0;  // ONNX leaves it undefined; never trap
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));
  }
  return a / b;
}

template <class T>
TOP_HD T mod_value(T a, T b, bool fmod_mode) {
  T r;
  if constexpr (std::is_floating_point_v<T>) {
    r = fmod(a, b);
  } else {
    if (b == 0) return 0;
    if constexpr (std::is_signed_v<T>) {
      if (b == -1) return 0;
    }
    r = a % b;
  }
  if (!fmod_mode && r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

template <class T>
TOP_HD T pow_value(T x, T y) {
  if constexpr (std::is_floating_point_v<T>) {
    // The CPU kernel's scalar-exponent shortcuts, exact where pow() may round differently.
    if (y == T(2)) return x * x;
    if (y == T(3)) return x * x * x;
    if (y == T(1)) return x;
    if (y == T(0.5)) return sqrt(x);
    if (y == T(-1)) return T(1) / x;
    return pow(x, y);
  } else {
    return static_cast<T>(pow(static_cast<double>(x), static_cast<double>(y)));
  }
}

// Arithmetic: output of a's type. TB is b's storage type (differs only for Pow).
template <class T, class TB>
TOP_HD T arith_value(BinaryKind k, T a, TB braw) {
  T b;
  if constexpr (std::is_same_v<T, TB>) {
    b = braw;
  } else if constexpr (std::is_floating_point_v<T>) {
    b = static_cast<T>(static_cast<double>(braw));
  } else if constexpr (std::is_integral_v<TB>) {
    b = static_cast<T>(static_cast<int64_t>(braw));
  } else {
    b = static_cast<T>(static_cast<int64_t>(static_cast<double>(braw)));
  }
  switch (k) {
    case BinaryKind::kAdd:
      return static_cast<T>(a + b);
    case BinaryKind::kSub:
      return static_cast<T>(a - b);
    case BinaryKind::kMul:
      return static_cast<T>(a * b);
    case BinaryKind::kDiv:
      if constexpr (std::is_floating_point_v<T>)
        return a / b;
      else
        return int_div(a, b);
    case BinaryKind::kMod:
      return mod_value(a, b, false);
    case BinaryKind::kFmod:
      return mod_value(a, b, true);
    case BinaryKind::kPow:
      return pow_value(a, b);
    case BinaryKind::kMin:
      return b < a ? b : a;
    case BinaryKind::kMax:
      return b > a ? b : a;
    case BinaryKind::kPRelu:
      return a < T(0) ? static_cast<T>(a * b) : a;
    default:
      return a;
  }
}

template <class T>
TOP_HD bool compare_value(BinaryKind k, T a, T b) {
  switch (k) {
    case BinaryKind::kEqual:
      return a == b;
    case BinaryKind::kLess:
      return a < b;
    case BinaryKind::kGreater:
      return a > b;
    case BinaryKind::kLessOrEqual:
      return a <= b;
    case BinaryKind::kGreaterOrEqual:
      return a >= b;
    default:
      return false;
  }
}

TOP_HD uint8_t logic_value(BinaryKind k, uint8_t a, uint8_t b) {
  switch (k) {
    case BinaryKind::kAnd:
      return a & b;
    case BinaryKind::kOr:
      return a | b;
    default:
      return a ^ b;
  }
}

// Float to integer truncates toward zero; NaN gives 0, values past int32/int64 saturate,
// and 8/16-bit targets wrap from int32 (src/ops/elementwise.cpp convert_value).
template <class To, class From>
TOP_HD To convert_value(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    if (v != v) return To(0);
    if constexpr (sizeof(To) == 8) {
      if (v <= From(-9.2233720368547758e18)) return std::numeric_limits<To>::min();
      if (v >= From(9.2233720368547758e18)) return std::numeric_limits<To>::max();
      return static_cast<To>(v);
    } else {
      int32_t i;
      if (v <= From(-2147483648.0))
        i = std::numeric_limits<int32_t>::min();
      else if (v >= From(2147483648.0))
        i = std::numeric_limits<int32_t>::max();
      else
        i = static_cast<int32_t>(v);
      return static_cast<To>(i);
    }
  } else {
    return static_cast<To>(v);
  }
}

}  // namespace top::kernels

// The per-element math of the elementwise kernels, as __host__ __device__ functions:
// the unit tests (tests/unit/cuda_elementwise_math_test.cpp) run them on the host
// against the CPU operators, so their semantics (NaN handling of clamps, activation
// formulas) are checked without a GPU. Integer division, Mod and casts are the CPU's
// own functions (src/ops/elementwise_scalar.h), NaN-propagating max/min and the clamp
// activations too (src/ops/activation_math.h).
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/elementwise.h"
#include "kernels/index_math.h"
#include "src/ops/activation_math.h"
#include "src/ops/elementwise_scalar.h"

namespace top::kernels {

// Division, Mod and casts: the CPU operators' own definitions.
using ops::convert_value;
using ops::int_div;
using ops::mod_value;

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
      return ops::relu_value(v);
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
      case UnaryKind::kAsinh:
        return asinh(v);
      case UnaryKind::kAcosh:
        return acosh(v);
      case UnaryKind::kAtanh:
        return atanh(v);
      case UnaryKind::kLeakyRelu:
        return ops::leaky_relu_value(v, alpha);
      case UnaryKind::kThresholdedRelu:
        return v > alpha ? v : T(0);
      case UnaryKind::kElu:
        return v < T(0) ? alpha * (exp(v) - T(1)) : v;
      case UnaryKind::kCelu:
        return ops::max_nan(T(0), v) + ops::min_nan(T(0), alpha * (exp(v / alpha) - T(1)));
      case UnaryKind::kSelu:
        return v > T(0) ? gamma * v : gamma * (alpha * exp(v) - alpha);
      case UnaryKind::kSigmoid:
        return T(1) / (T(1) + exp(-v));
      case UnaryKind::kHardSigmoid:
        return ops::hard_sigmoid_value(v, alpha, beta);
      case UnaryKind::kHardSwish:
        return ops::hard_swish_value(v);
      case UnaryKind::kShrink:
        return ops::shrink_value(v, alpha, beta);
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
    // The CPU truncates glibc's pow(double, double), which is exact when the power is
    // (below 2^53). CUDA's pow may be 1-2 ulp off, and 8.999... truncates to 8: for a
    // non-negative exponent, square-and-multiply in double is exact in that range too.
    if (y < 0) return static_cast<T>(pow(static_cast<double>(x), static_cast<double>(y)));
    double base = static_cast<double>(x), r = 1.0;
    for (int64_t e = static_cast<int64_t>(y); e > 0; e >>= 1) {
      if (e & 1) r *= base;
      base *= base;
    }
    return static_cast<T>(r);
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
      return ops::mul_wrapping(a, b);
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
    case BinaryKind::kMin:  // NaN propagates, as on the CPU
      return ops::min_nan(a, b);
    case BinaryKind::kMax:
      return ops::max_nan(a, b);
    case BinaryKind::kPRelu:
      return a < T(0) ? static_cast<T>(a * b) : a;
    case BinaryKind::kShiftLeft:
    case BinaryKind::kShiftRight:
      if constexpr (std::is_unsigned_v<T>)
        return ops::bit_shift(a, b, k == BinaryKind::kShiftLeft);
      else
        return a;
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

}  // namespace top::kernels

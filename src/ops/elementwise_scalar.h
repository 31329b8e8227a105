// The scalar semantics of elementwise operators that plain C++ arithmetic leaves
// undefined or different from ONNX: integer division by zero, Python-style Mod,
// float-to-integer casts. One definition for the CPU kernels (ops/elementwise.cpp) and
// the GPU kernels (kernels/elementwise_math.h), so both give the same bits.
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "host_device.h"

namespace top::ops {

template <class T>
TOP_HD T int_div(T a, T b) {
  if (b == 0) return 0;  // ONNX leaves it undefined; never trap
  if constexpr (std::is_signed_v<T>) {
    if (b == -1) return static_cast<T>(-static_cast<std::make_unsigned_t<T>>(a));  // INT_MIN / -1 wraps
  }
  return a / b;
}

// a * b wrapping in T. uint16 operands promote to int, where 65535 * 65535 overflows
// (undefined behaviour): narrow unsigned types multiply as unsigned int instead.
template <class T>
TOP_HD T mul_wrapping(T a, T b) {
  if constexpr (std::is_unsigned_v<T> && sizeof(T) < sizeof(unsigned)) {
    return static_cast<T>(static_cast<unsigned>(a) * static_cast<unsigned>(b));
  } else {
    return static_cast<T>(a * b);
  }
}

// BitShift on unsigned integers; a shift by the bit width or more gives 0 (C++ leaves
// it undefined, and ONNX does not say).
template <class T>
TOP_HD T bit_shift(T a, T b, bool left) {
  if (b >= static_cast<T>(sizeof(T) * 8)) return T(0);
  return left ? static_cast<T>(a << b) : static_cast<T>(a >> b);
}

// Mod: the sign of the divisor (Python) unless fmod_mode (C fmod: the dividend's sign).
// Integer division by 0 gives 0.
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
  if constexpr (std::is_signed_v<T> || std::is_floating_point_v<T>) {
    if (!fmod_mode && r != 0 && ((r < 0) != (b < 0))) r += b;
  }
  return r;
}

// Float to integer truncates toward zero like ONNX Runtime; NaN gives 0, values past
// int32/int64 saturate, and 8/16-bit targets wrap from int32 as x86 ORT builds do.
template <class To, class From>
TOP_HD To convert_value(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_unsigned_v<To> && sizeof(To) >= 2) {
    // uint16/32/64 saturate: NaN and negatives give 0 (a negative float cast to an
    // unsigned type is undefined behaviour in C++; ONNX leaves the result unspecified).
    if (!(v > From(0))) return To(0);
    if (v >= static_cast<From>(std::numeric_limits<To>::max())) return std::numeric_limits<To>::max();
    return static_cast<To>(v);
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

}  // namespace top::ops

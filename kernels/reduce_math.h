// The per-element math of the reduction kernels (init, map, combine, finalise), as
// __host__ __device__ functions so the unit tests can check it against the CPU
// operators on the host (tests/unit/cuda_elementwise_math_test.cpp).
#pragma once

#include <math.h>

#include <cstdint>
#include <limits>
#include <type_traits>

#include "kernels/index_math.h"
#include "kernels/reduce.h"
#include "src/ops/activation_math.h"

namespace top::kernels {

// map each element, combine accumulators, finalise with the count (reduce.cpp's kinds).
template <class T>
struct Reducer {
  ReduceKind kind;

  TOP_HD T init() const {
    switch (kind) {
      case ReduceKind::kMax:
        return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::lowest();
      case ReduceKind::kMin:
        return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity()
                                                    : std::numeric_limits<T>::max();
      case ReduceKind::kProd:
        return T(1);
      default:
        return T(0);
    }
  }
  TOP_HD T map(T x) const {
    switch (kind) {
      case ReduceKind::kL1:
        return x < T(0) ? static_cast<T>(-x) : x;
      case ReduceKind::kL2:
      case ReduceKind::kSumSquare:
        return static_cast<T>(x * x);
      default:
        return x;
    }
  }
  TOP_HD T operator()(T a, T b) const {
    switch (kind) {
      case ReduceKind::kMax:  // NaN propagates, as on the CPU
        return ops::max_nan(a, b);
      case ReduceKind::kMin:
        return ops::min_nan(a, b);
      case ReduceKind::kProd:
        return static_cast<T>(a * b);
      default:
        return static_cast<T>(a + b);
    }
  }
  TOP_HD T finalize(T a, int64_t n) const {
    switch (kind) {
      case ReduceKind::kMean:
        if constexpr (std::is_integral_v<T>)
          return n == 0 ? T(0) : static_cast<T>(a / static_cast<T>(n));
        else
          return a / static_cast<T>(n);
      case ReduceKind::kL2:
        if constexpr (std::is_floating_point_v<T>) return sqrt(a);
        break;
      case ReduceKind::kLogSum:
      case ReduceKind::kLogSumExp:
        if constexpr (std::is_floating_point_v<T>) return log(a);
        break;
      default:
        break;
    }
    return a;
  }
};

}  // namespace top::kernels

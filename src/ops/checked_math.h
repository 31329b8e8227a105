// Overflow-checked int64 arithmetic for the shape rules of src/ops.
//
// Shape formulas take attribute and input values straight from the model file. Plain
// int64 arithmetic on hostile values (pads = INT64_MAX) is undefined behaviour and in
// practice wraps into a plausible but wrong output shape, so every shape rule computes
// through CheckedInt and turns the result into a dimension with to_dim(), which fails
// with a message naming the quantity instead.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::ops {

// The largest dimension (and attribute extent: pad, kernel, stride, dilation, repeat)
// a shape rule accepts: 2^48, far past any tensor that fits in memory, and small
// enough that the sum of a few such values cannot overflow int64. Larger values are
// rejected as corrupt rather than planned and refused later for their size.
inline constexpr int64_t kMaxDim = int64_t{1} << 48;

// An int64 that remembers whether any operation producing it overflowed (or divided
// by zero), so a formula reads like the spec: (CheckedInt(in) + pb + pe - k) / s + 1.
class CheckedInt {
 public:
  constexpr CheckedInt(int64_t v) : v_(v) {}  // NOLINT: implicit, formulas mix plain ints
  bool ok() const { return ok_; }
  int64_t value() const { return v_; }  // meaningful only when ok()

  // The overflow flag is computed in its own statement: function arguments are evaluated
  // in an unspecified order, so combine(a, b, op(&a.v_)) may copy `a` before op writes it.
  friend CheckedInt operator+(CheckedInt a, CheckedInt b) {
    const bool overflow = __builtin_add_overflow(a.v_, b.v_, &a.v_);
    return combine(a, b, overflow);
  }
  friend CheckedInt operator-(CheckedInt a, CheckedInt b) {
    const bool overflow = __builtin_sub_overflow(a.v_, b.v_, &a.v_);
    return combine(a, b, overflow);
  }
  friend CheckedInt operator*(CheckedInt a, CheckedInt b) {
    const bool overflow = __builtin_mul_overflow(a.v_, b.v_, &a.v_);
    return combine(a, b, overflow);
  }
  // Truncating division; by zero, or INT64_MIN / -1, is an overflow.
  friend CheckedInt operator/(CheckedInt a, CheckedInt b) {
    const bool bad = b.v_ == 0 || (a.v_ == INT64_MIN && b.v_ == -1);
    if (!bad) a.v_ /= b.v_;
    return combine(a, b, bad);
  }

 private:
  static CheckedInt combine(CheckedInt r, CheckedInt other, bool overflow) {
    r.ok_ = r.ok_ && other.ok_ && !overflow;
    return r;
  }
  int64_t v_;
  bool ok_ = true;
};

// `v` as a dimension: InvalidArgument "<what> overflows int64" or "<what> = N exceeds
// the limit of 2^48" otherwise. Negative results are the caller's to judge (each rule
// has its own message for them).
inline Result<int64_t> to_dim(CheckedInt v, const std::string& what) {
  if (!v.ok()) return InvalidArgument(what + " overflows int64");
  if (v.value() > kMaxDim)
    return InvalidArgument(what + " = " + std::to_string(v.value()) + " exceeds the limit of 2^48");
  return v.value();
}

// The product of `dims` (all >= 0) within kMaxDim elements, else the error of to_dim.
inline Result<int64_t> checked_numel(const std::vector<int64_t>& dims, const std::string& what) {
  CheckedInt n = 1;
  for (int64_t d : dims) n = n * d;
  return to_dim(n, what);
}

// A float extent (Resize's scale * dim) truncated or rounded by the caller, as a
// dimension: NaN, infinities and values past kMaxDim are errors, not undefined casts.
inline Result<int64_t> float_to_dim(double v, const std::string& what) {
  if (!(v >= 0.0) || v > static_cast<double>(kMaxDim))
    return InvalidArgument(what + " = " + std::to_string(v) + " is not a dimension in [0, 2^48]");
  return static_cast<int64_t>(v);
}

// "[1,-2,3]": attribute and input values in messages (shape_str shows negatives as ?).
std::string ints_str(const std::vector<int64_t>& v);

// InvalidArgument "<what> [..] must be in [lo, hi]" unless every value is; `what`
// names the op and attribute ("Conv: pads").
Status check_ints_in_range(const std::vector<int64_t>& v, int64_t lo, int64_t hi, const std::string& what);

}  // namespace top::ops

#include "ops/checked_math.h"

namespace top::ops {

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
}

Status check_ints_in_range(const std::vector<int64_t>& v, int64_t lo, int64_t hi, const std::string& what) {
  for (int64_t x : v) {
    if (x >= lo && x <= hi) continue;
    auto bound = [](int64_t b) {
      return b == kMaxDim ? std::string("2^48") : b == -kMaxDim ? std::string("-2^48") : std::to_string(b);
    };
    return InvalidArgument(what + " " + ints_str(v) + " must be in [" + bound(lo) + ", " + bound(hi) + "]");
  }
  return Status::Ok();
}

}  // namespace top::ops

#include "ops/slice_params.h"

#include <algorithm>

#include "ops/op_util.h"

namespace top::ops {

Result<SliceParams> slice_params(const Shape& in, const std::vector<int64_t>& starts, const std::vector<int64_t>& ends,
                                 const std::vector<int64_t>* axes_in, const std::vector<int64_t>* steps_in,
                                 const std::string& p) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (starts.size() != ends.size()) {
    return InvalidArgument(p + "starts " + shape_str(starts) + " and ends " + shape_str(ends) +
                           " differ in length");
  }
  std::vector<int64_t> axes;
  if (axes_in != nullptr) {
    axes = *axes_in;
    if (axes.size() != starts.size())
      return InvalidArgument(p + "axes " + shape_str(axes) + " and starts " + shape_str(starts) + " differ in length");
  } else {
    if (static_cast<int64_t>(starts.size()) > rank)
      return InvalidArgument(p + "starts " + shape_str(starts) + " has more entries than the input rank " +
                             std::to_string(rank));
    for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  }
  if (steps_in != nullptr && steps_in->size() != starts.size())
    return InvalidArgument(p + "steps " + shape_str(*steps_in) + " and starts " + shape_str(starts) +
                           " differ in length");
  SliceParams sp;
  sp.out = in;
  sp.start.assign(in.size(), 0);
  sp.step.assign(in.size(), 1);
  std::vector<bool> seen(in.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axes[i], rank, p));
    if (seen[static_cast<size_t>(a)]) return InvalidArgument(p + "axis " + std::to_string(axes[i]) + " is repeated");
    seen[static_cast<size_t>(a)] = true;
    const int64_t dim = in[static_cast<size_t>(a)];
    const int64_t step = steps_in ? (*steps_in)[i] : 1;
    if (step == 0) return InvalidArgument(p + "step for axis " + std::to_string(axes[i]) + " is 0");
    int64_t s = starts[i], e = ends[i];
    // Clamp before adding dim so INT64_MAX / -INT64_MAX sentinels cannot overflow.
    if (s < 0) s = std::max<int64_t>(s, -dim - 1) + dim;
    if (e < 0) e = std::max<int64_t>(e, -dim - 1) + dim;
    // ceil(span / |step|) written as (span - 1) / |step| + 1, in uint64: a step of
    // INT64_MAX or INT64_MIN (its magnitude is not an int64) cannot overflow.
    const uint64_t mag = step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
    int64_t n = 0;
    if (step > 0) {
      s = std::min(std::max<int64_t>(s, 0), dim);
      e = std::min(std::max<int64_t>(e, 0), dim);
      if (e > s) n = static_cast<int64_t>((static_cast<uint64_t>(e - s) - 1) / mag + 1);
    } else {
      s = std::min(std::max<int64_t>(s, 0), dim - 1);
      e = std::min(std::max<int64_t>(e, -1), dim - 1);
      if (s > e) n = static_cast<int64_t>((static_cast<uint64_t>(s - e) - 1) / mag + 1);
    }
    sp.out[static_cast<size_t>(a)] = n;
    sp.start[static_cast<size_t>(a)] = n > 0 ? s : 0;
    sp.step[static_cast<size_t>(a)] = step;
  }
  return sp;
}

SliceView slice_view(const Shape& in, const SliceParams& sp) {
  SliceView v;
  v.strides.assign(in.size(), 0);
  int64_t dense = 1;
  for (size_t d = in.size(); d-- > 0;) {
    // A dim read at most once never advances by its step, which may be huge (a step
    // past the dim's size gives one element): leave its stride 0 so nothing overflows.
    v.strides[d] = sp.out[d] > 1 ? dense * sp.step[d] : 0;
    v.offset += dense * sp.start[d];
    dense *= in[d];
  }
  return v;
}

}  // namespace top::ops

#include "ops/broadcast.h"

#include <algorithm>

namespace top::ops {

Result<Shape> broadcast_shapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    size_t off = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t d = s[i];
      int64_t& o = out[off + i];
      if (d == o || d == 1) continue;
      if (o == 1) {
        o = d;
        continue;
      }
      // -1 is a dimension not known yet (symbolic): it takes the other side's size.
      if (d < 0) continue;
      if (o < 0) {
        o = d;
        continue;
      }
      return InvalidArgument("shapes cannot be broadcast together: dimension " + std::to_string(off + i) + " is " +
                             std::to_string(o) + " in one input and " + std::to_string(d) + " in another");
    }
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> strides(out.size(), 0);
  size_t off = out.size() - in.size();
  int64_t stride = 1;
  for (size_t i = in.size(); i-- > 0;) {
    strides[off + i] = in[i] == 1 ? 0 : stride;
    stride *= in[i];
  }
  return strides;
}

BroadcastIterator::BroadcastIterator(const std::vector<Shape>& inputs, const Shape& out) : out_(out) {
  if (out_.empty()) out_ = {1};  // scalars: one row of one element
  for (const Shape& in : inputs) strides_.push_back(broadcast_strides(in, out_));
  inner_ = out_.back();
  rows_ = shape_numel(out_) / std::max<int64_t>(inner_, 1);
  if (inner_ == 0) rows_ = 0;
  for (const auto& s : strides_) inner_strides_.push_back(s.back());
}

void BroadcastIterator::row_offsets(int64_t row, std::vector<int64_t>& offsets) const {
  offsets.assign(strides_.size(), 0);
  // Decompose the row index over the outer dims, last outer dim fastest.
  for (size_t d = out_.size() - 1; d-- > 0;) {
    int64_t idx = row % out_[d];
    row /= out_[d];
    for (size_t k = 0; k < strides_.size(); ++k) offsets[k] += idx * strides_[k][d];
  }
}

}  // namespace top::ops

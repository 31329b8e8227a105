// Numpy-style (multidirectional) broadcasting, shared by every op that broadcasts:
// elementwise math, Where, Expand, Pow, Min/Max with many inputs.
#pragma once

#include <cstdint>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

// The broadcast shape of `shapes`, or InvalidArgument naming the clashing dims.
Result<Shape> broadcast_shapes(const std::vector<Shape>& shapes);

// Element strides of `in` (row-major) seen through the output shape `out`: 0 on
// broadcast dims, and leading dims that `in` lacks. `out.size() >= in.size()`.
std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out);

// Walks the output in row-major order and yields, for each maximal contiguous run of
// the innermost dimension, the starting element offset into every input together
// with the inner stride of each input (0 or 1). `fn(out_offset, in_offsets, in_inner_strides, len)`.
// Used to keep inner loops branch-free and vectorisable. Ranges [begin,end) are over
// the rows (all dims but the last) so callers can parallelise across rows.
class BroadcastIterator {
 public:
  BroadcastIterator(const std::vector<Shape>& inputs, const Shape& out);
  int64_t rows() const { return rows_; }
  int64_t inner() const { return inner_; }
  // Offsets of each input at the start of output row `row`.
  void row_offsets(int64_t row, std::vector<int64_t>& offsets) const;
  // 0 or 1 per input: how its offset moves along the inner dimension.
  const std::vector<int64_t>& inner_strides() const { return inner_strides_; }

 private:
  Shape out_;
  std::vector<std::vector<int64_t>> strides_;  // per input, per output dim
  std::vector<int64_t> inner_strides_;
  int64_t rows_ = 1;
  int64_t inner_ = 1;
};

}  // namespace top::ops

// GatherND's shape rule and addressing, shared by the CPU kernel (src/ops/gather_nd.cpp)
// and the CUDA factory (src/backend/cuda/ops_tensor.cpp).
//
// data [B..., D...] (b batch dims), indices [B..., M..., k]: each of the M index
// tuples of k coordinates picks the slice data[batch, i_0, ..., i_{k-1}, :...] of
// slice_elems elements; the output is [B..., M..., data dims after b + k].
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct GatherNdPlan {
  Shape out;
  int64_t k = 0;                 // coordinates per index tuple
  std::vector<int64_t> dims;     // the k indexed data dims
  std::vector<int64_t> strides;  // their element strides within one batch
  int64_t slice_elems = 1;       // elements per gathered slice
  int64_t slices = 0;            // index tuples in all
  int64_t slices_per_batch = 0;  // index tuples per batch
  int64_t batch_stride = 0;      // data elements per batch
};

inline Result<GatherNdPlan> gather_nd_plan(const Shape& data, const Shape& ind, int64_t batch_dims,
                                           const std::string& p) {
  const int64_t r = static_cast<int64_t>(data.size()), q = static_cast<int64_t>(ind.size());
  if (r < 1 || q < 1) return InvalidArgument(p + "data and indices must have rank >= 1");
  if (batch_dims < 0 || batch_dims >= std::min(r, q))
    return InvalidArgument(p + "batch_dims " + std::to_string(batch_dims) + " must be below both ranks");
  for (int64_t d = 0; d < batch_dims; ++d)
    if (data[static_cast<size_t>(d)] != ind[static_cast<size_t>(d)])
      return InvalidArgument(p + "batch dim " + std::to_string(d) + " differs: data " + shape_str(data) +
                             ", indices " + shape_str(ind));
  GatherNdPlan g;
  g.k = ind.back();
  if (g.k < 1 || g.k > r - batch_dims)
    return InvalidArgument(p + "indices' last dim " + std::to_string(g.k) + " must be in [1, " +
                           std::to_string(r - batch_dims) + "]");
  g.out.assign(ind.begin(), ind.end() - 1);
  g.out.insert(g.out.end(), data.begin() + batch_dims + g.k, data.end());
  for (int64_t d = batch_dims + g.k; d < r; ++d) g.slice_elems *= data[static_cast<size_t>(d)];
  int64_t batches = 1;
  for (int64_t d = 0; d < batch_dims; ++d) batches *= data[static_cast<size_t>(d)];
  g.slices = 1;
  for (int64_t d = 0; d + 1 < q; ++d) g.slices *= ind[static_cast<size_t>(d)];
  g.slices_per_batch = batches == 0 ? 0 : g.slices / batches;
  g.batch_stride = g.slice_elems;
  std::vector<int64_t> stride_of(static_cast<size_t>(g.k));
  for (int64_t t = g.k - 1; t >= 0; --t) {
    const int64_t dim = data[static_cast<size_t>(batch_dims + t)];
    stride_of[static_cast<size_t>(t)] = g.batch_stride;
    g.batch_stride *= dim;
    g.dims.insert(g.dims.begin(), dim);
  }
  g.strides = stride_of;
  return g;
}

// The data element offset of every slice, from the indices (slices x k int64): every
// coordinate is checked (negative ones count from the end) before the caller moves
// anything, so an error leaves no partial output.
inline Result<std::vector<int64_t>> gather_nd_offsets(const GatherNdPlan& g, const int64_t* indices,
                                                      const std::string& op) {
  std::vector<int64_t> offsets(static_cast<size_t>(g.slices));
  for (int64_t s = 0; s < g.slices; ++s) {
    int64_t off = g.slices_per_batch == 0 ? 0 : (s / g.slices_per_batch) * g.batch_stride;
    for (int64_t t = 0; t < g.k; ++t) {
      int64_t c = indices[s * g.k + t];
      const int64_t dim = g.dims[static_cast<size_t>(t)];
      if (c < -dim || c >= dim)
        return InvalidArgument(op + ": index " + std::to_string(c) + " is out of range for a dim of " +
                               std::to_string(dim));
      if (c < 0) c += dim;
      off += c * g.strides[static_cast<size_t>(t)];
    }
    offsets[static_cast<size_t>(s)] = off;
  }
  return offsets;
}

}  // namespace top::ops

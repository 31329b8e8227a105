// MatMul's shape rule (numpy semantics: 1-D operands promoted, batch dims broadcast),
// shared by MatMul (src/ops/matmul.cpp) and the integer matmuls (MatMulInteger,
// QLinearMatMul in src/ops/quantized_linear.cpp).
#pragma once

#include <string>
#include <vector>

#include "ops/broadcast.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

// Dims of a batched MatMul after numpy's 1-D promotion.
struct MatMulDims {
  Shape batch;        // broadcast batch shape
  Shape a_batch, b_batch;
  int64_t m = 1, k = 1, n = 1;
  Shape out;
};

inline Result<MatMulDims> matmul_dims(const Shape& a, const Shape& b) {
  if (a.empty() || b.empty())
    return InvalidArgument("MatMul: operands must have rank >= 1, got A " + shape_str(a) + " and B " + shape_str(b));
  MatMulDims d;
  const int64_t ka = a.back();
  const int64_t kb = b.size() == 1 ? b[0] : b[b.size() - 2];
  if (ka >= 0 && kb >= 0 && ka != kb)
    return InvalidArgument("MatMul: inner dims differ: A " + shape_str(a) + " (K=" + std::to_string(ka) + ") and B " +
                           shape_str(b) + " (K=" + std::to_string(kb) + ")");
  d.k = ka >= 0 ? ka : kb;
  d.m = a.size() >= 2 ? a[a.size() - 2] : 1;
  d.n = b.size() >= 2 ? b.back() : 1;
  if (a.size() > 2) d.a_batch.assign(a.begin(), a.end() - 2);
  if (b.size() > 2) d.b_batch.assign(b.begin(), b.end() - 2);
  Result<Shape> batch = broadcast_shapes({d.a_batch, d.b_batch});
  if (!batch.ok())
    return InvalidArgument("MatMul: batch dims of A " + shape_str(a) + " and B " + shape_str(b) + " do not broadcast");
  d.batch = *batch;
  d.out = d.batch;
  if (a.size() >= 2) d.out.push_back(d.m);
  if (b.size() >= 2) d.out.push_back(d.n);
  return d;
}

// Offsets (in matrices) of A and B for each output batch index.
inline void batch_offsets(const MatMulDims& d, std::vector<int64_t>& a_off, std::vector<int64_t>& b_off) {
  const int64_t nb = shape_numel(d.batch);
  a_off.assign(static_cast<size_t>(nb), 0);
  b_off.assign(static_cast<size_t>(nb), 0);
  const std::vector<int64_t> sa = broadcast_strides(d.a_batch, d.batch);
  const std::vector<int64_t> sb = broadcast_strides(d.b_batch, d.batch);
  std::vector<int64_t> idx(d.batch.size(), 0);
  for (int64_t i = 0; i < nb; ++i) {
    int64_t oa = 0, ob = 0;
    for (size_t j = 0; j < idx.size(); ++j) {
      oa += idx[j] * sa[j];
      ob += idx[j] * sb[j];
    }
    a_off[static_cast<size_t>(i)] = oa;
    b_off[static_cast<size_t>(i)] = ob;
    for (int64_t j = static_cast<int64_t>(idx.size()) - 1; j >= 0; --j) {
      if (++idx[j] < d.batch[j]) break;
      idx[j] = 0;
    }
  }
}

}  // namespace top::ops

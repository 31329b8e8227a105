// DepthToSpace and SpaceToDepth as one strided view of the input: the shape and
// attribute rules and the view that the CPU kernel (src/ops/tensor.cpp) and the CUDA
// factory (src/backend/cuda/ops_tensor.cpp) both copy through.
#pragma once

#include <string>
#include <vector>

#include "ops/checked_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct SpaceDepthView {
  Shape out;                         // the output's shape, [N, C', H', W']
  Shape dims;                        // the output seen as 6 dims, row-major
  std::vector<int64_t> src_strides;  // the input element stride of each of `dims`
};

// DepthToSpace-1/11/13: [N, C, H, W] -> [N, C/b², H·b, W·b]. DCR (default) reads the
// depth as [b, b, C/b²], CRD as [C/b², b, b].
inline Result<SpaceDepthView> depth_to_space_view(const Shape& in, int64_t b, bool crd, const std::string& p) {
  if (in.size() != 4) return InvalidArgument(p + "input must be 4-D [N, C, H, W], got " + shape_str(in));
  if (b < 1 || b > kMaxDim) return InvalidArgument(p + "blocksize must be in [1, 2^48], got " + std::to_string(b));
  const int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  TOP_ASSIGN_OR_RETURN(const int64_t bb, to_dim(CheckedInt(b) * b, p + "blocksize squared"));
  TOP_ASSIGN_OR_RETURN(const int64_t hb, to_dim(CheckedInt(h) * b, p + "output height"));
  TOP_ASSIGN_OR_RETURN(const int64_t wb, to_dim(CheckedInt(w) * b, p + "output width"));
  if (c % bb != 0)
    return InvalidArgument(p + "channels " + std::to_string(c) + " are not a multiple of blocksize² " +
                           std::to_string(b * b));
  const int64_t c2 = c / bb, hw = h * w;
  SpaceDepthView v;
  v.out = {n, c2, hb, wb};
  v.dims = {n, c2, h, b, w, b};  // output [N, C', H, b1, W, b2]
  if (crd)                       // channel c' * b * b + b1 * b + b2
    v.src_strides = {c * hw, b * b * hw, w, b * hw, 1, hw};
  else                           // channel (b1 * b + b2) * C' + c'
    v.src_strides = {c * hw, hw, w, b * c2 * hw, 1, c2 * hw};
  return v;
}

// SpaceToDepth-1/13: [N, C, H, W] -> [N, C·b², H/b, W/b], depth [b1, b2, C].
inline Result<SpaceDepthView> space_to_depth_view(const Shape& in, int64_t b, const std::string& p) {
  if (in.size() != 4) return InvalidArgument(p + "input must be 4-D [N, C, H, W], got " + shape_str(in));
  if (b < 1 || b > kMaxDim) return InvalidArgument(p + "blocksize must be in [1, 2^48], got " + std::to_string(b));
  const int64_t n = in[0], c = in[1], h = in[2], w = in[3];
  TOP_ASSIGN_OR_RETURN(const int64_t cbb, to_dim(CheckedInt(c) * b * b, p + "output channels"));
  if (h % b != 0 || w % b != 0)
    return InvalidArgument(p + "height and width " + std::to_string(h) + "x" + std::to_string(w) +
                           " are not multiples of blocksize " + std::to_string(b));
  SpaceDepthView v;
  v.out = {n, cbb, h / b, w / b};
  v.dims = {n, b, b, c, h / b, w / b};  // output [N, b1, b2, C, H', W']
  v.src_strides = {c * h * w, w, 1, h * w, b * w, b};
  return v;
}

}  // namespace top::ops

// ScatterElements (and the deprecated Scatter) and ScatterND: the shape rules and the
// addressing shared by the CPU kernel (src/ops/scatter.cpp) and the CUDA factory
// (src/backend/cuda/ops_scatter.cpp). Both write a copy of data, then each update.
#pragma once

#include <string>
#include <vector>

#include "ops/gather_nd.h"
#include "ops/op_util.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

inline Result<ScatterReduction> parse_scatter_reduction(const std::string& s, const std::string& p) {
  if (s == "none") return ScatterReduction::kNone;
  if (s == "add") return ScatterReduction::kAdd;
  if (s == "mul") return ScatterReduction::kMul;
  if (s == "max") return ScatterReduction::kMax;
  if (s == "min") return ScatterReduction::kMin;
  return InvalidArgument(p + "reduction must be none, add, mul, max or min, got '" + s + "'");
}

// ScatterElements: indices and updates of one shape, of data's rank, each dim within
// data's (except along axis, where the index picks the coordinate).
inline Result<int64_t> scatter_elements_axis(const Shape& data, const Shape& indices, const Shape& updates,
                                             int64_t axis, const std::string& p) {
  if (data.empty()) return InvalidArgument(p + "data must have rank >= 1");
  if (indices != updates)
    return InvalidArgument(p + "indices " + shape_str(indices) + " and updates " + shape_str(updates) + " differ");
  if (indices.size() != data.size())
    return InvalidArgument(p + "indices " + shape_str(indices) + " and data " + shape_str(data) + " differ in rank");
  TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis, static_cast<int64_t>(data.size()), p));
  for (size_t d = 0; d < data.size(); ++d)
    if (indices[d] > data[d] && static_cast<int64_t>(d) != a)
      return InvalidArgument(p + "indices " + shape_str(indices) + " exceed data " + shape_str(data) + " in dim " +
                             std::to_string(d));
  return a;
}

// ScatterND: updates must be indices.shape[:-1] + data.shape[k:]. The addressing is
// GatherND's with no batch dims (slice s of the updates goes where GatherND would
// have read slice s).
inline Result<GatherNdPlan> scatter_nd_plan(const Shape& data, const Shape& indices, const Shape& updates,
                                            const std::string& p) {
  TOP_ASSIGN_OR_RETURN(GatherNdPlan g, gather_nd_plan(data, indices, 0, p));
  if (g.out != updates)
    return InvalidArgument(p + "updates " + shape_str(updates) + " must have shape " + shape_str(g.out));
  return g;
}

}  // namespace top::ops

#include "ops/pad_params.h"

#include "ops/checked_math.h"
#include "ops/op_util.h"

namespace top::ops {

Result<PadMode> parse_pad_mode(const std::string& mode, const std::string& prefix) {
  if (mode == "constant") return PadMode::kConstant;
  if (mode == "reflect") return PadMode::kReflect;
  if (mode == "edge") return PadMode::kEdge;
  if (mode == "wrap") return PadMode::kWrap;
  return InvalidArgument(prefix + "unknown mode '" + mode + "' (expected constant, reflect, edge or wrap)");
}

Result<PadParams> pad_params(const Shape& in, const std::vector<int64_t>& pads, const std::vector<int64_t>* axes_in,
                             const std::string& p) {
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> axes;
  if (axes_in) {
    for (int64_t a : *axes_in) {
      TOP_ASSIGN_OR_RETURN(int64_t n, norm_axis(a, rank, p));
      axes.push_back(n);
    }
  } else {
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  }
  const size_t k = axes.size();
  if (pads.size() != 2 * k) {
    return InvalidArgument(p + "pads " + ints_str(pads) + " must have " + std::to_string(2 * k) +
                           " entries for input " + shape_str(in));
  }
  TOP_RETURN_IF_ERROR(check_ints_in_range(pads, -kMaxDim, kMaxDim, p + "pads"));
  PadParams pp;
  pp.begin.assign(in.size(), 0);
  pp.end.assign(in.size(), 0);
  for (size_t i = 0; i < k; ++i) {
    pp.begin[static_cast<size_t>(axes[i])] = pads[i];
    pp.end[static_cast<size_t>(axes[i])] = pads[k + i];
  }
  pp.out = in;
  for (size_t d = 0; d < in.size(); ++d) {
    TOP_ASSIGN_OR_RETURN(pp.out[d], to_dim(CheckedInt(in[d]) + pp.begin[d] + pp.end[d],
                                           p + "dim " + std::to_string(d) + " of input " + shape_str(in) +
                                               " plus pads " + ints_str(pads)));
    if (pp.out[d] < 0) {
      return InvalidArgument(p + "pads " + ints_str(pads) + " crop dim " + std::to_string(d) + " of input " +
                             shape_str(in) + " below zero");
    }
  }
  return pp;
}

}  // namespace top::ops

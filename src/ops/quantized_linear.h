// MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv (the QOperator format of
// ONNX Runtime's quantizer): the shape rules the CPU kernels (src/ops/quantized_linear.cpp)
// and the CUDA factories (src/backend/cuda/ops_quantized_linear.cpp) share. The
// per-element arithmetic is ops/quantized_linear_math.h.
#pragma once

#include <string>
#include <vector>

#include "ops/conv_util.h"
#include "ops/matmul_dims.h"
#include "ops/quantized_linear_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

inline bool is_q8(DataType t) { return t == DataType::kUint8 || t == DataType::kInt8; }

// A scale or zero-point input that is per tensor (one value) or per channel (`channels`
// values, 1-D): returns its count, or InvalidArgument naming `what`.
inline Result<int64_t> qparam_count(const Shape& s, int64_t channels, const std::string& p, const char* what) {
  if (shape_numel(s) == 1 && s.size() <= 1) return 1;
  if (s.size() == 1 && s[0] == channels) return channels;
  return InvalidArgument(p + what + " " + shape_str(s) + " must be a scalar or hold " + std::to_string(channels) +
                         " values");
}

// Output of a convolution over x [N, C, D...] with w [M, C / group, k...]; spatial rank
// 1 to 3.
struct QConvPlan {
  QConvGeometry geo;
  int64_t batch = 0;
  Shape out;
};

inline Result<QConvPlan> qconv_plan(const WindowAttrs& win, int64_t group, const Shape& x, const Shape& w,
                                    const std::string& p) {
  if (x.size() < 3 || x.size() > 5) return InvalidArgument(p + "x must be [N, C, D...] with 1 to 3 spatial dims");
  if (w.size() != x.size()) return InvalidArgument(p + "w " + shape_str(w) + " must have the rank of x " + shape_str(x));
  if (group < 1 || x[1] % group != 0 || w[0] % group != 0 || w[1] * group != x[1])
    return InvalidArgument(p + "channels of x " + shape_str(x) + " and w " + shape_str(w) + " do not fit group " +
                           std::to_string(group));
  const std::vector<int64_t> spatial(x.begin() + 2, x.end()), kernel(w.begin() + 2, w.end());
  if (!win.kernel_shape.empty() && win.kernel_shape != kernel)
    return InvalidArgument(p + "kernel_shape does not match w " + shape_str(w));
  TOP_ASSIGN_OR_RETURN(WindowGeometry g, forward_window_geometry(win, spatial, kernel, "quantized convolution"));
  QConvPlan q;
  q.batch = x[0];
  q.geo.channels = x[1];
  q.geo.out_channels = w[0];
  q.geo.group = group;
  const size_t lead = 3 - spatial.size();
  for (size_t i = 0; i < spatial.size(); ++i) {
    q.geo.in[lead + i] = g.in[i];
    q.geo.kernel[lead + i] = g.kernel[i];
    q.geo.out[lead + i] = g.out[i];
    q.geo.stride[lead + i] = g.strides[i];
    q.geo.dilation[lead + i] = g.dilations[i];
    q.geo.pad[lead + i] = g.pad_begin[i];
  }
  q.out = {x[0], w[0]};
  q.out.insert(q.out.end(), g.out.begin(), g.out.end());
  return q;
}

}  // namespace top::ops

#include "ops/conv_util.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/activation_math.h"
#include "ops/checked_math.h"

namespace top::ops {

Result<int64_t> window_extent(int64_t kernel, int64_t dilation, const char* op) {
  return to_dim((CheckedInt(kernel) - 1) * dilation + 1,
                std::string(op) + ": window extent (kernel_shape " + std::to_string(kernel) + " - 1) * dilations " +
                    std::to_string(dilation) + " + 1");
}

Status parse_window_attrs(const ir::Attributes& attrs, const char* op, WindowAttrs& out) {
  const std::string ap = attrs.get_string("auto_pad", "NOTSET");
  if (ap == "NOTSET" || ap.empty()) {
    out.auto_pad = AutoPad::kNotSet;
  } else if (ap == "SAME_UPPER") {
    out.auto_pad = AutoPad::kSameUpper;
  } else if (ap == "SAME_LOWER") {
    out.auto_pad = AutoPad::kSameLower;
  } else if (ap == "VALID") {
    out.auto_pad = AutoPad::kValid;
  } else {
    return InvalidArgument(std::string(op) + ": unknown auto_pad '" + ap + "'");
  }
  out.kernel_shape = attrs.get_ints("kernel_shape");
  out.strides = attrs.get_ints("strides");
  out.dilations = attrs.get_ints("dilations");
  out.pads = attrs.get_ints("pads");
  out.ceil_mode = attrs.get_int("ceil_mode", 0) != 0;
  // Bounded here, before shapes are known, so that no later formula (ours or ONNX shape
  // inference's, which runs at import) can overflow on them.
  TOP_RETURN_IF_ERROR(check_ints_in_range(out.kernel_shape, 1, kMaxDim, std::string(op) + ": kernel_shape"));
  TOP_RETURN_IF_ERROR(check_ints_in_range(out.strides, 1, kMaxDim, std::string(op) + ": strides"));
  TOP_RETURN_IF_ERROR(check_ints_in_range(out.dilations, 1, kMaxDim, std::string(op) + ": dilations"));
  TOP_RETURN_IF_ERROR(check_ints_in_range(out.pads, 0, kMaxDim, std::string(op) + ": pads"));
  if (!out.dilations.empty() && out.dilations.size() == out.kernel_shape.size()) {
    for (size_t i = 0; i < out.kernel_shape.size(); ++i)
      TOP_RETURN_IF_ERROR(window_extent(out.kernel_shape[i], out.dilations[i], op).status());
  }
  if (out.pads.size() % 2 != 0)
    return InvalidArgument(std::string(op) + ": pads " + ints_str(out.pads) + " must have 2 values per spatial dim");
  return Status::Ok();
}

Result<WindowGeometry> forward_window_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& in_spatial,
                                               const std::vector<int64_t>& kernel, const char* op) {
  const size_t n = in_spatial.size();
  auto rank_error = [&](const char* name, const std::vector<int64_t>& v, size_t want) {
    return InvalidArgument(std::string(op) + ": " + name + " " + ints_str(v) + " has " + std::to_string(v.size()) +
                           " values but the input has " + std::to_string(n) + " spatial dims (expected " +
                           std::to_string(want) + ")");
  };
  if (kernel.size() != n) return rank_error("kernel_shape", kernel, n);
  if (!attrs.strides.empty() && attrs.strides.size() != n) return rank_error("strides", attrs.strides, n);
  if (!attrs.dilations.empty() && attrs.dilations.size() != n) return rank_error("dilations", attrs.dilations, n);
  if (!attrs.pads.empty() && attrs.pads.size() != 2 * n) return rank_error("pads", attrs.pads, 2 * n);

  WindowGeometry g;
  g.in = in_spatial;
  g.kernel = kernel;
  g.strides = attrs.strides.empty() ? std::vector<int64_t>(n, 1) : attrs.strides;
  g.dilations = attrs.dilations.empty() ? std::vector<int64_t>(n, 1) : attrs.dilations;
  g.pad_begin.assign(n, 0);
  g.pad_end.assign(n, 0);
  g.out.assign(n, 0);
  g.extent.assign(n, 0);
  const std::string o(op);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = g.strides[i];
    if (kernel[i] <= 0) return InvalidArgument(o + ": kernel_shape " + ints_str(kernel) + " must be positive");
    // The kernel may come from the weights' shape, so its extent is checked here too.
    TOP_ASSIGN_OR_RETURN(const int64_t eff_k, window_extent(kernel[i], g.dilations[i], op));
    g.extent[i] = eff_k;
    if (in < 0) {  // symbolic dim at import time: the size is decided at plan time
      g.out[i] = -1;
      continue;
    }
    const std::string dim = o + ": output dim " + std::to_string(i) + " for input " + ints_str(in_spatial);
    switch (attrs.auto_pad) {
      case AutoPad::kNotSet: {
        if (!attrs.pads.empty()) {
          g.pad_begin[i] = attrs.pads[i];
          g.pad_end[i] = attrs.pads[i + n];
        }
        TOP_ASSIGN_OR_RETURN(const int64_t span,
                             to_dim(CheckedInt(in) + g.pad_begin[i] + g.pad_end[i] - eff_k, dim + " with pads " +
                                                                                             ints_str(attrs.pads)));
        if (span < 0) {
          return InvalidArgument(o + ": window " + ints_str(kernel) + " (dilations " + ints_str(g.dilations) +
                                 ") is larger than the padded input " + ints_str(in_spatial) + " with pads " +
                                 ints_str(attrs.pads));
        }
        // span <= 2^48 and s <= 2^48: these cannot overflow.
        int64_t out = attrs.ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
        // A window must start inside the input or its begin padding (ceil_mode only).
        if (attrs.ceil_mode && (out - 1) * s >= in + g.pad_begin[i]) --out;
        g.out[i] = out;
        break;
      }
      case AutoPad::kValid: {
        const int64_t span = in - eff_k;
        if (span < 0) {
          return InvalidArgument(o + ": window " + ints_str(kernel) + " (dilations " + ints_str(g.dilations) +
                                 ") is larger than the input " + ints_str(in_spatial) + " with auto_pad VALID");
        }
        g.out[i] = span / s + 1;
        break;
      }
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        TOP_ASSIGN_OR_RETURN(const int64_t out, to_dim((CheckedInt(in) + s - 1) / s, dim));
        TOP_ASSIGN_OR_RETURN(const int64_t need, to_dim((CheckedInt(out) - 1) * s + eff_k - in, dim + " padding"));
        const int64_t total = std::max<int64_t>(0, need);
        const int64_t small = total / 2, big = total - total / 2;
        g.pad_begin[i] = attrs.auto_pad == AutoPad::kSameUpper ? small : big;
        g.pad_end[i] = attrs.auto_pad == AutoPad::kSameUpper ? big : small;
        g.out[i] = out;
        break;
      }
    }
  }
  return g;
}

Status parse_fused_activation(const ir::Attributes& attrs, const char* op, FusedActivation& out) {
  using Kind = FusedActivation::Kind;
  const std::string name = attrs.get_string("activation", "");
  const std::vector<float> params = attrs.get_floats("activation_params");
  auto param = [&](size_t i, float def) { return i < params.size() ? params[i] : def; };
  out = FusedActivation{};
  if (name.empty()) return Status::Ok();
  if (name == "Relu") {
    out.kind = Kind::kRelu;
  } else if (name == "LeakyRelu") {
    out.kind = Kind::kLeakyRelu;
    out.alpha = param(0, 0.01f);
  } else if (name == "Clip") {
    out.kind = Kind::kClip;
    out.alpha = param(0, -std::numeric_limits<float>::infinity());
    out.beta = param(1, std::numeric_limits<float>::infinity());
  } else if (name == "Sigmoid") {
    out.kind = Kind::kSigmoid;
  } else if (name == "HardSigmoid") {
    out.kind = Kind::kHardSigmoid;
    out.alpha = param(0, 0.2f);
    out.beta = param(1, 0.5f);
  } else if (name == "HardSwish") {  // x * HardSigmoid(x), the opset-13 exporters' form too
    out.kind = Kind::kHardSwish;
    out.alpha = param(0, 1.0f / 6.0f);
    out.beta = param(1, 0.5f);
  } else if (name == "Tanh") {
    out.kind = Kind::kTanh;
  } else {
    return Unsupported(std::string(op) + ": fused activation '" + name + "' is not supported");
  }
  return Status::Ok();
}

void FusedActivation::apply(float* p, int64_t n) const {
  // The standalone operators' formulas (activation_math.h), so fusing never changes a
  // result; in particular NaN stays NaN.
  switch (kind) {
    case Kind::kNone: return;
    case Kind::kRelu:
      for (int64_t i = 0; i < n; ++i) p[i] = relu_value(p[i]);
      return;
    case Kind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) p[i] = leaky_relu_value(p[i], alpha);
      return;
    case Kind::kClip:
      for (int64_t i = 0; i < n; ++i) p[i] = clip_value(p[i], alpha, beta);
      return;
    case Kind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + std::exp(-p[i]));
      return;
    case Kind::kHardSigmoid:
    case Kind::kHardSwish: {
      int64_t i = 0;
#if defined(__SSE__)
      // 4 lanes at a time (the scalar loop does not vectorise: its NaN-aware selects
      // are branches under -ftrapping-math). _mm_max_ps(h, 0) is +0 for h = -0 and
      // _mm_min_ps(h, 1) keeps h below 1, as max_nan/min_nan; a NaN lane is put back.
      const __m128 a = _mm_set1_ps(alpha), b = _mm_set1_ps(beta), zero = _mm_setzero_ps(), one = _mm_set1_ps(1.0f);
      for (; i + 4 <= n; i += 4) {
        const __m128 v = _mm_loadu_ps(p + i);
        const __m128 h = _mm_add_ps(_mm_mul_ps(a, v), b);
        const __m128 nan = _mm_cmpunord_ps(h, h);
        __m128 r = _mm_or_ps(_mm_min_ps(_mm_max_ps(h, zero), one), _mm_and_ps(nan, h));
        if (kind == Kind::kHardSwish) r = _mm_mul_ps(v, r);
        _mm_storeu_ps(p + i, r);
      }
#endif
      for (; i < n; ++i) {
        const float h = hard_sigmoid_value(p[i], alpha, beta);
        p[i] = kind == Kind::kHardSwish ? p[i] * h : h;
      }
      return;
    }
    case Kind::kTanh:
      for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
      return;
  }
}

}  // namespace top::ops

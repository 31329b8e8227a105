#include "ops/conv_util.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace top::ops {

std::string ints_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
  return s + "]";
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
  for (int64_t k : out.kernel_shape)
    if (k <= 0) return InvalidArgument(std::string(op) + ": kernel_shape " + ints_str(out.kernel_shape) + " must be positive");
  for (int64_t s : out.strides)
    if (s <= 0) return InvalidArgument(std::string(op) + ": strides " + ints_str(out.strides) + " must be positive");
  for (int64_t d : out.dilations)
    if (d <= 0) return InvalidArgument(std::string(op) + ": dilations " + ints_str(out.dilations) + " must be positive");
  for (int64_t p : out.pads)
    if (p < 0) return InvalidArgument(std::string(op) + ": pads " + ints_str(out.pads) + " must be non-negative");
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
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = in_spatial[i], s = g.strides[i];
    if (kernel[i] <= 0) return InvalidArgument(std::string(op) + ": kernel_shape " + ints_str(kernel) + " must be positive");
    if (in < 0) {  // symbolic dim at import time: the size is decided at plan time
      g.out[i] = -1;
      continue;
    }
    const int64_t eff_k = (kernel[i] - 1) * g.dilations[i] + 1;
    switch (attrs.auto_pad) {
      case AutoPad::kNotSet: {
        if (!attrs.pads.empty()) {
          g.pad_begin[i] = attrs.pads[i];
          g.pad_end[i] = attrs.pads[i + n];
        }
        const int64_t span = in + g.pad_begin[i] + g.pad_end[i] - eff_k;
        if (span < 0) {
          return InvalidArgument(std::string(op) + ": window " + ints_str(kernel) + " (dilations " +
                                 ints_str(g.dilations) + ") is larger than the padded input " + ints_str(in_spatial) +
                                 " with pads " + ints_str(attrs.pads));
        }
        int64_t out = attrs.ceil_mode ? (span + s - 1) / s + 1 : span / s + 1;
        // A window must start inside the input or its begin padding (ceil_mode only).
        if (attrs.ceil_mode && (out - 1) * s >= in + g.pad_begin[i]) --out;
        g.out[i] = out;
        break;
      }
      case AutoPad::kValid: {
        const int64_t span = in - eff_k;
        if (span < 0) {
          return InvalidArgument(std::string(op) + ": window " + ints_str(kernel) + " (dilations " +
                                 ints_str(g.dilations) + ") is larger than the input " + ints_str(in_spatial) +
                                 " with auto_pad VALID");
        }
        g.out[i] = span / s + 1;
        break;
      }
      case AutoPad::kSameUpper:
      case AutoPad::kSameLower: {
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + eff_k - in);
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
  } else if (name == "HardSwish") {
    out.kind = Kind::kHardSwish;
    out.alpha = 1.0f / 6.0f;
    out.beta = 0.5f;
  } else if (name == "Tanh") {
    out.kind = Kind::kTanh;
  } else {
    return Unsupported(std::string(op) + ": fused activation '" + name + "' is not supported");
  }
  return Status::Ok();
}

void FusedActivation::apply(float* p, int64_t n) const {
  switch (kind) {
    case Kind::kNone: return;
    case Kind::kRelu:
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] > 0.0f ? p[i] : 0.0f;
      return;
    case Kind::kLeakyRelu:
      for (int64_t i = 0; i < n; ++i) p[i] = p[i] >= 0.0f ? p[i] : p[i] * alpha;
      return;
    case Kind::kClip:
      for (int64_t i = 0; i < n; ++i) p[i] = std::min(std::max(p[i], alpha), beta);
      return;
    case Kind::kSigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = 1.0f / (1.0f + std::exp(-p[i]));
      return;
    case Kind::kHardSigmoid:
      for (int64_t i = 0; i < n; ++i) p[i] = std::min(1.0f, std::max(0.0f, alpha * p[i] + beta));
      return;
    case Kind::kHardSwish:
      for (int64_t i = 0; i < n; ++i) p[i] *= std::min(1.0f, std::max(0.0f, alpha * p[i] + beta));
      return;
    case Kind::kTanh:
      for (int64_t i = 0; i < n; ++i) p[i] = std::tanh(p[i]);
      return;
  }
}

}  // namespace top::ops

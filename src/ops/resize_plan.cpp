#include "ops/resize_plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/checked_math.h"

namespace top::ops {

namespace {

Result<std::vector<float>> float_values(const Tensor& t, const std::string& what, const std::string& p) {
  if (t.dtype() != DataType::kFloat32 && t.dtype() != DataType::kFloat64)
    return InvalidArgument(p + what + " must be float32, got " + dtype_name(t.dtype()));
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(t.item_as_double(i));
  return v;
}

}  // namespace

Result<ResizeAttrs> parse_resize_attrs(const ir::Attributes& attrs, int opset, bool upsample) {
  ResizeAttrs a;
  a.name = upsample ? "Upsample" : "Resize";
  const std::string& name = a.name;
  ResizeSampling& s = a.sampling;
  const std::string mode = attrs.get_string("mode", "nearest");
  if (mode == "nearest") s.mode = ResizeMode::kNearest;
  else if (mode == "linear" || mode == "bilinear") s.mode = ResizeMode::kLinear;
  else if (mode == "cubic") s.mode = ResizeMode::kCubic;
  else return InvalidArgument(name + ": unknown mode '" + mode + "' (expected nearest, linear or cubic)");

  if (upsample || opset < 11) {
    s.coord = ResizeCoord::kAsymmetric;
    s.nearest = ResizeNearest::kSimple;
  } else {
    const std::string c = attrs.get_string("coordinate_transformation_mode", "half_pixel");
    if (c == "half_pixel") s.coord = ResizeCoord::kHalfPixel;
    else if (c == "half_pixel_symmetric") s.coord = ResizeCoord::kHalfPixelSymmetric;
    else if (c == "pytorch_half_pixel") s.coord = ResizeCoord::kPytorchHalfPixel;
    else if (c == "align_corners") s.coord = ResizeCoord::kAlignCorners;
    else if (c == "asymmetric") s.coord = ResizeCoord::kAsymmetric;
    else if (c == "tf_half_pixel_for_nn") s.coord = ResizeCoord::kTfHalfPixelForNearest;
    else if (c == "tf_crop_and_resize") s.coord = ResizeCoord::kTfCropAndResize;
    else return InvalidArgument(name + ": unknown coordinate_transformation_mode '" + c + "'");
    const std::string n = attrs.get_string("nearest_mode", "round_prefer_floor");
    if (n == "round_prefer_floor") s.nearest = ResizeNearest::kRoundPreferFloor;
    else if (n == "round_prefer_ceil") s.nearest = ResizeNearest::kRoundPreferCeil;
    else if (n == "floor") s.nearest = ResizeNearest::kFloor;
    else if (n == "ceil") s.nearest = ResizeNearest::kCeil;
    else return InvalidArgument(name + ": unknown nearest_mode '" + n + "'");
  }
  s.cubic_a = attrs.get_float("cubic_coeff_a", -0.75f);
  s.exclude_outside = attrs.get_int("exclude_outside", 0) != 0;
  if (s.exclude_outside && s.mode != ResizeMode::kCubic)
    return InvalidArgument(name + ": exclude_outside=1 is only valid with mode 'cubic'");
  a.extrapolation = attrs.get_float("extrapolation_value", 0.0f);
  if (opset >= 18 && !upsample) {
    if (attrs.get_int("antialias", 0) != 0) return Unsupported(name + ": antialias=1 is not supported");
    a.axes = attrs.get_ints("axes");
    const std::string k = attrs.get_string("keep_aspect_ratio_policy", "stretch");
    if (k == "stretch") a.policy = AspectPolicy::kStretch;
    else if (k == "not_larger") a.policy = AspectPolicy::kNotLarger;
    else if (k == "not_smaller") a.policy = AspectPolicy::kNotSmaller;
    else return InvalidArgument(name + ": unknown keep_aspect_ratio_policy '" + k + "'");
  }
  if (upsample && opset < 9) {
    if (!attrs.has("scales")) return InvalidArgument("Upsample: attribute 'scales' is required before opset 9");
    a.attr_scales = attrs.get_floats("scales");
  }
  // Input slots across versions.
  if (!upsample && opset >= 11) {
    a.roi_idx = 1;
    a.scales_idx = 2;
    a.sizes_idx = 3;
  } else if (!(upsample && opset < 9)) {
    a.scales_idx = 1;
  }
  return a;
}

std::vector<ResizeAxis> ResizePlan::axes(const Shape& in) const {
  std::vector<ResizeAxis> ax(in.size());
  int64_t stride = 1;
  for (size_t d = in.size(); d-- > 0;) {
    ax[d] = ResizeAxis{in[d], out[d], stride, scales[d], roi[d], roi[in.size() + d]};
    stride *= in[d];
  }
  return ax;
}

Result<ResizePlan> plan_resize(const ResizeAttrs& ra, const Shape& in, const Tensor* roi, const Tensor* scales,
                               const Tensor* sizes, const std::string& p) {
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0) return InvalidArgument(p + "input must have rank >= 1");
  std::vector<int64_t> axes;
  for (int64_t a : ra.axes) {
    if (a < -rank || a >= rank) return InvalidArgument(p + "axis " + std::to_string(a) + " is out of range");
    int64_t n = a < 0 ? a + rank : a;
    if (std::find(axes.begin(), axes.end(), n) != axes.end())
      return InvalidArgument(p + "axis " + std::to_string(a) + " is repeated");
    axes.push_back(n);
  }
  if (axes.empty())
    for (int64_t i = 0; i < rank; ++i) axes.push_back(i);
  const size_t k = axes.size();

  ResizePlan rp;
  rp.out = in;
  rp.scales.assign(in.size(), 1.0f);
  std::vector<float> scale_values = ra.attr_scales;
  if (scales != nullptr) {
    TOP_ASSIGN_OR_RETURN(scale_values, float_values(*scales, "scales", p));
  }
  if (sizes != nullptr && !scale_values.empty())
    return InvalidArgument(p + "only one of 'scales' and 'sizes' may be given");
  if (sizes != nullptr) {
    if (sizes->dtype() != DataType::kInt64 && sizes->dtype() != DataType::kInt32)
      return InvalidArgument(p + "sizes must be int64, got " + dtype_name(sizes->dtype()));
    std::vector<int64_t> sz = sizes->to_int_vector();
    if (sz.size() != k)
      return InvalidArgument(p + "sizes " + shape_str(sz) + " must have " + std::to_string(k) + " entries");
    for (size_t i = 0; i < k; ++i) {
      if (sz[i] < 0 || sz[i] > kMaxDim)
        return InvalidArgument(p + "sizes " + ints_str(sz) + " must be in [0, 2^48]");
      rp.out[static_cast<size_t>(axes[i])] = sz[i];
    }
    for (size_t d = 0; d < in.size(); ++d) {
      if (in[d] == 0) {
        if (rp.out[d] != 0) return InvalidArgument(p + "cannot resize the empty dim " + std::to_string(d));
        rp.scales[d] = 1.0f;
      } else {
        rp.scales[d] = static_cast<float>(rp.out[d]) / static_cast<float>(in[d]);
      }
    }
    if (ra.policy != AspectPolicy::kStretch) {
      float s = ra.policy == AspectPolicy::kNotLarger ? std::numeric_limits<float>::max()
                                                    : std::numeric_limits<float>::min();
      for (int64_t a : axes)
        s = ra.policy == AspectPolicy::kNotLarger ? std::min(s, rp.scales[static_cast<size_t>(a)])
                                                : std::max(s, rp.scales[static_cast<size_t>(a)]);
      for (int64_t a : axes) {
        rp.scales[static_cast<size_t>(a)] = s;
        TOP_ASSIGN_OR_RETURN(rp.out[static_cast<size_t>(a)],
                             float_to_dim(std::round(s * static_cast<float>(in[static_cast<size_t>(a)])),
                                          p + "output dim " + std::to_string(a) + " (keep_aspect_ratio_policy)"));
      }
    }
  } else if (!scale_values.empty()) {
    if (scale_values.size() != k)
      return InvalidArgument(p + "scales has " + std::to_string(scale_values.size()) + " entries but " +
                             std::to_string(k) + " are needed for input rank " + std::to_string(rank));
    for (size_t i = 0; i < k; ++i) {
      const float s = scale_values[i];
      if (!(s > 0) || !std::isfinite(s))
        return InvalidArgument(p + "scale " + std::to_string(s) + " for axis " + std::to_string(axes[i]) +
                               " must be positive");
      const size_t a = static_cast<size_t>(axes[i]);
      rp.scales[a] = s;
      // Float, like ONNX Runtime; a huge scale gives inf or a value past int64, which
      // must be an error rather than an undefined cast.
      TOP_ASSIGN_OR_RETURN(rp.out[a], float_to_dim(s * static_cast<float>(in[a]),
                                                    p + "output dim " + std::to_string(a) + " (scale " +
                                                        std::to_string(s) + " times " + std::to_string(in[a]) + ")"));
    }
  } else {
    return InvalidArgument(p + "needs either 'scales' or 'sizes'");
  }

  rp.roi.assign(2 * in.size(), 0.0f);
  for (size_t d = 0; d < in.size(); ++d) rp.roi[in.size() + d] = 1.0f;
  if (ra.sampling.coord == ResizeCoord::kTfCropAndResize) {
    if (roi == nullptr) return InvalidArgument(p + "tf_crop_and_resize needs the 'roi' input");
    TOP_ASSIGN_OR_RETURN(std::vector<float> r, float_values(*roi, "roi", p));
    if (r.size() != 2 * k)
      return InvalidArgument(p + "roi has " + std::to_string(r.size()) + " entries, expected " +
                             std::to_string(2 * k));
    for (size_t i = 0; i < k; ++i) {
      rp.roi[static_cast<size_t>(axes[i])] = r[i];
      rp.roi[in.size() + static_cast<size_t>(axes[i])] = r[k + i];
    }
  }
  return rp;
}

}  // namespace top::ops

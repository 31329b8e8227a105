// Resize (opsets 10-19) and Upsample (opsets 7-9).
//
// The output shape comes from the `scales` or `sizes` input, which must be constant at
// plan time. Each resized axis gets a table mapping output coordinates to input taps
// (1 for nearest, 2 for linear, 4 for cubic) with their weights; an axis whose scale is
// exactly 1 is an identity, as in ONNX Runtime. Coordinates are computed in float the
// way ONNX Runtime computes them, so that nearest-mode ties round the same way.
//
// Nearest copies bytes and so works for every dtype; linear and cubic interpolate
// float32/float64 over any number of axes (n-linear, n-cubic).
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ops/families.h"
#include "ops/op.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord {
  kHalfPixel,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNearest,
  kTfCropAndResize
};
enum class Nearest { kSimple, kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };
enum class AspectPolicy { kStretch, kNotLarger, kNotSmaller };

float original_coordinate(Coord c, float x, float scale, float len_resized, float len_original, float roi_start,
                          float roi_end) {
  switch (c) {
    case Coord::kAsymmetric: return x / scale;
    case Coord::kPytorchHalfPixel: return len_resized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case Coord::kTfHalfPixelForNearest: return (x + 0.5f) / scale;
    case Coord::kAlignCorners: return len_resized == 1 ? 0.0f : x * (len_original - 1) / (len_resized - 1);
    case Coord::kTfCropAndResize: {
      double orig = len_resized > 1
                        ? roi_start * (len_original - 1) + (x * (roi_end - roi_start) * (len_original - 1)) / (len_resized - 1)
                        : 0.5 * (roi_start + roi_end) * (len_original - 1);
      return static_cast<float>(orig);
    }
    case Coord::kHalfPixelSymmetric: {
      float output_width = scale * len_original;
      float adjustment = len_resized / output_width;
      float center = len_original / 2;
      float offset = center * (1 - adjustment);
      return static_cast<float>(offset + (x + 0.5) / scale - 0.5);
    }
    case Coord::kHalfPixel: break;
  }
  return ((x + 0.5f) / scale) - 0.5f;
}

int64_t nearest_pixel(Nearest m, float x, bool downsample) {
  switch (m) {
    case Nearest::kSimple:
      return downsample ? static_cast<int64_t>(std::ceil(x)) : static_cast<int64_t>(x);
    case Nearest::kRoundPreferCeil: return static_cast<int64_t>(std::round(x));
    case Nearest::kFloor: return static_cast<int64_t>(std::floor(x));
    case Nearest::kCeil: return static_cast<int64_t>(std::ceil(x));
    case Nearest::kRoundPreferFloor: break;
  }
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(std::floor(x));
  return static_cast<int64_t>(std::round(x));
}

std::array<float, 4> cubic_coeffs(float s, float a) {
  s = std::fabs(s);
  return {static_cast<float>(((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a),
          static_cast<float>(((a + 2) * s - (a + 3)) * s * s + 1),
          static_cast<float>(((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1),
          static_cast<float>(((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a)};
}

Result<std::vector<float>> float_values(const Tensor& t, const std::string& what, const std::string& p) {
  if (t.dtype() != DataType::kFloat32 && t.dtype() != DataType::kFloat64)
    return InvalidArgument(p + what + " must be float32, got " + dtype_name(t.dtype()));
  std::vector<float> v(static_cast<size_t>(t.numel()));
  for (int64_t i = 0; i < t.numel(); ++i) v[static_cast<size_t>(i)] = static_cast<float>(t.item_as_double(i));
  return v;
}

// The resolved geometry of one resize: output shape, per-axis scale and roi.
struct ResizePlan {
  Shape out;
  std::vector<float> scales;     // one per input dim
  std::vector<float> roi;        // 2 * rank: starts then ends
};

// Per-axis sampling table for linear/cubic.
struct AxisTaps {
  bool active = false;           // false: output coordinate == input coordinate
  int taps = 0;
  std::vector<int64_t> offset;   // [o * taps + t]: input index times the axis stride
  std::vector<float> weight;     // [o * taps + t]
  std::vector<uint8_t> outside;  // [o]: use the extrapolation value
};

class ResizeOp final : public Op {
 public:
  explicit ResizeOp(bool upsample) : upsample_(upsample) {}

  Status init(const ir::Attributes& attrs, int opset) override {
    opset_ = opset;
    const std::string name = upsample_ ? "Upsample" : "Resize";
    const std::string mode = attrs.get_string("mode", "nearest");
    if (mode == "nearest") mode_ = Mode::kNearest;
    else if (mode == "linear" || mode == "bilinear") mode_ = Mode::kLinear;
    else if (mode == "cubic") mode_ = Mode::kCubic;
    else return InvalidArgument(name + ": unknown mode '" + mode + "' (expected nearest, linear or cubic)");

    if (upsample_ || opset < 11) {
      coord_ = Coord::kAsymmetric;
      nearest_ = Nearest::kSimple;
    } else {
      const std::string c = attrs.get_string("coordinate_transformation_mode", "half_pixel");
      if (c == "half_pixel") coord_ = Coord::kHalfPixel;
      else if (c == "half_pixel_symmetric") coord_ = Coord::kHalfPixelSymmetric;
      else if (c == "pytorch_half_pixel") coord_ = Coord::kPytorchHalfPixel;
      else if (c == "align_corners") coord_ = Coord::kAlignCorners;
      else if (c == "asymmetric") coord_ = Coord::kAsymmetric;
      else if (c == "tf_half_pixel_for_nn") coord_ = Coord::kTfHalfPixelForNearest;
      else if (c == "tf_crop_and_resize") coord_ = Coord::kTfCropAndResize;
      else return InvalidArgument(name + ": unknown coordinate_transformation_mode '" + c + "'");
      const std::string n = attrs.get_string("nearest_mode", "round_prefer_floor");
      if (n == "round_prefer_floor") nearest_ = Nearest::kRoundPreferFloor;
      else if (n == "round_prefer_ceil") nearest_ = Nearest::kRoundPreferCeil;
      else if (n == "floor") nearest_ = Nearest::kFloor;
      else if (n == "ceil") nearest_ = Nearest::kCeil;
      else return InvalidArgument(name + ": unknown nearest_mode '" + n + "'");
    }
    cubic_a_ = attrs.get_float("cubic_coeff_a", -0.75f);
    exclude_outside_ = attrs.get_int("exclude_outside", 0) != 0;
    if (exclude_outside_ && mode_ != Mode::kCubic)
      return InvalidArgument(name + ": exclude_outside=1 is only valid with mode 'cubic'");
    extrapolation_ = attrs.get_float("extrapolation_value", 0.0f);
    if (opset >= 18 && !upsample_) {
      if (attrs.get_int("antialias", 0) != 0) return Unsupported(name + ": antialias=1 is not supported");
      axes_ = attrs.get_ints("axes");
      const std::string k = attrs.get_string("keep_aspect_ratio_policy", "stretch");
      if (k == "stretch") policy_ = AspectPolicy::kStretch;
      else if (k == "not_larger") policy_ = AspectPolicy::kNotLarger;
      else if (k == "not_smaller") policy_ = AspectPolicy::kNotSmaller;
      else return InvalidArgument(name + ": unknown keep_aspect_ratio_policy '" + k + "'");
    }
    if (upsample_ && opset < 9) {
      if (!attrs.has("scales")) return InvalidArgument("Upsample: attribute 'scales' is required before opset 9");
      attr_scales_ = attrs.get_floats("scales");
    }
    // Input slots across versions.
    if (!upsample_ && opset >= 11) {
      roi_idx_ = 1;
      scales_idx_ = 2;
      sizes_idx_ = 3;
    } else if (!(upsample_ && opset < 9)) {
      scales_idx_ = 1;
    }
    return Status::Ok();
  }

  std::string name() const { return upsample_ ? "Upsample" : "Resize"; }

  // Plans from whichever of roi/scales/sizes are given (null when absent or empty).
  Result<ResizePlan> plan(const Shape& in, const Tensor* roi, const Tensor* scales, const Tensor* sizes,
                          const std::string& p) const {
    const int64_t rank = static_cast<int64_t>(in.size());
    if (rank == 0) return InvalidArgument(p + "input must have rank >= 1");
    std::vector<int64_t> axes;
    for (int64_t a : axes_) {
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
    std::vector<float> scale_values = attr_scales_;
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
        if (sz[i] < 0) return InvalidArgument(p + "sizes " + shape_str(sz) + " has a negative entry");
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
      if (policy_ != AspectPolicy::kStretch) {
        float s = policy_ == AspectPolicy::kNotLarger ? std::numeric_limits<float>::max()
                                                      : std::numeric_limits<float>::min();
        for (int64_t a : axes)
          s = policy_ == AspectPolicy::kNotLarger ? std::min(s, rp.scales[static_cast<size_t>(a)])
                                                  : std::max(s, rp.scales[static_cast<size_t>(a)]);
        for (int64_t a : axes) {
          rp.scales[static_cast<size_t>(a)] = s;
          rp.out[static_cast<size_t>(a)] =
              static_cast<int64_t>(std::round(s * static_cast<float>(in[static_cast<size_t>(a)])));
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
        rp.out[a] = static_cast<int64_t>(s * static_cast<float>(in[a]));
      }
    } else {
      return InvalidArgument(p + "needs either 'scales' or 'sizes'");
    }

    rp.roi.assign(2 * in.size(), 0.0f);
    for (size_t d = 0; d < in.size(); ++d) rp.roi[in.size() + d] = 1.0f;
    if (coord_ == Coord::kTfCropAndResize) {
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

  // A tensor input that is present and non-empty, at plan time.
  Result<const Tensor*> plan_input(const InferContext& ctx, int idx, const char* what, const std::string& p) const {
    if (idx < 0 || !ctx.has_input(static_cast<size_t>(idx))) return static_cast<const Tensor*>(nullptr);
    if (shape_numel(ctx.input_shape(static_cast<size_t>(idx))) == 0) return static_cast<const Tensor*>(nullptr);
    const Tensor* t = ctx.constant_input(static_cast<size_t>(idx));
    if (t == nullptr)
      return Unsupported(p + "input '" + what + "' is not constant at plan time (data-dependent output shape)");
    return t;
  }

  static const Tensor* run_input(const KernelContext& ctx, int idx) {
    if (idx < 0 || !ctx.has_input(static_cast<size_t>(idx))) return nullptr;
    const Tensor& t = ctx.input(static_cast<size_t>(idx));
    return t.numel() == 0 ? nullptr : &t;
  }

  Status infer(InferContext& ctx) const override {
    const std::string p = name() + " node '" + ctx.node_name() + "': ";
    if (!ctx.has_input(0)) return InvalidArgument(p + "input X is missing");
    const Tensor* roi = nullptr;
    if (coord_ == Coord::kTfCropAndResize) {
      TOP_ASSIGN_OR_RETURN(roi, plan_input(ctx, roi_idx_, "roi", p));
    }
    TOP_ASSIGN_OR_RETURN(const Tensor* scales, plan_input(ctx, scales_idx_, "scales", p));
    TOP_ASSIGN_OR_RETURN(const Tensor* sizes, plan_input(ctx, sizes_idx_, "sizes", p));
    TOP_ASSIGN_OR_RETURN(ResizePlan rp, plan(ctx.input_shape(0), roi, scales, sizes, p));
    const DataType t = ctx.input_dtype(0);
    if (mode_ != Mode::kNearest && t != DataType::kFloat32 && t != DataType::kFloat64)
      return Unsupported(p + "linear and cubic modes support float32 and float64, got " + dtype_name(t));
    ctx.set_output(0, t, rp.out);
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    const int taps = mode_ == Mode::kNearest ? 0 : (mode_ == Mode::kLinear ? 4 : 16);
    c.flops *= 2.0 * taps;
    return c;
  }

  Status compute(const KernelContext& ctx) const override {
    const std::string p = name() + ": ";
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(ResizePlan rp, plan(x.shape(), coord_ == Coord::kTfCropAndResize ? run_input(ctx, roi_idx_)
                                                                                          : nullptr,
                                             run_input(ctx, scales_idx_), run_input(ctx, sizes_idx_), p));
    if (rp.out != y.shape() || y.dtype() != x.dtype())
      return InvalidArgument(p + "output " + shape_str(y.shape()) + " does not match the planned " +
                             shape_str(rp.out));
    if (y.numel() == 0) return Status::Ok();
    if (rp.out == x.shape()) {  // nothing to resize (ONNX Runtime copies here too)
      std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
      return Status::Ok();
    }
    if (mode_ == Mode::kNearest) return nearest(ctx, x, y, rp);
    switch (x.dtype()) {
      case DataType::kFloat32: return interpolate<float>(ctx, x, y, rp);
      case DataType::kFloat64: return interpolate<double>(ctx, x, y, rp);
      default: return Unsupported(p + "linear and cubic modes support float32 and float64, got " +
                                  dtype_name(x.dtype()));
    }
  }

 private:
  float coordinate(size_t d, int64_t o, const ResizePlan& rp, const Shape& in) const {
    return original_coordinate(coord_, static_cast<float>(o), rp.scales[d], static_cast<float>(rp.out[d]),
                               static_cast<float>(in[d]), rp.roi[d], rp.roi[in.size() + d]);
  }

  bool extrapolates() const { return coord_ == Coord::kTfCropAndResize; }

  Status nearest(const KernelContext& ctx, const Tensor& x, Tensor& y, const ResizePlan& rp) const {
    const Shape& in = x.shape();
    const size_t nd = in.size();
    const size_t esize = dtype_size(x.dtype());
    std::vector<int64_t> xs(nd, 1);
    for (size_t d = nd; d-- > 1;) xs[d - 1] = xs[d] * in[d];
    // Per axis: input offset per output coordinate, or -1 for the extrapolation value.
    std::vector<std::vector<int64_t>> map(nd);
    std::vector<bool> identity(nd, false);
    for (size_t d = 0; d < nd; ++d) {
      map[d].resize(static_cast<size_t>(rp.out[d]));
      identity[d] = rp.scales[d] == 1.0f;
      for (int64_t o = 0; o < rp.out[d]; ++o) {
        if (identity[d]) {
          map[d][static_cast<size_t>(o)] = std::min(o, in[d] - 1) * xs[d];
          continue;
        }
        const float c = coordinate(d, o, rp, in);
        if (extrapolates() && (c < 0 || c > static_cast<float>(in[d] - 1))) {
          map[d][static_cast<size_t>(o)] = -1;
          continue;
        }
        int64_t i = nearest_pixel(nearest_, c, rp.scales[d] < 1);
        i = std::min(std::max<int64_t>(i, 0), in[d] - 1);
        map[d][static_cast<size_t>(o)] = i * xs[d];
      }
    }
    uint8_t extra_bytes[8] = {0};
    store_extrapolation(x.dtype(), extra_bytes);
    const int64_t inner = rp.out[nd - 1];
    const int64_t rows = y.numel() / inner;
    const bool inner_identity = identity[nd - 1] && inner == in[nd - 1];
    const bool extrapolate = extrapolates();
    const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inner));
    auto run = [&](auto tag) {
      using E = decltype(tag);
      E extra;
      std::memcpy(&extra, extra_bytes, sizeof(E));
      const E* src = static_cast<const E*>(x.raw_data());
      E* dst = static_cast<E*>(y.raw_data());
      const int64_t* m = map[nd - 1].data();
      ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
        int64_t prev_off = -1;  // upsampling repeats rows: copy the previous output row then
        for (int64_t r = b; r < e; ++r) {
          E* drow = dst + r * inner;
          int64_t rem = r, off = 0;
          bool outside = false;
          for (size_t d = nd - 1; d-- > 0;) {
            const int64_t o = rem % rp.out[d];
            rem /= rp.out[d];
            const int64_t mo = map[d][static_cast<size_t>(o)];
            if (mo < 0) outside = true;
            off += mo;
          }
          if (outside) {
            std::fill_n(drow, inner, extra);
            prev_off = -1;
            continue;
          }
          if (off == prev_off) {
            std::memcpy(drow, drow - inner, static_cast<size_t>(inner) * sizeof(E));
            continue;
          }
          prev_off = off;
          const E* srow = src + off;
          if (inner_identity) {
            std::memcpy(drow, srow, static_cast<size_t>(inner) * sizeof(E));
          } else if (extrapolate) {
            for (int64_t c = 0; c < inner; ++c) drow[c] = m[c] < 0 ? extra : srow[m[c]];
          } else {
            for (int64_t c = 0; c < inner; ++c) drow[c] = srow[m[c]];
          }
        }
      });
    };
    switch (esize) {
      case 1: run(uint8_t{}); break;
      case 2: run(uint16_t{}); break;
      case 4: run(uint32_t{}); break;
      case 8: run(uint64_t{}); break;
      default: return Unsupported(name() + ": element size " + std::to_string(esize) + " is not supported");
    }
    return Status::Ok();
  }

  void store_extrapolation(DataType t, uint8_t* out) const { put_scalar(t, extrapolation_, out); }

  AxisTaps axis_taps(size_t d, const ResizePlan& rp, const Shape& in, int64_t stride) const {
    AxisTaps t;
    const int64_t n_in = in[d];
    const int64_t n_out = rp.out[d];
    t.active = !(rp.scales[d] == 1.0f && n_in == n_out);
    if (!t.active) return t;
    t.taps = mode_ == Mode::kLinear ? 2 : 4;
    t.offset.resize(static_cast<size_t>(n_out * t.taps));
    t.weight.resize(static_cast<size_t>(n_out * t.taps));
    t.outside.assign(static_cast<size_t>(n_out), 0);
    for (int64_t o = 0; o < n_out; ++o) {
      const size_t at = static_cast<size_t>(o * t.taps);
      const float c = rp.scales[d] == 1.0f ? static_cast<float>(o) : coordinate(d, o, rp, in);
      if (extrapolates() && (c < 0 || c > static_cast<float>(n_in - 1))) t.outside[static_cast<size_t>(o)] = 1;
      if (mode_ == Mode::kLinear) {
        const float v = std::max(0.0f, std::min(c, static_cast<float>(n_in - 1)));
        const int64_t i0 = std::min(static_cast<int64_t>(v), n_in - 1);
        const int64_t i1 = std::min(i0 + 1, n_in - 1);
        float w0 = std::fabs(v - static_cast<float>(i1));
        float w1 = std::fabs(v - static_cast<float>(i0));
        if (i0 == i1) w0 = w1 = 0.5f;
        t.offset[at] = i0 * stride;
        t.offset[at + 1] = i1 * stride;
        t.weight[at] = w0;
        t.weight[at + 1] = w1;
      } else {
        const int64_t base = static_cast<int64_t>(std::floor(c));
        std::array<float, 4> w = cubic_coeffs(c - static_cast<float>(base), cubic_a_);
        float sum = 1.0f;
        if (exclude_outside_) {
          sum = 0.0f;
          for (int k = 0; k < 4; ++k) {
            const int64_t i = base - 1 + k;
            if (i < 0 || i >= n_in) w[static_cast<size_t>(k)] = 0.0f;
            sum += w[static_cast<size_t>(k)];
          }
        }
        for (int k = 0; k < 4; ++k) {
          const int64_t i = std::min(std::max<int64_t>(base - 1 + k, 0), n_in - 1);
          t.offset[at + static_cast<size_t>(k)] = i * stride;
          t.weight[at + static_cast<size_t>(k)] = sum != 0.0f ? w[static_cast<size_t>(k)] / sum : 0.0f;
        }
      }
    }
    return t;
  }

  template <class T>
  Status interpolate(const KernelContext& ctx, const Tensor& x, Tensor& y, const ResizePlan& rp) const {
    using Acc = std::conditional_t<std::is_same<T, double>::value, double, float>;
    const Shape& in = x.shape();
    const size_t nd = in.size();
    std::vector<int64_t> xs(nd, 1);
    for (size_t d = nd; d-- > 1;) xs[d - 1] = xs[d] * in[d];
    std::vector<AxisTaps> ax(nd);
    for (size_t d = 0; d < nd; ++d) ax[d] = axis_taps(d, rp, in, xs[d]);
    const T extra = static_cast<T>(extrapolation_);
    const int64_t inner = rp.out[nd - 1];
    const int64_t rows = y.numel() / inner;
    const T* src = x.data<T>();
    T* dst = y.data<T>();
    const AxisTaps& last = ax[nd - 1];
    const bool extrapolate = extrapolates();
    const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, inner));
    bool separable = !extrapolate && nd >= 2 && last.active && last.taps == 2 && ax[nd - 2].active &&
                     ax[nd - 2].taps == 2;
    for (size_t d = 0; d + 2 < nd; ++d) separable = separable && !ax[d].active;
    if (separable) {
      // Bilinear over the last two axes (NCHW): each input row is interpolated along W
      // once and kept while consecutive output rows use it; output rows then blend two
      // such rows with a contiguous, vectorisable loop.
      const AxisTaps& vert = ax[nd - 2];
      const int64_t out_h = rp.out[nd - 2];
      const int64_t in_plane = in[nd - 2] * in[nd - 1];
      const int64_t* hoff = last.offset.data();
      const float* hw = last.weight.data();
      ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
        std::vector<Acc> buf(static_cast<size_t>(2 * inner));
        int64_t key[2] = {-1, -1};
        auto hrow = [&](int64_t row_off, int64_t keep) -> const Acc* {
          for (int k = 0; k < 2; ++k)
            if (key[k] == row_off) return buf.data() + k * inner;
          const int slot = key[0] == keep ? 1 : 0;
          Acc* h = buf.data() + slot * inner;
          const T* srow = src + row_off;
          for (int64_t i = 0; i < inner; ++i)
            h[i] = static_cast<Acc>(hw[2 * i]) * static_cast<Acc>(srow[hoff[2 * i]]) +
                   static_cast<Acc>(hw[2 * i + 1]) * static_cast<Acc>(srow[hoff[2 * i + 1]]);
          key[slot] = row_off;
          return h;
        };
        for (int64_t r = b; r < e; ++r) {
          const int64_t plane = r / out_h, yo = r % out_h;
          const int64_t o0 = plane * in_plane + vert.offset[static_cast<size_t>(2 * yo)];
          const int64_t o1 = plane * in_plane + vert.offset[static_cast<size_t>(2 * yo + 1)];
          const Acc* h0 = hrow(o0, o1);
          const Acc* h1 = hrow(o1, o0);
          const Acc w0 = vert.weight[static_cast<size_t>(2 * yo)];
          const Acc w1 = vert.weight[static_cast<size_t>(2 * yo + 1)];
          T* drow = dst + r * inner;
          for (int64_t i = 0; i < inner; ++i) drow[i] = static_cast<T>(w0 * h0[i] + w1 * h1[i]);
        }
      });
      return Status::Ok();
    }
    ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
      // (input offset, weight) of each combination of taps over the outer axes.
      std::vector<std::pair<int64_t, Acc>> combos, next;
      for (int64_t r = b; r < e; ++r) {
        T* drow = dst + r * inner;
        combos.assign(1, {0, Acc(1)});
        int64_t rem = r;
        bool outside = false;
        for (size_t d = nd - 1; d-- > 0;) {
          const int64_t o = rem % rp.out[d];
          rem /= rp.out[d];
          const AxisTaps& a = ax[d];
          if (!a.active) {
            for (auto& c : combos) c.first += o * xs[d];
            continue;
          }
          if (a.outside[static_cast<size_t>(o)]) outside = true;
          next.clear();
          const size_t at = static_cast<size_t>(o * a.taps);
          for (const auto& c : combos)
            for (int k = 0; k < a.taps; ++k)
              next.push_back({c.first + a.offset[at + static_cast<size_t>(k)],
                              c.second * static_cast<Acc>(a.weight[at + static_cast<size_t>(k)])});
          combos.swap(next);
        }
        if (outside) {
          std::fill_n(drow, inner, extra);
          continue;
        }
        if (!last.active) {
          for (int64_t i = 0; i < inner; ++i) {
            Acc acc = 0;
            for (const auto& c : combos) acc += c.second * static_cast<Acc>(src[c.first + i]);
            drow[i] = static_cast<T>(acc);
          }
          continue;
        }
        const int taps = last.taps;
        if (!extrapolate && taps == 2 && combos.size() <= 2) {
          // Linear along the last axis, at most one other axis interpolated (bilinear NCHW).
          const T* s0 = src + combos[0].first;
          const T* s1 = src + combos[combos.size() - 1].first;
          const Acc w0 = combos[0].second;
          const Acc w1 = combos.size() == 2 ? combos[1].second : Acc(0);
          const int64_t* off = last.offset.data();
          const float* wt = last.weight.data();
          for (int64_t i = 0; i < inner; ++i) {
            const int64_t o0 = off[2 * i], o1 = off[2 * i + 1];
            const Acc a = wt[2 * i], c = wt[2 * i + 1];
            const Acc top = a * static_cast<Acc>(s0[o0]) + c * static_cast<Acc>(s0[o1]);
            const Acc bottom = a * static_cast<Acc>(s1[o0]) + c * static_cast<Acc>(s1[o1]);
            drow[i] = static_cast<T>(w0 * top + w1 * bottom);
          }
          continue;
        }
        for (int64_t i = 0; i < inner; ++i) {
          if (extrapolate && last.outside[static_cast<size_t>(i)]) {
            drow[i] = extra;
            continue;
          }
          const size_t at = static_cast<size_t>(i * taps);
          Acc acc = 0;
          for (const auto& c : combos) {
            const T* s = src + c.first;
            Acc part = 0;
            for (int k = 0; k < taps; ++k)
              part += static_cast<Acc>(last.weight[at + static_cast<size_t>(k)]) *
                      static_cast<Acc>(s[last.offset[at + static_cast<size_t>(k)]]);
            acc += c.second * part;
          }
          drow[i] = static_cast<T>(acc);
        }
      }
    });
    return Status::Ok();
  }

  bool upsample_;
  int opset_ = 13;
  Mode mode_ = Mode::kNearest;
  Coord coord_ = Coord::kHalfPixel;
  Nearest nearest_ = Nearest::kRoundPreferFloor;
  float cubic_a_ = -0.75f;
  bool exclude_outside_ = false;
  float extrapolation_ = 0.0f;
  AspectPolicy policy_ = AspectPolicy::kStretch;
  std::vector<int64_t> axes_;
  std::vector<float> attr_scales_;
  int roi_idx_ = -1;
  int scales_idx_ = -1;
  int sizes_idx_ = -1;
};

}  // namespace

void register_resize_ops(OpRegistry& r) {
  r.add("Resize", 10, [] { return std::make_unique<ResizeOp>(false); });
  r.add("Upsample", 7, [] { return std::make_unique<ResizeOp>(true); });
}

}  // namespace top::ops

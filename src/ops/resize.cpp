// Resize (opsets 10-19) and Upsample (opsets 7-9).
//
// The output shape comes from the `scales` or `sizes` input, which must be constant at
// plan time (ops/resize_plan.h resolves attributes and geometry, shared with the GPU
// backend). Each resized axis gets a table mapping output coordinates to input taps
// (1 for nearest, 2 for linear, 4 for cubic) with their weights, from the per-element
// sampling the GPU kernels use too (ops::resize_axis_taps, ops/coord_math.h).
//
// Nearest copies bytes and so works for every dtype; linear and cubic interpolate
// float32/float64 over any number of axes (n-linear, n-cubic).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ops/families.h"
#include "ops/grid_sample.h"
#include "ops/op.h"
#include "ops/op_util.h"
#include "ops/resize_plan.h"

namespace top::ops {
namespace {

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
    TOP_ASSIGN_OR_RETURN(attrs_, parse_resize_attrs(attrs, opset, upsample_));
    return Status::Ok();
  }

  const std::string& name() const { return attrs_.name; }

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
    if (extrapolates()) {
      TOP_ASSIGN_OR_RETURN(roi, plan_input(ctx, attrs_.roi_idx, "roi", p));
    }
    TOP_ASSIGN_OR_RETURN(const Tensor* scales, plan_input(ctx, attrs_.scales_idx, "scales", p));
    TOP_ASSIGN_OR_RETURN(const Tensor* sizes, plan_input(ctx, attrs_.sizes_idx, "sizes", p));
    TOP_ASSIGN_OR_RETURN(ResizePlan rp, plan_resize(attrs_, ctx.input_shape(0), roi, scales, sizes, p));
    const DataType t = ctx.input_dtype(0);
    if (attrs_.sampling.mode != ResizeMode::kNearest && t != DataType::kFloat32 && t != DataType::kFloat64)
      return Unsupported(p + "linear and cubic modes support float32 and float64, got " + dtype_name(t));
    ctx.set_output(0, t, rp.out);
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    const ResizeMode mode = attrs_.sampling.mode;
    const int taps = mode == ResizeMode::kNearest ? 0 : (mode == ResizeMode::kLinear ? 4 : 16);
    c.flops *= 2.0 * taps;
    return c;
  }

  Status compute(const KernelContext& ctx) const override {
    const std::string p = name() + ": ";
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    const Tensor* roi = extrapolates() ? run_input(ctx, attrs_.roi_idx) : nullptr;
    TOP_ASSIGN_OR_RETURN(ResizePlan rp, plan_resize(attrs_, x.shape(), roi, run_input(ctx, attrs_.scales_idx),
                                                    run_input(ctx, attrs_.sizes_idx), p));
    if (rp.out != y.shape() || y.dtype() != x.dtype())
      return InvalidArgument(p + "output " + shape_str(y.shape()) + " does not match the planned " +
                             shape_str(rp.out));
    if (y.numel() == 0) return Status::Ok();
    if (rp.out == x.shape()) {  // nothing to resize (ONNX Runtime copies here too)
      std::memcpy(y.raw_data(), x.raw_data(), x.nbytes());
      return Status::Ok();
    }
    if (attrs_.sampling.mode == ResizeMode::kNearest) return nearest(ctx, x, y, rp);
    switch (x.dtype()) {
      case DataType::kFloat32: return interpolate<float>(ctx, x, y, rp);
      case DataType::kFloat64: return interpolate<double>(ctx, x, y, rp);
      default: return Unsupported(p + "linear and cubic modes support float32 and float64, got " +
                                  dtype_name(x.dtype()));
    }
  }

 private:
  bool extrapolates() const { return attrs_.sampling.coord == ResizeCoord::kTfCropAndResize; }

  Status nearest(const KernelContext& ctx, const Tensor& x, Tensor& y, const ResizePlan& rp) const {
    const Shape& in = x.shape();
    const size_t nd = in.size();
    const size_t esize = dtype_size(x.dtype());
    // Per axis: input offset per output coordinate, or -1 for the extrapolation value.
    std::vector<std::vector<int64_t>> map(nd);
    std::vector<bool> identity(nd, false);
    const std::vector<ResizeAxis> axes = rp.axes(in);
    for (size_t d = 0; d < nd; ++d) {
      map[d].resize(static_cast<size_t>(rp.out[d]));
      identity[d] = rp.scales[d] == 1.0f;
      for (int64_t o = 0; o < rp.out[d]; ++o) {
        int64_t off[4];  // sized for any mode: the compiler cannot see that nearest gives 1 tap
        float w[4];
        bool outside;
        resize_axis_taps(attrs_.sampling, axes[d], o, off, w, &outside);
        map[d][static_cast<size_t>(o)] = outside ? -1 : off[0];
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

  void store_extrapolation(DataType t, uint8_t* out) const { put_scalar(t, attrs_.extrapolation, out); }

  AxisTaps axis_taps(const ResizeAxis& axis) const {
    AxisTaps t;
    t.active = !(axis.scale == 1.0f && axis.in == axis.out);
    if (!t.active) return t;
    t.taps = attrs_.sampling.mode == ResizeMode::kLinear ? 2 : 4;
    t.offset.resize(static_cast<size_t>(axis.out * t.taps));
    t.weight.resize(static_cast<size_t>(axis.out * t.taps));
    t.outside.assign(static_cast<size_t>(axis.out), 0);
    for (int64_t o = 0; o < axis.out; ++o) {
      const size_t at = static_cast<size_t>(o * t.taps);
      bool outside;
      resize_axis_taps(attrs_.sampling, axis, o, &t.offset[at], &t.weight[at], &outside);
      t.outside[static_cast<size_t>(o)] = outside ? 1 : 0;
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
    const std::vector<ResizeAxis> axes = rp.axes(in);
    std::vector<AxisTaps> ax(nd);
    for (size_t d = 0; d < nd; ++d) ax[d] = axis_taps(axes[d]);
    const T extra = static_cast<T>(attrs_.extrapolation);
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
  ResizeAttrs attrs_;
};

// GridSample-16: every output element samples its (n, c) plane of X at the grid's
// point (ops/grid_sample_math.h, shared with the CUDA kernel). float32 and float64.
class GridSampleOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    TOP_ASSIGN_OR_RETURN(attrs_, parse_grid_sample(attrs, "GridSample: "));
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("GridSample", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "GridSample"));
    const DataType dt = ctx.input_dtype(0);
    if ((dt != DataType::kFloat32 && dt != DataType::kFloat64) || ctx.input_dtype(1) != dt)
      return Unsupported(p + "X and grid must both be float32 or both float64");
    TOP_ASSIGN_OR_RETURN(Shape out, grid_sample_shape(ctx.input_shape(0), ctx.input_shape(1), p));
    ctx.set_output(0, dt, out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& grid = ctx.input(1);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(Shape out, grid_sample_shape(x.shape(), grid.shape(), "GridSample: "));
    if (out != y.shape() || y.dtype() != x.dtype() || grid.dtype() != x.dtype())
      return InvalidArgument("GridSample: output mismatch");
    const int64_t c = x.dim(1), h = x.dim(2), w = x.dim(3), points = out[2] * out[3];
    auto run = [&](auto tag) {
      using T = decltype(tag);
      const T* src = x.data<T>();
      const T* g = grid.data<T>();
      T* dst = y.data<T>();
      ctx.parallel_for(x.dim(0) * c, 1, [&](int64_t b, int64_t e) {
        for (int64_t nc = b; nc < e; ++nc) {
          const int64_t n = nc / c;
          for (int64_t i = 0; i < points; ++i) {
            const T* pt = g + (n * points + i) * 2;
            dst[nc * points + i] = static_cast<T>(grid_sample_at(src + nc * h * w, h, w, pt[0], pt[1], attrs_.mode,
                                                                 attrs_.padding, attrs_.align_corners));
          }
        }
      });
    };
    if (x.dtype() == DataType::kFloat32) run(float{});
    else run(double{});
    return Status::Ok();
  }

 private:
  GridSampleAttrs attrs_;
};

}  // namespace

void register_resize_ops(OpRegistry& r) {
  r.add("Resize", 10, [] { return std::make_unique<ResizeOp>(false); });
  r.add("Upsample", 7, [] { return std::make_unique<ResizeOp>(true); });
  r.add("GridSample", 16, [] { return std::make_unique<GridSampleOp>(); });
}

}  // namespace top::ops

// RoiAlign-10/16 on the CPU: each region of interest pooled to output_height x
// output_width bins of bilinear samples (avg, or max as ONNX Runtime: the largest
// weighted corner), Detectron's sampling grid. No GPU kernel yet (CPU-only list in
// tests/unit/cuda_registry_test.cpp).
#include <algorithm>
#include <cmath>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class RoiAlignOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    const std::string p = "RoiAlign: ";
    const std::string mode = attrs.get_string("mode", "avg");
    if (mode != "avg" && mode != "max") return InvalidArgument(p + "mode must be avg or max");
    max_ = mode == "max";
    const std::string ctm = attrs.get_string("coordinate_transformation_mode", opset >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm != "half_pixel" && ctm != "output_half_pixel")
      return InvalidArgument(p + "coordinate_transformation_mode must be half_pixel or output_half_pixel");
    half_pixel_ = ctm == "half_pixel";
    oh_ = attrs.get_int("output_height", 1);
    ow_ = attrs.get_int("output_width", 1);
    sampling_ = attrs.get_int("sampling_ratio", 0);
    scale_ = attrs.get_float("spatial_scale", 1.0f);
    if (oh_ < 1 || ow_ < 1 || oh_ > (1 << 16) || ow_ > (1 << 16) || sampling_ < 0 || sampling_ > (1 << 10))
      return InvalidArgument(p + "output_height/width must be in [1, 2^16], sampling_ratio in [0, 1024]");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("RoiAlign", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, "RoiAlign"));
    const Shape& x = ctx.input_shape(0);
    const Shape& rois = ctx.input_shape(1);
    if (ctx.input_dtype(0) != DataType::kFloat32 || ctx.input_dtype(1) != DataType::kFloat32)
      return Unsupported(p + "X and rois must be float32");
    if (x.size() != 4 || rois.size() != 2 || rois[1] != 4 || ctx.input_shape(2) != Shape{rois[0]} ||
        !is_index_dtype(ctx.input_dtype(2)))
      return InvalidArgument(p + "X must be [N, C, H, W], rois [R, 4] and batch_indices [R] (int64)");
    ctx.set_output(0, DataType::kFloat32, {rois[0], x[1], oh_, ow_});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor& rois = ctx.input(1);
    const Tensor& idx = ctx.input(2);
    Tensor& y = ctx.output(0);
    const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), r = rois.dim(0);
    if (y.shape() != Shape{r, c, oh_, ow_}) return InvalidArgument("RoiAlign: bad output");
    for (int64_t i = 0; i < r; ++i)
      if (idx.item_as_int(i) < 0 || idx.item_as_int(i) >= n)
        return InvalidArgument("RoiAlign: batch_indices[" + std::to_string(i) + "] is outside [0, " +
                               std::to_string(n) + ")");
    // Every box checked before anything is written: finite coordinates (a NaN or an
    // infinite size would reach integer conversions) and sampling grids of bounded size.
    for (int64_t i = 0; i < r; ++i)
      for (int k = 0; k < 4; ++k) {
        const float v = rois.data<float>()[i * 4 + k] * scale_;
        if (!std::isfinite(v) || std::fabs(v) > float(1 << 24))
          return InvalidArgument("RoiAlign: rois[" + std::to_string(i) + "] has a coordinate that is not finite or "
                                 "beyond 2^24 after spatial_scale");
      }
    const float* xs = x.data<float>();
    float* out = y.data<float>();
    const double offset = half_pixel_ ? 0.5 : 0.0;
    ctx.parallel_for(r * c, 1, [&](int64_t b, int64_t e) {
      for (int64_t rc = b; rc < e; ++rc) {
        const int64_t roi = rc / c, ch = rc % c;
        const float* box = rois.data<float>() + roi * 4;
        const double x1 = box[0] * scale_ - offset, y1 = box[1] * scale_ - offset;
        double rw = box[2] * scale_ - offset - x1, rh = box[3] * scale_ - offset - y1;
        if (!half_pixel_) {
          rw = std::max(rw, 1.0);
          rh = std::max(rh, 1.0);
        }
        const double bh = rh / static_cast<double>(oh_), bw = rw / static_cast<double>(ow_);
        const int64_t gh = sampling_ > 0 ? sampling_ : static_cast<int64_t>(std::ceil(rh / static_cast<double>(oh_)));
        const int64_t gw = sampling_ > 0 ? sampling_ : static_cast<int64_t>(std::ceil(rw / static_cast<double>(ow_)));
        const double count = static_cast<double>(std::max<int64_t>(gh * gw, 1));
        const float* plane = xs + (idx.item_as_int(roi) * c + ch) * h * w;
        for (int64_t ph = 0; ph < oh_; ++ph)
          for (int64_t pw = 0; pw < ow_; ++pw) {
            double acc = 0;
            bool first = true;
            for (int64_t iy = 0; iy < gh; ++iy) {
              double yy = y1 + ph * bh + (iy + 0.5) * bh / static_cast<double>(gh);
              for (int64_t ix = 0; ix < gw; ++ix) {
                double xx = x1 + pw * bw + (ix + 0.5) * bw / static_cast<double>(gw);
                double v = 0;
                if (h > 0 && w > 0 && !(yy < -1.0 || yy > h || xx < -1.0 || xx > w)) {  // empty maps sample 0
                  double sy = std::max(yy, 0.0), sx = std::max(xx, 0.0);
                  int64_t y0 = static_cast<int64_t>(sy), x0 = static_cast<int64_t>(sx), yh, xh;
                  if (y0 >= h - 1) {
                    y0 = yh = h - 1;
                    sy = static_cast<double>(y0);
                  } else {
                    yh = y0 + 1;
                  }
                  if (x0 >= w - 1) {
                    x0 = xh = w - 1;
                    sx = static_cast<double>(x0);
                  } else {
                    xh = x0 + 1;
                  }
                  const double ly = sy - y0, lx = sx - x0, hy = 1 - ly, hx = 1 - lx;
                  const double v1 = hy * hx * plane[y0 * w + x0], v2 = hy * lx * plane[y0 * w + xh],
                               v3 = ly * hx * plane[yh * w + x0], v4 = ly * lx * plane[yh * w + xh];
                  v = max_ ? std::max(std::max(v1, v2), std::max(v3, v4)) : v1 + v2 + v3 + v4;
                }
                if (max_) {
                  acc = first ? v : std::max(acc, v);
                  first = false;
                } else {
                  acc += v;
                }
              }
            }
            out[(rc * oh_ + ph) * ow_ + pw] = static_cast<float>(max_ ? acc : acc / count);
          }
      }
    });
    return Status::Ok();
  }

 private:
  bool max_ = false, half_pixel_ = true;
  int64_t oh_ = 1, ow_ = 1, sampling_ = 0;
  float scale_ = 1.0f;
};

}  // namespace

void register_roi_align_ops(OpRegistry& r) {
  r.add("RoiAlign", 10, [] { return std::make_unique<RoiAlignOp>(); });
}

}  // namespace top::ops

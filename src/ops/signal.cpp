// Signal processing on the CPU (opset 17): the windows HannWindow, HammingWindow and
// BlackmanWindow (also on CUDA), and DFT, STFT and MelWeightMatrix (CPU only; listed in
// tests/unit/cuda_registry_test.cpp). Inputs that decide output shapes (a window's size,
// STFT's frame step and length, DFT's dft_length, the mel matrix's sizes) are read when
// planning (a graph input is planned by value, docs/guide.md). Transforms are direct
// O(n^2) sums in double, not FFTs.
#include <cmath>

#include "ops/families.h"
#include "ops/op_util.h"
#include "ops/window.h"

namespace top::ops {
namespace {

class WindowOp final : public Op {
 public:
  explicit WindowOp(WindowKind kind, const char* name) : kind_(kind), name_(name) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(dtype_, window_dtype(attrs, std::string(name_) + ": "));
    periodic_ = attrs.get_int("periodic", 1) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix(name_, ctx);
    TOP_ASSIGN_OR_RETURN(std::vector<int64_t> size, constant_ints(ctx, 0, name_, "size"));
    if (size.size() != 1 || size[0] < 0 || size[0] > (int64_t{1} << 40))
      return InvalidArgument(p + "size must be one value in [0, 2^40]");
    ctx.set_output(0, dtype_, {size[0]});
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    Tensor& y = ctx.output(0);
    const int64_t n = y.numel();
    if (y.dtype() == DataType::kFloat32) {
      float* out = y.data<float>();
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<float>(window_value(kind_, i, n, periodic_));
    } else {
      double* out = y.data<double>();
      for (int64_t i = 0; i < n; ++i) out[i] = window_value(kind_, i, n, periodic_);
    }
    return Status::Ok();
  }

 private:
  WindowKind kind_;
  const char* name_;
  DataType dtype_ = DataType::kFloat32;
  bool periodic_ = true;
};

constexpr double kPi = 3.14159265358979323846;

// One complex DFT of n input samples (real when `im` is null; n_in of them present, the
// rest zero) into `bins` outputs: X[k] = sum_t x[t] e^(-+2 pi i k t / n).
void dft_line(const float* re, const float* im, int64_t stride, int64_t n_in, int64_t n, int64_t bins, bool inverse,
              float* out, int64_t out_stride) {
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < bins; ++k) {
    double sr = 0, si = 0;
    for (int64_t t = 0; t < n_in && t < n; ++t) {
      const double a = sign * 2.0 * kPi * static_cast<double>((k * t) % n) / static_cast<double>(n);
      const double xr = re[t * stride], xi = im ? im[t * stride] : 0.0;
      sr += xr * std::cos(a) - xi * std::sin(a);
      si += xr * std::sin(a) + xi * std::cos(a);
    }
    if (inverse) {
      sr /= static_cast<double>(n);
      si /= static_cast<double>(n);
    }
    out[k * out_stride] = static_cast<float>(sr);
    out[k * out_stride + 1] = static_cast<float>(si);
  }
}

// DFT-17: x [batch, d1, ..., 1 or 2] (real or complex), along `axis` (a signal dim).
class DftOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    axis_ = attrs.get_int("axis", 1);
    inverse_ = attrs.get_int("inverse", 0) != 0;
    onesided_ = attrs.get_int("onesided", 0) != 0;
    if (inverse_ && onesided_) return Unsupported("DFT: inverse with onesided");
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("DFT", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "DFT"));
    if (ctx.input_dtype(0) != DataType::kFloat32) return Unsupported(p + "only float32 is supported");
    TOP_ASSIGN_OR_RETURN(Geometry g, geometry(ctx.input_shape(0), ctx.has_input(1) ? ctx.constant_input(1) : nullptr,
                                              ctx.has_input(1), p));
    ctx.set_output(0, DataType::kFloat32, g.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    TOP_ASSIGN_OR_RETURN(Geometry g, geometry(x.shape(), ctx.has_input(1) ? &ctx.input(1) : nullptr, ctx.has_input(1),
                                              "DFT: "));
    Tensor& y = ctx.output(0);
    if (y.shape() != g.out) return InvalidArgument("DFT: output does not match the plan");
    const float* src = x.data<float>();
    float* dst = y.data<float>();
    const int64_t comps = x.shape().back();
    for (int64_t o = 0; o < g.outer; ++o)
      for (int64_t i = 0; i < g.inner; ++i) {
        const float* line = src + (o * g.n_in * g.inner + i) * comps;
        dft_line(line, comps == 2 ? line + 1 : nullptr, g.inner * comps, g.n_in, g.n, g.bins, inverse_,
                 dst + (o * g.bins * g.inner + i) * 2, g.inner * 2);
      }
    return Status::Ok();
  }

 private:
  struct Geometry {
    int64_t outer = 1, inner = 1, n_in = 0, n = 0, bins = 0;
    Shape out;
  };
  Result<Geometry> geometry(const Shape& x, const Tensor* length, bool has_length, const std::string& p) const {
    if (x.size() < 3 || (x.back() != 1 && x.back() != 2))
      return InvalidArgument(p + "input must be [batch, signal dims..., 1 or 2]");
    const int64_t signal_rank = static_cast<int64_t>(x.size()) - 1;
    TOP_ASSIGN_OR_RETURN(int64_t a, norm_axis(axis_, signal_rank, p + "axis: "));
    if (a == 0) return InvalidArgument(p + "axis must be a signal dim, not the batch");
    Geometry g;
    g.n_in = x[static_cast<size_t>(a)];
    g.n = g.n_in;
    if (has_length) {
      if (length == nullptr) return InvalidArgument(p + "dft_length must be known when planning");
      if (length->numel() != 1 || length->item_as_int(0) < 1) return InvalidArgument(p + "dft_length must be >= 1");
      g.n = length->item_as_int(0);
    }
    if (g.n > (int64_t{1} << 24)) return InvalidArgument(p + "dft_length over 2^24");
    g.bins = onesided_ ? g.n / 2 + 1 : g.n;
    for (int64_t d = 0; d < a; ++d) g.outer *= x[static_cast<size_t>(d)];
    for (int64_t d = a + 1; d < signal_rank; ++d) g.inner *= x[static_cast<size_t>(d)];
    g.out = x;
    g.out[static_cast<size_t>(a)] = g.bins;
    g.out.back() = 2;
    return g;
  }
  int64_t axis_ = 1;
  bool inverse_ = false, onesided_ = false;
};

// STFT-17: signal [batch, length, 1 or 2], frame_step, window [frame_length]?,
// frame_length? -> [batch, frames, bins, 2].
class StftOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    onesided_ = attrs.get_int("onesided", 1) != 0;
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("STFT", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 2, "STFT"));
    if (ctx.input_dtype(0) != DataType::kFloat32) return Unsupported(p + "only float32 is supported");
    const Tensor* step = ctx.constant_input(1);
    const Tensor* length = ctx.has_input(3) ? ctx.constant_input(3) : nullptr;
    if (step == nullptr || (ctx.has_input(3) && length == nullptr))
      return InvalidArgument(p + "frame_step and frame_length must be known when planning");
    const Shape window = ctx.has_input(2) ? ctx.input_shape(2) : Shape{};
    TOP_ASSIGN_OR_RETURN(Geometry g, geometry(ctx.input_shape(0), *step, length, ctx.has_input(2) ? &window : nullptr, p));
    ctx.set_output(0, DataType::kFloat32, g.out);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const Tensor* window = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    const Shape wshape = window ? window->shape() : Shape{};
    TOP_ASSIGN_OR_RETURN(Geometry g, geometry(x.shape(), ctx.input(1), ctx.has_input(3) ? &ctx.input(3) : nullptr,
                                              window ? &wshape : nullptr, "STFT: "));
    Tensor& y = ctx.output(0);
    if (y.shape() != g.out) return InvalidArgument("STFT: output does not match the plan");
    const int64_t comps = x.shape().back(), length = x.dim(1);
    std::vector<float> re(static_cast<size_t>(g.frame)), im(static_cast<size_t>(g.frame));
    for (int64_t b = 0; b < g.batch; ++b)
      for (int64_t f = 0; f < g.frames; ++f) {
        for (int64_t t = 0; t < g.frame; ++t) {
          const float* v = x.data<float>() + (b * length + f * g.step + t) * comps;
          const float w = window ? window->data<float>()[t] : 1.0f;
          re[static_cast<size_t>(t)] = v[0] * w;
          im[static_cast<size_t>(t)] = comps == 2 ? v[1] * w : 0.0f;
        }
        dft_line(re.data(), comps == 2 ? im.data() : nullptr, 1, g.frame, g.frame, g.bins, false,
                 y.data<float>() + (b * g.frames + f) * g.bins * 2, 2);
      }
    return Status::Ok();
  }

 private:
  struct Geometry {
    int64_t batch = 0, frames = 0, frame = 0, step = 0, bins = 0;
    Shape out;
  };
  Result<Geometry> geometry(const Shape& x, const Tensor& step, const Tensor* length, const Shape* window,
                            const std::string& p) const {
    if (x.size() != 3 || (x[2] != 1 && x[2] != 2)) return InvalidArgument(p + "signal must be [batch, length, 1 or 2]");
    Geometry g;
    g.batch = x[0];
    if (step.numel() != 1 || step.item_as_int(0) < 1) return InvalidArgument(p + "frame_step must be >= 1");
    g.step = step.item_as_int(0);
    if (length != nullptr) {
      if (length->numel() != 1 || length->item_as_int(0) < 1) return InvalidArgument(p + "frame_length must be >= 1");
      g.frame = length->item_as_int(0);
    } else if (window != nullptr && window->size() == 1) {
      g.frame = (*window)[0];
    } else {
      return InvalidArgument(p + "needs frame_length or a 1-D window");
    }
    if (window != nullptr && (window->size() != 1 || (*window)[0] != g.frame))
      return InvalidArgument(p + "window must be [frame_length]");
    if (g.frame > x[1] || g.frame > (int64_t{1} << 20))
      return InvalidArgument(p + "frame_length " + std::to_string(g.frame) + " exceeds the signal");
    g.frames = (x[1] - g.frame) / g.step + 1;
    g.bins = onesided_ ? g.frame / 2 + 1 : g.frame;
    g.out = {g.batch, g.frames, g.bins, 2};
    return g;
  }
  bool onesided_ = true;
};

// MelWeightMatrix-17: [dft_length / 2 + 1, num_mel_bins] triangular filters on the mel
// scale, as ONNX's reference computes them (integer bin edges). Every input is a
// scalar known when planning, so the planner folds it.
class MelWeightMatrixOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(dtype_, window_dtype(attrs, "MelWeightMatrix: "));
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("MelWeightMatrix", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 5, "MelWeightMatrix"));
    for (size_t i = 0; i < 5; ++i)
      if (ctx.constant_input(i) == nullptr || ctx.constant_input(i)->numel() != 1)
        return InvalidArgument(p + "every input must be a scalar known when planning");
    TOP_ASSIGN_OR_RETURN(Tensor m, matrix({ctx.constant_input(0), ctx.constant_input(1), ctx.constant_input(2),
                                           ctx.constant_input(3), ctx.constant_input(4)},
                                          p));
    ctx.set_output(0, dtype_, m.shape());
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    TOP_ASSIGN_OR_RETURN(Tensor m, matrix({&ctx.input(0), &ctx.input(1), &ctx.input(2), &ctx.input(3), &ctx.input(4)},
                                          "MelWeightMatrix: "));
    Tensor& y = ctx.output(0);
    if (y.shape() != m.shape()) return InvalidArgument("MelWeightMatrix: inputs differ from the plan");
    for (int64_t i = 0; i < m.numel(); ++i) {
      if (dtype_ == DataType::kFloat32) y.data<float>()[i] = static_cast<float>(m.data<double>()[i]);
      else y.data<double>()[i] = m.data<double>()[i];
    }
    return Status::Ok();
  }

 private:
  static Result<Tensor> matrix(const std::vector<const Tensor*>& in, const std::string& p) {
    const int64_t mels = in[0]->item_as_int(0), dft = in[1]->item_as_int(0), rate = in[2]->item_as_int(0);
    const double lo = in[3]->item_as_double(0), hi = in[4]->item_as_double(0);
    if (mels < 1 || dft < 1 || rate < 1 || mels > (1 << 16) || dft > (1 << 24) || !(lo >= 0) || !(hi > lo))
      return InvalidArgument(p + "needs num_mel_bins, dft_length, sample_rate >= 1 and 0 <= lower < upper edge");
    const int64_t bins = dft / 2 + 1;
    auto to_mel = [](double f) { return 2595.0 * std::log10(1.0 + f / 700.0); };
    const double lo_mel = to_mel(lo), step = (to_mel(hi) - lo_mel) / static_cast<double>(mels + 2);
    std::vector<int64_t> edge(static_cast<size_t>(mels + 2));
    for (int64_t i = 0; i < mels + 2; ++i) {
      const double hz = 700.0 * (std::pow(10.0, (static_cast<double>(i) * step + lo_mel) / 2595.0) - 1.0);
      edge[static_cast<size_t>(i)] = static_cast<int64_t>(std::floor(static_cast<double>(dft + 1) * hz / static_cast<double>(rate)));
    }
    TOP_ASSIGN_OR_RETURN(Tensor m, Tensor::allocate(DataType::kFloat64, {bins, mels}));
    double* w = m.data<double>();
    std::fill(w, w + m.numel(), 0.0);
    auto set = [&](int64_t j, int64_t i, double v) {
      if (j >= 0 && j < bins) w[j * mels + i] = v;
    };
    for (int64_t i = 0; i < mels; ++i) {
      const int64_t left = edge[static_cast<size_t>(i)], center = edge[static_cast<size_t>(i + 1)],
                    right = edge[static_cast<size_t>(i + 2)];
      if (center == left) {
        set(center, i, 1.0);
      } else {
        for (int64_t j = left; j <= center; ++j) set(j, i, static_cast<double>(j - left) / static_cast<double>(center - left));
      }
      for (int64_t j = center; j < right; ++j) set(j, i, static_cast<double>(right - j) / static_cast<double>(right - center));
    }
    return m;
  }
  DataType dtype_ = DataType::kFloat32;
};

}  // namespace

void register_signal_ops(OpRegistry& r) {
  r.add("HannWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kHann, "HannWindow"); });
  r.add("HammingWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kHamming, "HammingWindow"); });
  r.add("BlackmanWindow", 17, [] { return std::make_unique<WindowOp>(WindowKind::kBlackman, "BlackmanWindow"); });
  r.add("DFT", 17, [] { return std::make_unique<DftOp>(); });
  r.add("STFT", 17, [] { return std::make_unique<StftOp>(); });
  r.add("MelWeightMatrix", 17, [] { return std::make_unique<MelWeightMatrixOp>(); });
}

}  // namespace top::ops

// BatchNormalization (inference) and LayerNormalization (float32).
//
// BatchNormalization folds scale, bias, mean and variance into one multiply-add per
// channel; LayerNormalization normalises each row of the trailing `axis..` dims in two
// passes (mean, then variance of the centred values, for accuracy).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "ops/broadcast.h"
#include "ops/blocked_layout.h"
#include "ops/families.h"
#include "ops/op.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

class BatchNormOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    epsilon_ = attrs.get_float("epsilon", 1e-5f);
    momentum_ = attrs.get_float("momentum", 0.9f);
    // training_mode (opset 14+): normalise with the batch's own statistics and output
    // the updated running mean and variance.
    training_ = opset >= 14 && attrs.get_int("training_mode", 0) != 0;
    if (opset < 9 && attrs.get_int("spatial", 1) == 0)  // removed in opset 9
      return Unsupported("BatchNormalization: spatial=0 is not supported");
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    for (size_t i = 0; i < 5; ++i) {
      if (!ctx.has_input(i))
        return InvalidArgument("BatchNormalization: needs 5 inputs (X, scale, B, input_mean, input_var), input " +
                               std::to_string(i) + " is missing");
      if (ctx.input_dtype(i) != DataType::kFloat32)
        return Unsupported("BatchNormalization: input " + std::to_string(i) + " has dtype " +
                           dtype_name(ctx.input_dtype(i)) + "; only float32 is supported");
    }
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 2) return InvalidArgument("BatchNormalization: X " + shape_str(x) + " must have rank >= 2");
    for (size_t i = 1; i < 5; ++i) {
      const Shape& s = ctx.input_shape(i);
      if (s.size() != 1 || (x[1] >= 0 && s[0] >= 0 && s[0] != x[1]))
        return InvalidArgument("BatchNormalization: input " + std::to_string(i) + " has shape " + shape_str(s) +
                               ", expected [" + std::to_string(x[1]) + "] (the channels of X " + shape_str(x) + ")");
    }
    ctx.set_output(0, DataType::kFloat32, x);
    // Opset < 14 declares optional training outputs (mean, var, saved mean/var); a node
    // may list them with empty names. Their shapes are set here, and compute() refuses
    // to run only if one is really wired to a value.
    for (size_t i = 1; i < std::min<size_t>(ctx.num_outputs(), 5); ++i)
      ctx.set_output(i, DataType::kFloat32, {x[1]});
    return Status::Ok();
  }

  // Inference: X and Y in either layout.
  BlockedLayouts blocked_layouts(const InferContext& ctx) const override {
    BlockedLayouts b;
    if (!training_ && ctx.num_outputs() == 1) b.inputs = b.outputs = 1;
    return b;
  }

  Status compute(const KernelContext& ctx) const override {
    for (size_t i = 1; i < ctx.num_outputs(); ++i)
      if (ctx.has_output(i) && !training_)
        return Unsupported("BatchNormalization: output " + std::to_string(i) +
                           " (running/saved statistics) exists only in training mode");
    const Tensor& xt = ctx.input(0);
    Tensor& yt = ctx.output(0);
    if (xt.rank() < 2 || yt.numel() != xt.numel())
      return InvalidArgument("BatchNormalization: X " + shape_str(xt.shape()) + " and Y " + shape_str(yt.shape()) +
                             " do not match");
    const int64_t n = xt.dim(0), c = xt.dim(1);
    for (size_t i = 1; i < 5; ++i)
      if (ctx.input(i).numel() != c || ctx.input(i).dtype() != DataType::kFloat32)
        return InvalidArgument("BatchNormalization: input " + std::to_string(i) + " " + shape_str(ctx.input(i).shape()) +
                               " must be float32 [" + std::to_string(c) + "]");
    const int64_t plane = n * c == 0 ? 0 : xt.numel() / (n * c);
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.input(2).data<float>();
    const float* mean = ctx.input(3).data<float>();
    const float* var = ctx.input(4).data<float>();
    const float* x = xt.data<float>();
    std::vector<float> batch_mean, batch_var;
    if (training_) {  // per-channel statistics of this batch (population variance), in double
      batch_mean.assign(static_cast<size_t>(c), 0.0f);
      batch_var.assign(static_cast<size_t>(c), 0.0f);
      const double count = static_cast<double>(std::max<int64_t>(1, n * plane));
      for (int64_t ch = 0; ch < c; ++ch) {
        double sum = 0, sq = 0;
        for (int64_t b0 = 0; b0 < n; ++b0)
          for (int64_t j = 0; j < plane; ++j) sum += x[(b0 * c + ch) * plane + j];
        const double m = sum / count;
        for (int64_t b0 = 0; b0 < n; ++b0)
          for (int64_t j = 0; j < plane; ++j) sq += (x[(b0 * c + ch) * plane + j] - m) * (x[(b0 * c + ch) * plane + j] - m);
        batch_mean[static_cast<size_t>(ch)] = static_cast<float>(m);
        batch_var[static_cast<size_t>(ch)] = static_cast<float>(sq / count);
      }
      for (size_t o = 1; o < 3 && o < ctx.num_outputs(); ++o) {
        if (!ctx.has_output(o)) continue;
        const float* running = o == 1 ? mean : var;
        const std::vector<float>& current = o == 1 ? batch_mean : batch_var;
        float* out = ctx.output(o).data<float>();
        for (int64_t ch = 0; ch < c; ++ch)
          out[ch] = running[ch] * momentum_ + current[static_cast<size_t>(ch)] * (1.0f - momentum_);
      }
      mean = batch_mean.data();
      var = batch_var.data();
    }
    std::vector<float> a(static_cast<size_t>(c)), b(static_cast<size_t>(c));
    for (int64_t i = 0; i < c; ++i) {
      a[i] = scale[i] / std::sqrt(var[i] + epsilon_);
      b[i] = bias[i] - mean[i] * a[i];
    }
    float* y = yt.data<float>();
    const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(plane, 1));
    bool mixed = false;
    if (const int block = mixed_layout_block(ctx, 1, 1, &mixed); mixed)
      return run_all_blocked(*this, ctx, block, 1, 1);  // the plan's X and Y layouts differ
    if (const int block = ctx.input_block(0); block != 0) {
      // Channel-blocked X and Y (ops/blocked_layout.h): B channels per pixel.
      if (c % block != 0) return Internal("BatchNormalization: channels are not a multiple of the block");
      const BlockedPlanes bp = blocked_planes(xt.shape(), block);
      ctx.parallel_for(bp.planes(), std::max<int64_t>(1, grain / block), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          const float* ai = a.data() + bp.channel(i, 0);
          const float* bi = b.data() + bp.channel(i, 0);
          const float* xp = x + i * bp.spatial * block;
          float* yp = y + i * bp.spatial * block;
          for (int64_t j = 0; j < bp.spatial; ++j)
            for (int l = 0; l < block; ++l) yp[j * block + l] = xp[j * block + l] * ai[l] + bi[l];
        }
      });
      return Status::Ok();
    }
    ctx.parallel_for(n * c, grain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float ai = a[i % c], bi = b[i % c];
        const float* xp = x + i * plane;
        float* yp = y + i * plane;
        for (int64_t j = 0; j < plane; ++j) yp[j] = xp[j] * ai + bi;
      }
    });
    return Status::Ok();
  }

 private:
  bool training_ = false;
  float momentum_ = 0.9f;
  float epsilon_ = 1e-5f;
};

class LayerNormOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    axis_ = attrs.get_int("axis", -1);
    epsilon_ = attrs.get_float("epsilon", 1e-5f);
    const int64_t stash = attrs.get_int("stash_type", 1);
    if (stash != 1) return Unsupported("LayerNormalization: stash_type " + std::to_string(stash) + " (only 1, float32)");
    return Status::Ok();
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("LayerNormalization: needs inputs X and Scale");
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
        return Unsupported("LayerNormalization: input " + std::to_string(i) + " has dtype " +
                           dtype_name(ctx.input_dtype(i)) + "; only float32 is supported");
    const Shape& x = ctx.input_shape(0);
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, static_cast<int64_t>(x.size()), "LayerNormalization"));
    const Shape norm(x.begin() + axis, x.end());
    for (size_t i = 1; i < 3; ++i) {
      if (!ctx.has_input(i)) continue;
      TOP_RETURN_IF_ERROR(check_param(ctx.input_shape(i), norm, i == 1 ? "Scale" : "B"));
    }
    ctx.set_output(0, DataType::kFloat32, x);
    Shape stat(x.begin(), x.begin() + axis);
    stat.resize(x.size(), 1);
    for (size_t i = 1; i < std::min<size_t>(ctx.num_outputs(), 3); ++i) ctx.set_output(i, DataType::kFloat32, stat);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& xt = ctx.input(0);
    TOP_ASSIGN_OR_RETURN(int64_t axis, normalize_axis(axis_, xt.rank(), "LayerNormalization"));
    const Shape norm(xt.shape().begin() + axis, xt.shape().end());
    const int64_t cols = shape_numel(norm);
    const int64_t rows = cols == 0 ? 0 : xt.numel() / cols;
    Tensor& yt = ctx.output(0);
    if (yt.numel() != xt.numel())
      return InvalidArgument("LayerNormalization: Y " + shape_str(yt.shape()) + " does not match X " + shape_str(xt.shape()));
    // Scale and B as full rows (they may broadcast to the normalised shape).
    std::vector<float> params[2];
    const float* p[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; ++i) {
      if (!ctx.has_input(static_cast<size_t>(i + 1))) continue;
      const Tensor& t = ctx.input(static_cast<size_t>(i + 1));
      if (t.dtype() != DataType::kFloat32) return Unsupported("LayerNormalization: Scale/B must be float32");
      TOP_RETURN_IF_ERROR(check_param(t.shape(), norm, i == 0 ? "Scale" : "B"));
      if (t.numel() == cols) {  // broadcastable with every element: only leading 1s differ
        p[i] = t.data<float>();
        continue;
      }
      const std::vector<int64_t> st = broadcast_strides(t.shape(), norm);
      params[i].resize(static_cast<size_t>(cols));
      std::vector<int64_t> index(norm.size(), 0);
      for (int64_t j = 0; j < cols; ++j) {
        int64_t off = 0;
        for (size_t d = 0; d < norm.size(); ++d) off += index[d] * st[d];
        params[i][static_cast<size_t>(j)] = t.data<float>()[off];
        for (int64_t d = static_cast<int64_t>(norm.size()) - 1; d >= 0; --d) {
          if (++index[d] < norm[d]) break;
          index[d] = 0;
        }
      }
      p[i] = params[i].data();
    }
    float* mean_out = ctx.has_output(1) ? ctx.output(1).data<float>() : nullptr;
    float* inv_out = ctx.has_output(2) ? ctx.output(2).data<float>() : nullptr;
    if ((mean_out && ctx.output(1).numel() != rows) || (inv_out && ctx.output(2).numel() != rows))
      return InvalidArgument("LayerNormalization: Mean/InvStdDev buffers must hold " + std::to_string(rows) + " values");
    const float* x = xt.data<float>();
    float* y = yt.data<float>();
    const float* scale = p[0];
    const float* bias = p[1];
    const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(cols, 1));
    ctx.parallel_for(rows, grain, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* xr = x + r * cols;
        float* yr = y + r * cols;
        double sum = 0;
        for (int64_t j = 0; j < cols; ++j) sum += xr[j];
        const float mean = static_cast<float>(sum / static_cast<double>(cols));
        float sq = 0;
        for (int64_t j = 0; j < cols; ++j) {
          const float d = xr[j] - mean;
          sq += d * d;
        }
        const float inv = 1.0f / std::sqrt(sq / static_cast<float>(cols) + epsilon_);
        if (bias) {
          for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - mean) * inv * scale[j] + bias[j];
        } else {
          for (int64_t j = 0; j < cols; ++j) yr[j] = (xr[j] - mean) * inv * scale[j];
        }
        if (mean_out) mean_out[r] = mean;
        if (inv_out) inv_out[r] = inv;
      }
    });
    return Status::Ok();
  }

 private:
  static Status check_param(const Shape& s, const Shape& norm, const char* what) {
    // Unidirectional broadcast onto the normalised shape.
    if (s.size() > norm.size())
      return InvalidArgument(std::string("LayerNormalization: ") + what + " " + shape_str(s) +
                             " does not broadcast to the normalised shape " + shape_str(norm));
    for (size_t i = 0; i < s.size(); ++i) {
      const int64_t a = s[s.size() - 1 - i], b = norm[norm.size() - 1 - i];
      if (a >= 0 && b >= 0 && a != b && a != 1)
        return InvalidArgument(std::string("LayerNormalization: ") + what + " " + shape_str(s) +
                               " does not broadcast to the normalised shape " + shape_str(norm));
    }
    return Status::Ok();
  }

  int64_t axis_ = -1;
  float epsilon_ = 1e-5f;
};

// InstanceNormalization-1/6: each (n, c) plane of X [N, C, D...] normalised by its own
// mean and variance (two passes, in double), then scale[c] and B[c]. float32.
class InstanceNormOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    epsilon_ = attrs.get_float("epsilon", 1e-5f);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 3, "InstanceNormalization"));
    const std::string p = node_prefix("InstanceNormalization", ctx);
    for (size_t i = 0; i < 3; ++i)
      if (ctx.input_dtype(i) != DataType::kFloat32)
        return Unsupported(p + "input " + std::to_string(i) + " has dtype " + dtype_name(ctx.input_dtype(i)) +
                           "; only float32 is supported");
    const Shape& x = ctx.input_shape(0);
    if (x.size() < 3) return InvalidArgument(p + "input must have rank >= 3, got " + shape_str(x));
    for (size_t i = 1; i < 3; ++i)
      if (ctx.input_shape(i) != Shape{x[1]})
        return InvalidArgument(p + (i == 1 ? "scale " : "B ") + shape_str(ctx.input_shape(i)) + " must be [" +
                               std::to_string(x[1]) + "]");
    ctx.set_output(0, DataType::kFloat32, x);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (x.rank() < 3 || y.shape() != x.shape() || ctx.input(1).numel() != x.dim(1) || ctx.input(2).numel() != x.dim(1))
      return InvalidArgument("InstanceNormalization: bad inputs");
    const int64_t c = x.dim(1), rows = x.dim(0) * c, plane = rows == 0 ? 0 : x.numel() / rows;
    const float* src = x.data<float>();
    const float* scale = ctx.input(1).data<float>();
    const float* bias = ctx.input(2).data<float>();
    float* dst = y.data<float>();
    const double eps = epsilon_;
    ctx.parallel_for(rows, 1, [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r) {
        const float* xr = src + r * plane;
        double sum = 0, sq = 0;
        for (int64_t j = 0; j < plane; ++j) sum += xr[j];
        const double mean = plane ? sum / static_cast<double>(plane) : 0.0;
        for (int64_t j = 0; j < plane; ++j) sq += (xr[j] - mean) * (xr[j] - mean);
        const double inv = 1.0 / std::sqrt((plane ? sq / static_cast<double>(plane) : 0.0) + eps);
        const float a = static_cast<float>(scale[r % c] * inv);
        const float bb = static_cast<float>(bias[r % c] - mean * scale[r % c] * inv);
        for (int64_t j = 0; j < plane; ++j) dst[r * plane + j] = xr[j] * a + bb;
      }
    });
    return Status::Ok();
  }

 private:
  float epsilon_ = 1e-5f;
};

// LRN-1/13: each element divided by (bias + alpha / size * the sum of squares over a
// window of `size` channels around it)^beta; the window runs from c - floor((size-1)/2)
// to c + ceil((size-1)/2), clipped to the channels. float32, X of rank >= 3.
class LrnOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    if (!attrs.has("size")) return InvalidArgument("LRN: attribute 'size' is required");
    size_ = attrs.get_int("size", 0);
    if (size_ < 1 || size_ > (int64_t{1} << 20)) return InvalidArgument("LRN: size must be in [1, 2^20]");
    alpha_ = attrs.get_float("alpha", 1e-4f);
    beta_ = attrs.get_float("beta", 0.75f);
    bias_ = attrs.get_float("bias", 1.0f);
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "LRN"));
    const std::string p = node_prefix("LRN", ctx);
    if (ctx.input_dtype(0) != DataType::kFloat32) return Unsupported(p + "only float32 is supported");
    if (ctx.input_shape(0).size() < 3) return InvalidArgument(p + "X must be [N, C, D...]");
    ctx.set_output(0, DataType::kFloat32, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    if (x.rank() < 3 || y.shape() != x.shape()) return InvalidArgument("LRN: bad inputs");
    const int64_t c = x.dim(1), plane = x.numel() == 0 ? 0 : x.numel() / (x.dim(0) * c);
    const int64_t before = (size_ - 1) / 2, after = size_ - 1 - before;
    const float* src = x.data<float>();
    float* dst = y.data<float>();
    const double scale = static_cast<double>(alpha_) / static_cast<double>(size_);
    ctx.parallel_for(x.dim(0) * c, 1, [&](int64_t b, int64_t e) {
      for (int64_t nc = b; nc < e; ++nc) {
        const int64_t n = nc / c, ch = nc % c;
        const int64_t lo = std::max<int64_t>(0, ch - before), hi = std::min<int64_t>(c - 1, ch + after);
        for (int64_t i = 0; i < plane; ++i) {
          double sq = 0;
          for (int64_t k = lo; k <= hi; ++k) {
            const double v = src[(n * c + k) * plane + i];
            sq += v * v;
          }
          dst[nc * plane + i] = static_cast<float>(src[nc * plane + i] / std::pow(bias_ + scale * sq, beta_));
        }
      }
    });
    return Status::Ok();
  }

 private:
  int64_t size_ = 0;
  float alpha_ = 1e-4f, beta_ = 0.75f, bias_ = 1.0f;
};

// MeanVarianceNormalization-13 (and -9): (X - mean) / (sqrt(E[X^2] - mean^2) + 1e-9), the
// statistics taken over `axes` (default 0, 2, 3) — ONNX's function body, in double.
// float32. No GPU kernel yet (CPU-only list in tests/unit/cuda_registry_test.cpp).
class MeanVarianceNormOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    axes_ = attrs.get_ints("axes", {0, 2, 3});
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("MeanVarianceNormalization", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "MeanVarianceNormalization"));
    if (ctx.input_dtype(0) != DataType::kFloat32) return Unsupported(p + "only float32 is supported");
    TOP_RETURN_IF_ERROR(reduced_dims(ctx.input_shape(0), p).status());
    ctx.set_output(0, DataType::kFloat32, ctx.input_shape(0));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    Tensor& y = ctx.output(0);
    TOP_ASSIGN_OR_RETURN(std::vector<bool> reduced, reduced_dims(x.shape(), "MeanVarianceNormalization: "));
    if (y.shape() != x.shape()) return InvalidArgument("MeanVarianceNormalization: bad output");
    // Each element's group: its index with the reduced dims set to 0.
    const Shape& s = x.shape();
    const int64_t n = x.numel();
    std::vector<int64_t> group(static_cast<size_t>(n));
    int64_t groups = 1, group_size = 1;
    for (size_t d = 0; d < s.size(); ++d) (reduced[d] ? group_size : groups) *= s[d];
    for (int64_t i = 0; i < n; ++i) {
      int64_t rest = i, g = 0, mul = 1;
      for (size_t d = s.size(); d-- > 0;) {
        const int64_t c = rest % s[d];
        rest /= s[d];
        if (!reduced[d]) {
          g += c * mul;
          mul *= s[d];
        }
      }
      group[static_cast<size_t>(i)] = g;
    }
    std::vector<double> sum(static_cast<size_t>(groups), 0.0), sq(static_cast<size_t>(groups), 0.0);
    const float* src = x.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      sum[static_cast<size_t>(group[static_cast<size_t>(i)])] += src[i];
      sq[static_cast<size_t>(group[static_cast<size_t>(i)])] += static_cast<double>(src[i]) * src[i];
    }
    float* dst = y.data<float>();
    const double count = static_cast<double>(std::max<int64_t>(1, group_size));
    for (int64_t i = 0; i < n; ++i) {
      const size_t g = static_cast<size_t>(group[static_cast<size_t>(i)]);
      const double mean = sum[g] / count;
      const double var = std::max(0.0, sq[g] / count - mean * mean);
      dst[i] = static_cast<float>((src[i] - mean) / (std::sqrt(var) + 1e-9));
    }
    return Status::Ok();
  }

 private:
  Result<std::vector<bool>> reduced_dims(const Shape& x, const std::string& p) const {
    std::vector<bool> reduced(x.size(), false);
    for (int64_t a : axes_) {
      TOP_ASSIGN_OR_RETURN(int64_t n, norm_axis(a, static_cast<int64_t>(x.size()), p + "axes: "));
      reduced[static_cast<size_t>(n)] = true;
    }
    return reduced;
  }
  std::vector<int64_t> axes_;
};

}  // namespace

void register_norm_ops(OpRegistry& r) {
  r.add("LRN", 1, [] { return std::make_unique<LrnOp>(); });
  r.add("BatchNormalization", 1, [] { return std::make_unique<BatchNormOp>(); });
  r.add("InstanceNormalization", 1, [] { return std::make_unique<InstanceNormOp>(); });
  r.add("MeanVarianceNormalization", 9, [] { return std::make_unique<MeanVarianceNormOp>(); });
  r.add("LayerNormalization", 17, [] { return std::make_unique<LayerNormOp>(); });
}

}  // namespace top::ops

// BatchNormalization and LayerNormalization against naive references.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {
namespace {

// ---- small harness (each op test file keeps its own copy) --------------------------

ir::Attribute a_int(int64_t v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInt;
  a.i = v;
  return a;
}
[[maybe_unused]] ir::Attribute a_ints(std::vector<int64_t> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}
[[maybe_unused]] ir::Attribute a_str(std::string v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kString;
  a.s = std::move(v);
  return a;
}

Tensor random_tensor(Shape shape, uint32_t seed) {
  Tensor t = Tensor::zeros(DataType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    float v = dist(rng);
    p[i] = std::fabs(v) < 1e-3f ? 0.5f : v;
  }
  return t;
}

struct OpRun {
  Status status;
  std::vector<Tensor> outputs;
};

// Creates, infers and computes one node. Undefined tensors are absent optional inputs.
OpRun run_op(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
             int threads = 2, size_t num_outputs = 1, int opset = 17) {
  OpRun r;
  ir::Node node;
  node.name = "n0";
  node.op_type = type;
  node.opset = opset;
  node.attrs = attrs;
  Result<std::unique_ptr<Op>> op = OpRegistry::builtin().create(node);
  if (!op.ok()) {
    r.status = op.status();
    return r;
  }
  std::vector<ValueInfo> infos;
  for (const Tensor& t : inputs) infos.push_back(t.defined() ? ValueInfo{t.dtype(), t.shape(), nullptr} : ValueInfo{});
  InferContext ictx("n0", infos, num_outputs);
  r.status = (*op)->infer(ictx);
  if (!r.status.ok()) return r;
  std::vector<Tensor*> outs;
  r.outputs.resize(num_outputs);
  for (size_t i = 0; i < num_outputs; ++i) {
    r.outputs[i] = Tensor::zeros(ictx.output(i).dtype, ictx.output(i).shape);
    if (r.outputs[i].dtype() == DataType::kFloat32) {  // garbage the kernel must overwrite
      float* p = r.outputs[i].data<float>();
      std::fill(p, p + r.outputs[i].numel(), std::numeric_limits<float>::quiet_NaN());
    }
  }
  for (auto& t : r.outputs) outs.push_back(&t);
  std::vector<const Tensor*> ins;
  for (const Tensor& t : inputs) ins.push_back(t.defined() ? &t : nullptr);
  ThreadPool pool(threads);
  KernelContext kctx(ins, outs, &pool);
  r.status = (*op)->compute(kctx);
  return r;
}

double rel_error(const Tensor& out, const std::vector<float>& ref) {
  double max_ref = 0, max_diff = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(ref[i])));
    const double d = std::fabs(static_cast<double>(out.data<float>()[i]) - ref[i]);
    max_diff = std::isnan(d) ? std::numeric_limits<double>::infinity() : std::max(max_diff, d);
  }
  return max_ref > 0 ? max_diff / max_ref : max_diff;
}

ir::Attribute a_float(float v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kFloat;
  a.f = v;
  return a;
}

TEST(OpsNorm, BatchNormalization) {
  for (const Shape& s : {Shape{2, 3, 5, 4}, Shape{4, 6}, Shape{1, 5, 7}, Shape{2, 2, 2, 3, 2}}) {
    const int64_t c = s[1];
    Tensor x = random_tensor(s, 1), scale = random_tensor({c}, 2), bias = random_tensor({c}, 3),
           mean = random_tensor({c}, 4), var = random_tensor({c}, 5);
    for (int64_t i = 0; i < c; ++i) var.data<float>()[i] = std::fabs(var.data<float>()[i]) + 0.1f;
    ir::Attributes attrs;
    attrs.set("epsilon", a_float(1e-3f));
    const int64_t plane = x.numel() / (s[0] * c);
    std::vector<float> ref(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t ch = (i / plane) % c;
      ref[i] = static_cast<float>((x.data<float>()[i] - mean.data<float>()[ch]) /
                                      std::sqrt(static_cast<double>(var.data<float>()[ch]) + 1e-3) *
                                      scale.data<float>()[ch] +
                                  bias.data<float>()[ch]);
    }
    for (int opset : {9, 15}) {
      for (int threads : {1, 2}) {
        OpRun r = run_op("BatchNormalization", attrs, {x, scale, bias, mean, var}, threads, 1, opset);
        ASSERT_TRUE(r.status.ok()) << r.status.to_string();
        EXPECT_EQ(r.outputs[0].shape(), s);
        EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5) << shape_str(s);
      }
    }
  }
}

TEST(OpsNorm, BatchNormalizationErrors) {
  Tensor x = random_tensor({1, 3, 2, 2}, 1), p3 = random_tensor({3}, 2), p4 = random_tensor({4}, 3);
  ir::Attributes attrs;
  EXPECT_EQ(run_op("BatchNormalization", attrs, {x, p3, p3, p4, p3}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("BatchNormalization", attrs, {x, p3, p3, p3}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("BatchNormalization", attrs, {random_tensor({3}, 1), p3, p3, p3, p3}).status.code(),
            StatusCode::kInvalidArgument);
  ir::Attributes training;
  training.set("training_mode", a_int(1));
  EXPECT_EQ(run_op("BatchNormalization", training, {x, p3, p3, p3, p3}, 2, 1, 15).status.code(),
            StatusCode::kUnsupported);
  // Training outputs wired to values: refused at compute time.
  EXPECT_EQ(run_op("BatchNormalization", attrs, {x, p3, p3, p3, p3}, 2, 3, 9).status.code(), StatusCode::kUnsupported);
}

std::vector<float> layer_norm_ref(const Tensor& x, int64_t axis, const std::vector<float>& scale,
                                  const std::vector<float>* bias, float eps, std::vector<float>* mean_out,
                                  std::vector<float>* inv_out) {
  int64_t cols = 1;
  for (int64_t d = axis; d < x.rank(); ++d) cols *= x.dim(static_cast<int>(d));
  const int64_t rows = x.numel() / cols;
  std::vector<float> y(static_cast<size_t>(x.numel()));
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t j = 0; j < cols; ++j) mean += x.data<float>()[r * cols + j];
    mean /= cols;
    for (int64_t j = 0; j < cols; ++j) {
      const double d = x.data<float>()[r * cols + j] - mean;
      var += d * d;
    }
    var /= cols;
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int64_t j = 0; j < cols; ++j)
      y[r * cols + j] = static_cast<float>((x.data<float>()[r * cols + j] - mean) * inv * scale[j] + (bias ? (*bias)[j] : 0.0f));
    if (mean_out) mean_out->push_back(static_cast<float>(mean));
    if (inv_out) inv_out->push_back(static_cast<float>(inv));
  }
  return y;
}

TEST(OpsNorm, LayerNormalization) {
  struct Case {
    Shape x;
    int64_t axis;
    Shape scale;  // may broadcast onto x.shape[axis:]
    bool bias;
  };
  for (const Case& c : {Case{{2, 3, 8}, -1, {8}, true}, Case{{2, 3, 8}, 1, {3, 8}, false}, Case{{4, 16}, 0, {4, 16}, true},
                        Case{{2, 5, 6}, -2, {1, 6}, true}, Case{{3, 7}, -1, {7}, true}}) {
    Tensor x = random_tensor(c.x, 1), scale = random_tensor(c.scale, 2), bias = random_tensor(c.scale, 3);
    const int64_t axis = c.axis < 0 ? c.axis + static_cast<int64_t>(c.x.size()) : c.axis;
    int64_t cols = 1;
    for (size_t d = static_cast<size_t>(axis); d < c.x.size(); ++d) cols *= c.x[d];
    std::vector<float> s_full(cols), b_full(cols);
    for (int64_t j = 0; j < cols; ++j) {  // expand the broadcast parameter
      const int64_t jj = j % scale.numel();
      s_full[j] = scale.data<float>()[jj];
      b_full[j] = bias.data<float>()[jj];
    }
    ir::Attributes attrs;
    attrs.set("axis", a_int(c.axis));
    attrs.set("epsilon", a_float(1e-4f));
    std::vector<float> mean, inv;
    const std::vector<float> ref = layer_norm_ref(x, axis, s_full, c.bias ? &b_full : nullptr, 1e-4f, &mean, &inv);
    for (int threads : {1, 2}) {
      OpRun r = run_op("LayerNormalization", attrs, c.bias ? std::vector<Tensor>{x, scale, bias} : std::vector<Tensor>{x, scale},
                       threads, 3, 17);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      EXPECT_EQ(r.outputs[0].shape(), c.x);
      EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5);
      Shape stat(c.x.begin(), c.x.begin() + axis);
      stat.resize(c.x.size(), 1);
      EXPECT_EQ(r.outputs[1].shape(), stat);
      EXPECT_LE(rel_error(r.outputs[1], mean), 1e-5);
      EXPECT_LE(rel_error(r.outputs[2], inv), 1e-5);
    }
  }
}

TEST(OpsNorm, LayerNormalizationErrors) {
  Tensor x = random_tensor({2, 3, 4}, 1);
  ir::Attributes attrs;
  EXPECT_EQ(run_op("LayerNormalization", attrs, {x, random_tensor({3}, 2)}, 2, 1, 17).status.code(),
            StatusCode::kInvalidArgument);
  ir::Attributes bad_axis;
  bad_axis.set("axis", a_int(3));
  EXPECT_EQ(run_op("LayerNormalization", bad_axis, {x, random_tensor({4}, 2)}, 2, 1, 17).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("LayerNormalization", attrs, {x}, 2, 1, 17).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("LayerNormalization", attrs, {Tensor::zeros(DataType::kFloat64, {2, 4}), random_tensor({4}, 2)}, 2, 1, 17)
                .status.code(),
            StatusCode::kUnsupported);
  // Not an operator before opset 17.
  EXPECT_EQ(run_op("LayerNormalization", attrs, {x, random_tensor({4}, 2)}, 2, 1, 16).status.code(),
            StatusCode::kUnsupported);
}

}  // namespace
}  // namespace top::ops

// BatchNormalization and LayerNormalization against naive references.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {
namespace {

using namespace top::testing;

TEST(OpsNorm, BatchNormalization) {
  for (const Shape& s : {Shape{2, 3, 5, 4}, Shape{4, 6}, Shape{1, 5, 7}, Shape{2, 2, 2, 3, 2}}) {
    const int64_t c = s[1];
    Tensor x = random_unit(s, 1), scale = random_unit({c}, 2), bias = random_unit({c}, 3),
           mean = random_unit({c}, 4), var = random_unit({c}, 5);
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
        OpRun r = run_kernel("BatchNormalization", attrs, {x, scale, bias, mean, var}, threads, 1, opset);
        ASSERT_TRUE(r.status.ok()) << r.status.to_string();
        EXPECT_EQ(r.outputs[0].shape(), s);
        EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5) << shape_str(s);
      }
    }
  }
}

TEST(OpsNorm, BatchNormalizationErrors) {
  Tensor x = random_unit({1, 3, 2, 2}, 1), p3 = random_unit({3}, 2), p4 = random_unit({4}, 3);
  ir::Attributes attrs;
  EXPECT_EQ(run_kernel("BatchNormalization", attrs, {x, p3, p3, p4, p3}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("BatchNormalization", attrs, {x, p3, p3, p3}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("BatchNormalization", attrs, {random_unit({3}, 1), p3, p3, p3, p3}).status.code(),
            StatusCode::kInvalidArgument);
  ir::Attributes training;
  training.set("training_mode", a_int(1));
  // Training mode (opset 14+) normalises with the batch's statistics: each channel of Y
  // then has the mean B.
  OpRun trained = run_kernel("BatchNormalization", training, {x, p3, p3, p3, p3}, 2, 1, 15);
  ASSERT_TRUE(trained.status.ok()) << trained.status.to_string();
  for (int ch = 0; ch < 3; ++ch) {
    double mean = 0;
    for (int j = 0; j < 4; ++j) mean += trained.out().data<float>()[ch * 4 + j];
    EXPECT_NEAR(mean / 4, p3.data<float>()[ch], 1e-5);
  }
  // Training outputs wired to values: refused at compute time.
  EXPECT_EQ(run_kernel("BatchNormalization", attrs, {x, p3, p3, p3, p3}, 2, 3, 9).status.code(), StatusCode::kUnsupported);
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
    Tensor x = random_unit(c.x, 1), scale = random_unit(c.scale, 2), bias = random_unit(c.scale, 3);
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
      OpRun r = run_kernel("LayerNormalization", attrs, c.bias ? std::vector<Tensor>{x, scale, bias} : std::vector<Tensor>{x, scale},
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
  Tensor x = random_unit({2, 3, 4}, 1);
  ir::Attributes attrs;
  EXPECT_EQ(run_kernel("LayerNormalization", attrs, {x, random_unit({3}, 2)}, 2, 1, 17).status.code(),
            StatusCode::kInvalidArgument);
  ir::Attributes bad_axis;
  bad_axis.set("axis", a_int(3));
  EXPECT_EQ(run_kernel("LayerNormalization", bad_axis, {x, random_unit({4}, 2)}, 2, 1, 17).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("LayerNormalization", attrs, {x}, 2, 1, 17).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("LayerNormalization", attrs, {Tensor::zeros(DataType::kFloat64, {2, 4}), random_unit({4}, 2)}, 2, 1, 17)
                .status.code(),
            StatusCode::kUnsupported);
  // Not an operator before opset 17.
  EXPECT_EQ(run_kernel("LayerNormalization", attrs, {x, random_unit({4}, 2)}, 2, 1, 16).status.code(),
            StatusCode::kUnsupported);
}

TEST(OpsNorm, LrnEvenSizeWindowLeansForward) {
  // size 2: the window of channel c is [c, c + 1] (floor((2-1)/2) = 0 before, 1 after),
  // clipped at the last channel; ONNX Runtime refuses even sizes, so this is by hand.
  Tensor x = Tensor::from_vector<float>({1, 4, 1, 1}, {1, 2, 3, 4});
  OpRun r = run_op("LRN", attrs_of({{"size", a_int(2)}, {"alpha", a_float(1)}, {"beta", a_float(1)}}), {x});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const float want[] = {1 / (1 + 0.5f * 5), 2 / (1 + 0.5f * 13), 3 / (1 + 0.5f * 25), 4 / (1 + 0.5f * 16)};
  for (int c = 0; c < 4; ++c) EXPECT_NEAR(r.out().data<float>()[c], want[c], 1e-6) << c;
  EXPECT_FALSE(run_op("LRN", {}, {x}).status.ok());  // size is required
}

}  // namespace
}  // namespace top::ops

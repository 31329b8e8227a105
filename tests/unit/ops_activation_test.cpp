// Activations: pointwise formulas against double references (including saturation far
// from zero), Clip across opsets and dtypes, PRelu broadcasting, Softmax/LogSoftmax/
// Hardmax with the opset-13 axis change, and bad inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
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

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }
double softplus(double v) { return v > 0 ? v + std::log1p(std::exp(-v)) : std::log1p(std::exp(v)); }

TEST(Activation, PointwiseFormulas) {
  Tensor x = random_tensor<float>({3, 5, 777}, 1, -6, 6);
  struct A {
    const char* name;
    ir::Attributes attrs;
    std::function<double(double)> f;
    int opset;
  };
  std::vector<A> as = {
      {"Relu", {}, [](double v) { return std::max(v, 0.0); }, 13},
      {"LeakyRelu", {}, [](double v) { return v < 0 ? 0.01 * v : v; }, 13},
      {"LeakyRelu", attrs_of({{"alpha", a_float(0.2f)}}), [](double v) { return v < 0 ? 0.2 * v : v; }, 13},
      {"ThresholdedRelu", attrs_of({{"alpha", a_float(0.7f)}}), [](double v) { return v > 0.7f ? v : 0; }, 13},
      {"Elu", attrs_of({{"alpha", a_float(0.5f)}}), [](double v) { return v < 0 ? 0.5 * (std::exp(v) - 1) : v; }, 13},
      {"Celu", attrs_of({{"alpha", a_float(2.0f)}}),
       [](double v) { return std::max(0.0, v) + std::min(0.0, 2.0 * (std::exp(v / 2.0) - 1)); }, 13},
      {"Selu", {}, [](double v) { return v > 0 ? 1.0507009873554805 * v : 1.0507009873554805 * 1.6732632423543772 * (std::exp(v) - 1); }, 13},
      {"Sigmoid", {}, sigmoid, 13},
      {"HardSigmoid", {}, [](double v) { return std::clamp(0.2 * v + 0.5, 0.0, 1.0); }, 13},
      {"HardSigmoid", attrs_of({{"alpha", a_float(0.3f)}, {"beta", a_float(0.4f)}}),
       [](double v) { return std::clamp(double(0.3f) * v + double(0.4f), 0.0, 1.0); }, 13},
      {"HardSwish", {}, [](double v) { return v * std::clamp(v / 6 + 0.5, 0.0, 1.0); }, 14},
      {"Tanh", {}, [](double v) { return std::tanh(v); }, 13},
      {"Softplus", {}, softplus, 13},
      {"Softsign", {}, [](double v) { return v / (1 + std::fabs(v)); }, 13},
      {"Mish", {}, [](double v) { return v * std::tanh(softplus(v)); }, 18},
  };
  for (const A& a : as) {
    for (int threads : {1, 4}) {
      OpRun r = run_op(a.name, a.attrs, {x}, a.opset, threads);
      ASSERT_TRUE(r.status.ok()) << a.name << ": " << r.status.to_string();
      ASSERT_EQ(r.out().shape(), x.shape());
      EXPECT_LE(rel_err<float>(r.out(), ref_map(x, a.f)), 1e-6) << a.name;
    }
  }
}

TEST(Activation, SaturationNeverNaN) {
  std::vector<float> v = {-1e30f, -1000.0f, -104.0f, -88.8f, -87.0f, -20.0f, -1e-6f, 0.0f,
                          1e-6f,  20.0f,    87.0f,   88.8f,  104.0f, 1000.0f, 1e30f};
  Tensor x = Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  for (const char* name : {"Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "HardSigmoid", "HardSwish", "Mish"}) {
    OpRun r = run_op(name, {}, {x}, 18);
    ASSERT_TRUE(r.status.ok()) << name;
    for (size_t i = 0; i < v.size(); ++i) {
      float o = r.out().data<float>()[i];
      EXPECT_FALSE(std::isnan(o)) << name << "(" << v[i] << ")";
    }
  }
  OpRun s = run_op("Sigmoid", {}, {x});
  EXPECT_EQ(s.out().data<float>()[0], 0.0f);
  EXPECT_EQ(s.out().data<float>()[1], 0.0f);
  EXPECT_EQ(s.out().data<float>()[v.size() - 1], 1.0f);
  EXPECT_NEAR(s.out().data<float>()[5], sigmoid(-20.0), 1e-12);
  OpRun t = run_op("Tanh", {}, {x});
  EXPECT_EQ(t.out().data<float>()[0], -1.0f);
  EXPECT_EQ(t.out().data<float>()[v.size() - 1], 1.0f);
  EXPECT_EQ(t.out().data<float>()[7], 0.0f);
  // Dense grid: tanh and sigmoid to a few ulp.
  std::vector<float> g;
  for (float q = -12.0f; q <= 12.0f; q += 1.0f / 512) g.push_back(q);
  Tensor gx = Tensor::from_vector<float>({static_cast<int64_t>(g.size())}, g);
  OpRun tg = run_op("Tanh", {}, {gx}), sg = run_op("Sigmoid", {}, {gx});
  for (size_t i = 0; i < g.size(); ++i) {
    ASSERT_NEAR(tg.out().data<float>()[i], std::tanh(double(g[i])), 5e-7) << g[i];
    ASSERT_NEAR(sg.out().data<float>()[i], sigmoid(g[i]), 3e-7) << g[i];
  }
}

TEST(Activation, ReluIntegerAndDouble) {
  Tensor xi = Tensor::from_vector<int64_t>({4}, {-3, 0, 4, -1});
  OpRun r = run_op("Relu", {}, {xi}, 14);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{0, 0, 4, 0}));
  Tensor xd = random_tensor<double>({10}, 3);
  r = run_op("Sigmoid", {}, {xd});
  ASSERT_TRUE(r.status.ok());
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(r.out().data<double>()[i], sigmoid(xd.data<double>()[i]), 1e-14);
  EXPECT_EQ(run_op("Sigmoid", {}, {xi}).status.code(), StatusCode::kUnsupported);
}

TEST(Activation, ClipAcrossOpsets) {
  Tensor x = random_tensor<float>({4, 300}, 5, -3, 3);
  auto clip_ref = [&](double lo, double hi) { return ref_map(x, [=](double v) { return std::min(std::max(v, lo), hi); }); };
  // Opset 6: attributes.
  OpRun r = run_op("Clip", attrs_of({{"min", a_float(-1.0f)}, {"max", a_float(0.5f)}}), {x}, 6);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_LE(rel_err<float>(r.out(), clip_ref(-1.0, 0.5)), 0);
  r = run_op("Clip", attrs_of({{"max", a_float(0.5f)}}), {x}, 6);
  EXPECT_LE(rel_err<float>(r.out(), clip_ref(-1e300, 0.5)), 0);
  // Opset 11+: optional inputs, runtime values allowed.
  r = run_op("Clip", {}, {x, Tensor::scalar<float>(-0.25f), Tensor::scalar<float>(2.0f)}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_LE(rel_err<float>(r.out(), clip_ref(-0.25, 2.0)), 0);
  r = run_op("Clip", {}, {x, Tensor(), Tensor::scalar<float>(0.0f)}, 12, 2, 1, {2});
  ASSERT_TRUE(r.status.ok());
  EXPECT_LE(rel_err<float>(r.out(), clip_ref(-1e300, 0.0)), 0);
  r = run_op("Clip", {}, {x}, 11);  // no bounds: a copy
  EXPECT_LE(rel_err<float>(r.out(), clip_ref(-1e300, 1e300)), 0);
  // min > max: everything becomes max.
  r = run_op("Clip", {}, {x, Tensor::scalar<float>(1.0f), Tensor::scalar<float>(-1.0f)}, 13);
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_EQ(r.out().data<float>()[i], -1.0f);
  // Integers (opset 12+).
  Tensor xi = Tensor::from_vector<int64_t>({5}, {-10, -1, 0, 5, 100});
  r = run_op("Clip", {}, {xi, Tensor::scalar<int64_t>(-2), Tensor::scalar<int64_t>(6)}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{-2, -1, 0, 5, 6}));
  Tensor xu = Tensor::from_vector<uint8_t>({3}, {0, 100, 250});
  r = run_op("Clip", {}, {xu, Tensor::scalar<uint8_t>(10)}, 13);
  EXPECT_EQ(as_doubles<uint8_t>(r.out()), (std::vector<double>{10, 100, 250}));
  // Errors: non-scalar bounds, dtype mismatch.
  EXPECT_EQ(run_op("Clip", {}, {x, Tensor::from_vector<float>({2}, {0, 1})}, 13).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Clip", {}, {x, Tensor::scalar<int64_t>(0)}, 13).status.code(), StatusCode::kInvalidArgument);
}

TEST(Activation, PReluBroadcastsSlope) {
  Tensor x = random_tensor<float>({2, 3, 4, 5}, 7);
  for (Shape ss : {Shape{3, 1, 1}, Shape{5}, Shape{1}, Shape{2, 3, 4, 5}}) {
    Tensor s = random_tensor<float>(ss, 8);
    OpRun r = run_op("PRelu", {}, {x, s});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    auto st = ref_strides(ss, x.shape());
    std::vector<double> ref;
    for (int64_t i = 0; i < x.numel(); ++i) {
      double v = x.data<float>()[i];
      ref.push_back(v < 0 ? v * s.data<float>()[ref_offset(i, x.shape(), st)] : v);
    }
    EXPECT_LE(rel_err<float>(r.out(), ref), 1e-7) << shape_str(ss);
  }
  // The slope may not grow X.
  EXPECT_EQ(run_op("PRelu", {}, {random_tensor<float>({3}, 1), random_tensor<float>({2, 3}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
}

// Softmax over `d` elements spaced `inner` apart, for every (outer, inner) position.
std::vector<double> ref_softmax(const Tensor& x, int64_t outer, int64_t d, int64_t inner, int mode) {
  std::vector<double> r(static_cast<size_t>(x.numel()));
  const float* p = x.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t j = 0; j < inner; ++j) {
      double m = -1e300, s = 0;
      int64_t arg = 0;
      for (int64_t k = 0; k < d; ++k) {
        double v = p[(o * d + k) * inner + j];
        if (v > m) {
          m = v;
          arg = k;
        }
      }
      for (int64_t k = 0; k < d; ++k) s += std::exp(p[(o * d + k) * inner + j] - m);
      for (int64_t k = 0; k < d; ++k) {
        double v = p[(o * d + k) * inner + j];
        r[(o * d + k) * inner + j] = mode == 0 ? std::exp(v - m) / s : mode == 1 ? v - m - std::log(s) : (k == arg ? 1 : 0);
      }
    }
  return r;
}

TEST(Activation, SoftmaxFamilyAxesAndOpsets) {
  Tensor x = random_tensor<float>({2, 3, 4, 5}, 11, -8, 8);
  struct C {
    int opset;
    int64_t axis;  // 99: default
    int64_t outer, d, inner;
  };
  std::vector<C> cs = {
      {11, 99, 2, 60, 1},   // opset < 13: default axis 1, coerced to [2, 60]
      {11, 2, 6, 20, 1},    //   axis 2 -> [6, 20]
      {11, -1, 24, 5, 1},   //   last axis
      {11, 0, 1, 120, 1},   //   axis 0: one row
      {13, 99, 24, 5, 1},   // opset 13: default axis -1
      {13, 1, 2, 3, 20},    //   a middle axis: strided
      {13, 0, 1, 2, 60},    //   axis 0: strided, one block
      {13, -2, 6, 4, 5},
  };
  const char* names[] = {"Softmax", "LogSoftmax", "Hardmax"};
  for (int mode = 0; mode < 3; ++mode) {
    for (const C& c : cs) {
      ir::Attributes a;
      if (c.axis != 99) a.set("axis", a_int(c.axis));
      OpRun r = run_op(names[mode], a, {x}, c.opset, 3);
      ASSERT_TRUE(r.status.ok()) << names[mode] << ": " << r.status.to_string();
      EXPECT_LE(rel_err<float>(r.out(), ref_softmax(x, c.outer, c.d, c.inner, mode)), 1e-6)
          << names[mode] << " opset " << c.opset << " axis " << c.axis;
    }
  }
  // Large rows and many strided columns: several threads, kernels' chunking.
  Tensor big = random_tensor<float>({3, 1000, 700}, 12, -30, 30);
  for (int mode = 0; mode < 2; ++mode) {
    OpRun r = run_op(names[mode], attrs_of({{"axis", a_int(-1)}}), {big}, 13, 4);
    ASSERT_TRUE(r.status.ok());
    EXPECT_LE(rel_err<float>(r.out(), ref_softmax(big, 3000, 700, 1, mode)), 1e-6);
    r = run_op(names[mode], attrs_of({{"axis", a_int(1)}}), {big}, 13, 4);
    ASSERT_TRUE(r.status.ok());
    EXPECT_LE(rel_err<float>(r.out(), ref_softmax(big, 3, 1000, 700, mode)), 1e-6);
  }
  // Extreme values stay finite.
  Tensor ext = Tensor::from_vector<float>({1, 4}, {1e30f, -1e30f, 0.0f, 1e30f});
  OpRun r = run_op("Softmax", {}, {ext}, 13);
  EXPECT_FLOAT_EQ(r.out().data<float>()[0], 0.5f);
  EXPECT_FLOAT_EQ(r.out().data<float>()[1], 0.0f);
  EXPECT_EQ(run_op("Softmax", attrs_of({{"axis", a_int(4)}}), {x}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Softmax", {}, {random_tensor<int64_t>({3}, 1)}, 13).status.code(), StatusCode::kUnsupported);
  Tensor empty = Tensor::zeros(DataType::kFloat32, {0, 4});
  EXPECT_TRUE(run_op("Softmax", {}, {empty}, 13).status.ok());
}

}  // namespace
}  // namespace top::ops

// Resize / Upsample: the ONNX specification's worked examples, a per-element naive
// reference (nearest and n-linear) on random shapes, scales and modes, all dtypes for
// nearest, and bad inputs that must return an error Status.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {
namespace {

using namespace top::testing;

// Resize tests run at opset 13 unless they say otherwise.
OpRun run_resize(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                 int opset = 13, int threads = 2, std::vector<size_t> runtime_only = {}) {
  return run_op(type, attrs, inputs, opset, threads, 1, std::move(runtime_only));
}

void expect_near(const Tensor& y, const std::vector<float>& want, float tol = 1e-5f) {
  ASSERT_EQ(y.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(y.data<float>()[i], want[i], tol) << "at " << i;
}

Tensor iota_image(Shape s) {
  Tensor t = Tensor::zeros(DataType::kFloat32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i + 1);
  return t;
}

// ---- the specification's examples ---------------------------------------------------

TEST(ResizeOps, SpecNearestUpsample) {
  ir::Attributes a;
  a.set("mode", a_str("nearest"));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 2, 2}), Tensor(), f32v({1, 1, 2, 3})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 1, 4, 6}));
  expect_near(r.outputs[0], {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST(ResizeOps, SpecNearestDownsample) {
  ir::Attributes a;
  a.set("mode", a_str("nearest"));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 2, 4}), f32v({}), f32v({1, 1, 0.6f, 0.6f})}, 11);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 1, 1, 2}));
  expect_near(r.outputs[0], {1, 3});
}

TEST(ResizeOps, SpecLinearHalfPixelAndAlignCorners) {
  ir::Attributes a;
  a.set("mode", a_str("linear"));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 2, 2}), Tensor(), f32v({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_near(r.outputs[0], {1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4});

  a.set("coordinate_transformation_mode", a_str("align_corners"));
  r = run_resize("Resize", a, {iota_image({1, 1, 2, 2}), Tensor(), f32v({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.ok());
  expect_near(r.outputs[0], {1, 1.3333333f, 1.6666667f, 2, 1.6666666f, 2, 2.3333333f, 2.6666665f, 2.3333333f,
                             2.6666665f, 3, 3.3333333f, 3, 3.3333333f, 3.6666667f, 4});
}

TEST(ResizeOps, SpecLinearDownsample) {
  ir::Attributes a;
  a.set("mode", a_str("linear"));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 2, 4}), Tensor(), f32v({1, 1, 0.6f, 0.6f})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_near(r.outputs[0], {2.6666665f, 4.3333331f});
}

TEST(ResizeOps, SpecTfCropAndResize) {
  ir::Attributes a;
  a.set("mode", a_str("linear"));
  a.set("coordinate_transformation_mode", a_str("tf_crop_and_resize"));
  OpRun r = run_resize("Resize", a,
                   {iota_image({1, 1, 4, 4}), f32v({0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f}), Tensor(), i64({1, 1, 3, 3})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_near(r.outputs[0], {7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10.0f, 10.3f, 10.6f}, 1e-4f);
  // Extrapolation: roi reaching outside the image.
  a.set("extrapolation_value", a_float(10.0f));
  r = run_resize("Resize", a,
             {iota_image({1, 1, 4, 4}), f32v({0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f}), Tensor(), i64({1, 1, 3, 3})});
  ASSERT_TRUE(r.status.ok());
  expect_near(r.outputs[0], {7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10}, 1e-4f);
}

TEST(ResizeOps, SpecCubic) {
  ir::Attributes a;
  a.set("mode", a_str("cubic"));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 4, 4}), Tensor(), f32v({1, 1, 2, 2})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.outputs[0].shape(), (Shape{1, 1, 8, 8}));
  const std::vector<float> row0 = {0.47265625f, 0.76953125f, 1.24609375f, 1.875f,
                                   2.28125f,    2.91015625f, 3.38671875f, 3.68359375f};
  for (size_t i = 0; i < row0.size(); ++i) EXPECT_NEAR(r.outputs[0].data<float>()[i], row0[i], 1e-5f) << i;
}

// ---- naive per-element reference ----------------------------------------------------------

struct Cfg {
  std::string mode, coord, nearest;
};

float ref_coord(const std::string& c, float x, float scale, float out_len, float in_len) {
  if (c == "asymmetric") return x / scale;
  if (c == "align_corners") return out_len == 1 ? 0.0f : x * (in_len - 1) / (out_len - 1);
  if (c == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
  if (c == "tf_half_pixel_for_nn") return (x + 0.5f) / scale;
  return (x + 0.5f) / scale - 0.5f;  // half_pixel
}

int64_t ref_nearest(const std::string& m, float x) {
  if (m == "floor") return static_cast<int64_t>(std::floor(x));
  if (m == "ceil") return static_cast<int64_t>(std::ceil(x));
  float f = std::floor(x);
  if (x - f == 0.5f) return static_cast<int64_t>(m == "round_prefer_ceil" ? f + 1 : f);
  return static_cast<int64_t>(std::round(x));
}

float ref_resize_at(const Tensor& x, const Shape& out, const std::vector<float>& scales, const Cfg& cfg,
                    const std::vector<int64_t>& o) {
  const Shape& in = x.shape();
  const size_t nd = in.size();
  // Per dim: list of (index, weight).
  std::vector<std::vector<std::pair<int64_t, double>>> taps(nd);
  for (size_t d = 0; d < nd; ++d) {
    if (scales[d] == 1.0f) {
      taps[d] = {{o[d], 1.0}};
      continue;
    }
    float c = ref_coord(cfg.coord, static_cast<float>(o[d]), scales[d], static_cast<float>(out[d]),
                        static_cast<float>(in[d]));
    if (cfg.mode == "nearest") {
      int64_t i = std::min(std::max<int64_t>(ref_nearest(cfg.nearest, c), 0), in[d] - 1);
      taps[d] = {{i, 1.0}};
    } else {
      double v = std::min(std::max<double>(c, 0.0), static_cast<double>(in[d] - 1));
      int64_t i0 = static_cast<int64_t>(std::floor(v));
      int64_t i1 = std::min(i0 + 1, in[d] - 1);
      taps[d] = {{i0, 1.0 - (v - i0)}, {i1, v - i0}};
    }
  }
  // Sum over the cartesian product of taps.
  double acc = 0;
  std::vector<size_t> k(nd, 0);
  while (true) {
    double w = 1;
    int64_t off = 0;
    for (size_t d = 0; d < nd; ++d) {
      w *= taps[d][k[d]].second;
      off = off * in[d] + taps[d][k[d]].first;
    }
    acc += w * x.data<float>()[off];
    size_t d = nd;
    while (d > 0 && ++k[d - 1] == taps[d - 1].size()) k[--d] = 0;
    if (d == 0) break;
  }
  return static_cast<float>(acc);
}

TEST(ResizeOps, RandomAgainstNaiveReference) {
  std::mt19937 rng(31);
  const std::vector<float> scale_choices = {0.5f, 0.6f, 1.0f, 1.5f, 2.0f, 3.0f, 0.75f};
  const std::vector<std::string> coords = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                           "tf_half_pixel_for_nn"};
  const std::vector<std::string> nearests = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  for (int iter = 0; iter < 120; ++iter) {
    Cfg cfg;
    cfg.mode = iter % 2 ? "linear" : "nearest";
    cfg.coord = coords[rng() % coords.size()];
    if (cfg.mode == "linear" && cfg.coord == "tf_half_pixel_for_nn") cfg.coord = "half_pixel";
    cfg.nearest = nearests[rng() % nearests.size()];
    int rank = 1 + static_cast<int>(rng() % 4);
    Shape in;
    for (int d = 0; d < rank; ++d) in.push_back(1 + static_cast<int64_t>(rng() % 6));
    std::vector<float> scales;
    Shape out;
    const bool use_sizes = rng() % 3 == 0;
    for (int d = 0; d < rank; ++d) {
      float s = scale_choices[rng() % scale_choices.size()];
      if (use_sizes) {
        out.push_back(std::max<int64_t>(1, static_cast<int64_t>(in[static_cast<size_t>(d)] * s + 0.5f)));
        scales.push_back(static_cast<float>(out.back()) / static_cast<float>(in[static_cast<size_t>(d)]));
      } else {
        scales.push_back(s);
        out.push_back(static_cast<int64_t>(s * static_cast<float>(in[static_cast<size_t>(d)])));
      }
    }
    ir::Attributes a;
    a.set("mode", a_str(cfg.mode));
    a.set("coordinate_transformation_mode", a_str(cfg.coord));
    a.set("nearest_mode", a_str(cfg.nearest));
    Tensor x = random_unit(in, rng());
    OpRun r = use_sizes ? run_resize("Resize", a, {x, Tensor(), Tensor(), i64(out)}, 13, 1 + iter % 3)
                        : run_resize("Resize", a, {x, Tensor(), f32v(scales)}, 13, 1 + iter % 3);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.outputs[0].shape(), out) << "iter " << iter;
    if (out == in) continue;  // copied through, like ONNX Runtime
    for (int64_t i = 0; i < r.outputs[0].numel(); ++i) {
      std::vector<int64_t> o(out.size());
      int64_t rem = i;
      for (size_t d = out.size(); d-- > 0;) {
        o[d] = rem % out[d];
        rem /= out[d];
      }
      ASSERT_NEAR(r.outputs[0].data<float>()[i], ref_resize_at(x, out, scales, cfg, o), 1e-5f)
          << "iter " << iter << " " << cfg.mode << "/" << cfg.coord << "/" << cfg.nearest << " in "
          << shape_str(in) << " out " << shape_str(out) << " at " << i;
    }
  }
}

TEST(ResizeOps, NearestAllDtypesAndLargeParallel) {
  Tensor u = Tensor::zeros(DataType::kUint8, {2, 3, 17, 23});
  for (int64_t i = 0; i < u.numel(); ++i) u.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  ir::Attributes a;
  a.set("mode", a_str("nearest"));
  a.set("coordinate_transformation_mode", a_str("asymmetric"));
  a.set("nearest_mode", a_str("floor"));
  OpRun r = run_resize("Resize", a, {u, Tensor(), f32v({1, 1, 2, 2})}, 13, 4);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const Tensor& y = r.outputs[0];
  ASSERT_EQ(y.shape(), (Shape{2, 3, 34, 46}));
  for (int64_t n = 0; n < 6; ++n)
    for (int64_t h = 0; h < 34; ++h)
      for (int64_t w = 0; w < 46; ++w)
        ASSERT_EQ(y.data<uint8_t>()[(n * 34 + h) * 46 + w], u.data<uint8_t>()[(n * 17 + h / 2) * 23 + w / 2]);

  Tensor l = Tensor::from_vector<int64_t>({1, 3}, {5, 6, 7});
  r = run_resize("Resize", a, {l, Tensor(), Tensor(), i64({2, 6})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{5, 5, 6, 6, 7, 7, 5, 5, 6, 6, 7, 7}));
}

TEST(ResizeOps, UpsampleAndResize10) {
  ir::Attributes a;
  a.set("mode", a_str("nearest"));
  OpRun r = run_resize("Upsample", a, {iota_image({1, 1, 2, 2}), f32v({1, 1, 2, 3})}, 9);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  expect_near(r.outputs[0], {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
  ir::Attributes b;
  b.set("mode", a_str("linear"));
  b.set("scales", a_floats({1, 1, 2, 2}));
  r = run_resize("Upsample", b, {iota_image({1, 1, 2, 2})}, 7);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  // Asymmetric: x/2 -> 0, 0.5, 1, 1.5 (clamped).
  expect_near(r.outputs[0], {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4});
  r = run_resize("Resize", a, {iota_image({1, 1, 2, 4}), f32v({1, 1, 0.6f, 0.6f})}, 10);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 1, 1, 2}));
  expect_near(r.outputs[0], {1, 3});  // opset 10: x/0.6 -> ceil when downsampling: 0, 2
}

TEST(ResizeOps, Opset18AxesAndAspectPolicy) {
  ir::Attributes a;
  a.set("mode", a_str("nearest"));
  a.set("axes", a_ints({2, 3}));
  OpRun r = run_resize("Resize", a, {iota_image({1, 1, 2, 2}), Tensor(), f32v({2, 3})}, 18);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 1, 4, 6}));
  a.set("keep_aspect_ratio_policy", a_str("not_larger"));
  r = run_resize("Resize", a, {iota_image({1, 1, 2, 4}), Tensor(), Tensor(), i64({4, 4})}, 18);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 1, 2, 4}));  // min(4/2, 4/4) = 1
}

TEST(ResizeOps, BadInputs) {
  Tensor x = iota_image({1, 1, 2, 2});
  ir::Attributes a;
  a.set("mode", a_str("linear"));
  // Non-constant scales: the output shape cannot be planned.
  Status s = run_resize("Resize", a, {x, Tensor(), f32v({1, 1, 2, 2})}, 13, 2, {2}).status;
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("not constant"), std::string::npos);
  EXPECT_EQ(run_resize("Resize", a, {x, Tensor(), f32v({1, 2, 2})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_resize("Resize", a, {x, Tensor(), f32v({1, 1, 0, 2})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_resize("Resize", a, {x, Tensor(), f32v({1, 1, 2, 2}), i64({1, 1, 4, 4})}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_resize("Resize", a, {x, Tensor(), Tensor(), i64({1, 1, -4, 4})}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_resize("Resize", a, {x}).status.code(), StatusCode::kInvalidArgument);
  // Linear on integers is not implemented; nearest is.
  Tensor xi = Tensor::from_vector<int32_t>({1, 2}, {1, 2});
  EXPECT_EQ(run_resize("Resize", a, {xi, Tensor(), f32v({1, 2})}).status.code(), StatusCode::kUnsupported);
  ir::Attributes bad;
  bad.set("mode", a_str("bicubic"));
  EXPECT_FALSE(run_resize("Resize", bad, {x, Tensor(), f32v({1, 1, 2, 2})}).status.ok());
  ir::Attributes aa;
  aa.set("mode", a_str("linear"));
  aa.set("antialias", a_int(1));
  EXPECT_EQ(run_resize("Resize", aa, {x, Tensor(), f32v({1, 1, 0.5f, 0.5f})}, 18).status.code(),
            StatusCode::kUnsupported);
  ir::Attributes crop;
  crop.set("coordinate_transformation_mode", a_str("tf_crop_and_resize"));
  EXPECT_EQ(run_resize("Resize", crop, {x, Tensor(), f32v({1, 1, 2, 2})}).status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace top::ops

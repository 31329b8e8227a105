// Conv and ConvTranspose against naive N-d references, on random inputs, 1 and 2 threads.
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

// ---- references ---------------------------------------------------------------------

struct ConvCfg {
  ConvCfg(std::vector<int64_t> x_, int64_t m_, int64_t group_, std::vector<int64_t> kernel_,
          std::vector<int64_t> strides_ = {}, std::vector<int64_t> dilations_ = {}, std::vector<int64_t> pads_ = {},
          bool bias_ = true)
      : x(std::move(x_)), m(m_), group(group_), kernel(std::move(kernel_)), strides(std::move(strides_)),
        dilations(std::move(dilations_)), pads(std::move(pads_)), bias(bias_) {}
  std::vector<int64_t> x;  // N, C, spatial...
  int64_t m = 4;           // output channels
  int64_t group = 1;
  std::vector<int64_t> kernel, strides, dilations, pads;  // pads begin..., end...
  bool bias = true;
};

// Output spatial dims for explicit pads.
std::vector<int64_t> conv_out_dims(const ConvCfg& c) {
  const size_t nd = c.kernel.size();
  std::vector<int64_t> o(nd);
  for (size_t i = 0; i < nd; ++i)
    o[i] = (c.x[i + 2] + c.pads[i] + c.pads[i + nd] - ((c.kernel[i] - 1) * c.dilations[i] + 1)) / c.strides[i] + 1;
  return o;
}

std::vector<float> conv_ref(const ConvCfg& c, const Tensor& x, const Tensor& w, const Tensor* b,
                            const std::vector<int64_t>& out) {
  const size_t nd = c.kernel.size();
  const int64_t n = c.x[0], ch = c.x[1], cg = ch / c.group, mg = c.m / c.group;
  std::vector<int64_t> in(c.x.begin() + 2, c.x.end());
  int64_t in_plane = 1, out_plane = 1, kvol = 1;
  for (size_t i = 0; i < nd; ++i) in_plane *= in[i], out_plane *= out[i], kvol *= c.kernel[i];
  std::vector<float> y(static_cast<size_t>(n * c.m * out_plane));
  for (int64_t bi = 0; bi < n; ++bi)
    for (int64_t m = 0; m < c.m; ++m)
      for (int64_t p = 0; p < out_plane; ++p) {
        const std::vector<int64_t> o = unravel(p, out);
        double acc = b ? b->data<float>()[m] : 0.0;
        const int64_t g = m / mg;
        for (int64_t ci = 0; ci < cg; ++ci)
          for (int64_t kk = 0; kk < kvol; ++kk) {
            const std::vector<int64_t> k = unravel(kk, c.kernel);
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t ii = o[d] * c.strides[d] - c.pads[d] + k[d] * c.dilations[d];
              inside = inside && ii >= 0 && ii < in[d];
              off = off * in[d] + ii;
            }
            if (!inside) continue;
            acc += static_cast<double>(x.data<float>()[(bi * ch + g * cg + ci) * in_plane + off]) *
                   w.data<float>()[(m * cg + ci) * kvol + kk];
          }
        y[static_cast<size_t>((bi * c.m + m) * out_plane + p)] = static_cast<float>(acc);
      }
  return y;
}

void check_conv(ConvCfg c, int threads, bool set_kernel_attr = true, uint32_t seed = 1) {
  const size_t nd = c.x.size() - 2;
  if (c.strides.empty()) c.strides.assign(nd, 1);
  if (c.dilations.empty()) c.dilations.assign(nd, 1);
  if (c.pads.empty()) c.pads.assign(2 * nd, 0);
  Shape wshape{c.m, c.x[1] / c.group};
  wshape.insert(wshape.end(), c.kernel.begin(), c.kernel.end());
  Tensor x = random_unit(c.x, seed), w = random_unit(wshape, seed + 1), b = random_unit({c.m}, seed + 2);
  ir::Attributes attrs;
  if (set_kernel_attr) attrs.set("kernel_shape", a_ints(c.kernel));
  attrs.set("strides", a_ints(c.strides));
  attrs.set("dilations", a_ints(c.dilations));
  attrs.set("pads", a_ints(c.pads));
  attrs.set("group", a_int(c.group));
  OpRun r = run_kernel("Conv", attrs, c.bias ? std::vector<Tensor>{x, w, b} : std::vector<Tensor>{x, w}, threads);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const std::vector<int64_t> out = conv_out_dims(c);
  Shape expect{c.x[0], c.m};
  expect.insert(expect.end(), out.begin(), out.end());
  ASSERT_EQ(r.outputs[0].shape(), expect);
  EXPECT_LE(rel_error(r.outputs[0], conv_ref(c, x, w, c.bias ? &b : nullptr, out)), 1e-5)
      << "x=" << shape_str(c.x) << " group=" << c.group << " threads=" << threads;
}

// ---- Conv -------------------------------------------------------------------------

TEST(OpsConv, Conv2DGeneral) {
  for (int threads : {1, 2}) {
    check_conv({{1, 3, 9, 11}, 5, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, threads);
    check_conv({{2, 4, 10, 7}, 6, 1, {3, 2}, {2, 1}, {1, 2}, {0, 1, 2, 0}}, threads);
    check_conv({{1, 8, 17, 17}, 16, 1, {7, 7}, {2, 2}, {1, 1}, {3, 3, 3, 3}}, threads);
    check_conv({{1, 3, 5, 5}, 2, 1, {5, 5}, {1, 1}, {1, 1}, {0, 0, 0, 0}}, threads, true);  // 1x1 output
  }
}

TEST(OpsConv, Conv2DNoBiasAndKernelFromWeights) {
  check_conv({{2, 3, 8, 8}, 4, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, false}, 2, false);
}

TEST(OpsConv, Pointwise) {
  for (int threads : {1, 2}) {
    check_conv({{1, 16, 14, 14}, 32, 1, {1, 1}}, threads);
    check_conv({{3, 8, 5, 6}, 4, 1, {1, 1}}, threads);
    check_conv({{2, 8, 5, 6}, 4, 2, {1, 1}}, threads);             // grouped pointwise
    check_conv({{1, 8, 9, 9}, 4, 1, {1, 1}, {2, 2}}, threads);      // strided 1x1 goes through im2col
  }
}

TEST(OpsConv, GroupedAndDepthwise) {
  for (int threads : {1, 2}) {
    check_conv({{1, 8, 9, 9}, 8, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, threads);
    check_conv({{2, 6, 12, 10}, 6, 6, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, threads);   // depthwise
    check_conv({{1, 6, 12, 11}, 6, 6, {3, 3}, {2, 2}, {1, 1}, {1, 0, 1, 0}}, threads);   // depthwise stride 2
    check_conv({{1, 4, 12, 12}, 8, 4, {5, 5}, {1, 1}, {2, 2}, {4, 4, 4, 4}}, threads);   // multiplier 2, dilated
    check_conv({{1, 4, 13, 12}, 4, 4, {3, 3}, {3, 3}, {1, 1}, {0, 2, 1, 0}}, threads);   // stride 3
    check_conv({{1, 6, 7, 9}, 6, 6, {3, 3}, {1, 1}, {1, 1}, {0, 2, 1, 0}}, threads);     // asymmetric pads
    check_conv({{2, 3, 5, 4}, 3, 3, {5, 5}, {1, 1}, {1, 1}, {2, 2, 2, 2}}, threads);     // kernel wider than the plane
    check_conv({{1, 3, 9, 8}, 3, 3, {2, 3}, {1, 1}, {2, 1}, {1, 0, 0, 2}}, threads);     // even kernel, dilated
  }
}

TEST(OpsConv, LargeTiledIm2col) {
  // Many output columns and a long reduction: several tiles per thread.
  check_conv({{1, 32, 40, 40}, 24, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, 2);
  check_conv({{1, 64, 7, 7}, 48, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}}, 2);  // one tile: GEMM split
}

TEST(OpsConv, Conv1DAnd3D) {
  for (int threads : {1, 2}) {
    check_conv({{2, 3, 20}, 4, 1, {3}, {2}, {2}, {1, 2}}, threads);
    check_conv({{1, 4, 15}, 4, 4, {5}, {1}, {1}, {2, 2}}, threads);  // depthwise 1-D
    check_conv({{1, 2, 5, 6, 7}, 3, 1, {2, 3, 3}, {1, 2, 1}, {2, 1, 1}, {1, 0, 1, 0, 1, 1}}, threads);
  }
}

ConvCfg simple_cfg() { return ConvCfg{{1, 2, 7, 8}, 3, 1, {3, 3}, {2, 2}, {1, 1}, {0, 0, 0, 0}}; }

Shape conv_auto_pad_shape(const std::string& mode, const Shape& x, int64_t k, int64_t s) {
  ir::Attributes attrs;
  attrs.set("auto_pad", a_str(mode));
  attrs.set("strides", a_ints({s, s}));
  Tensor xt = random_unit(x, 3), w = random_unit({3, x[1], k, k}, 4);
  OpRun r = run_kernel("Conv", attrs, {xt, w});
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  return r.status.ok() ? r.outputs[0].shape() : Shape{};
}

TEST(OpsConv, AutoPadShapesAndValues) {
  EXPECT_EQ(conv_auto_pad_shape("SAME_UPPER", {1, 2, 7, 8}, 3, 2), (Shape{1, 3, 4, 4}));
  EXPECT_EQ(conv_auto_pad_shape("SAME_LOWER", {1, 2, 7, 8}, 4, 1), (Shape{1, 3, 7, 8}));
  EXPECT_EQ(conv_auto_pad_shape("VALID", {1, 2, 7, 8}, 3, 2), (Shape{1, 3, 3, 3}));
  // SAME_UPPER with an even kernel puts the extra pad at the end; SAME_LOWER at the start.
  for (const std::string mode : {"SAME_UPPER", "SAME_LOWER"}) {
    ConvCfg c{{1, 2, 6, 5}, 3, 1, {2, 2}, {1, 1}, {1, 1}, {}};
    c.pads = mode == "SAME_UPPER" ? std::vector<int64_t>{0, 0, 1, 1} : std::vector<int64_t>{1, 1, 0, 0};
    Tensor x = random_unit(c.x, 5), w = random_unit({3, 2, 2, 2}, 6);
    ir::Attributes attrs;
    attrs.set("auto_pad", a_str(mode));
    OpRun r = run_kernel("Conv", attrs, {x, w});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_LE(rel_error(r.outputs[0], conv_ref(c, x, w, nullptr, {6, 5})), 1e-5) << mode;
  }
}

TEST(OpsConv, BadInputsReturnErrors) {
  ConvCfg c = simple_cfg();
  Tensor x = random_unit(c.x, 1);
  ir::Attributes attrs;
  // Channel mismatch.
  OpRun r = run_kernel("Conv", attrs, {x, random_unit({3, 5, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status.to_string();
  // Kernel larger than the input.
  r = run_kernel("Conv", attrs, {x, random_unit({3, 2, 9, 9}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  // Rank mismatch.
  r = run_kernel("Conv", attrs, {x, random_unit({3, 2, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  // Bias of the wrong size.
  r = run_kernel("Conv", attrs, {x, random_unit({3, 2, 3, 3}, 2), random_unit({4}, 3)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  // group does not divide the output channels.
  ir::Attributes g2;
  g2.set("group", a_int(2));
  r = run_kernel("Conv", g2, {random_unit({1, 4, 5, 5}, 1), random_unit({3, 2, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  // kernel_shape disagrees with W.
  ir::Attributes ks;
  ks.set("kernel_shape", a_ints({5, 5}));
  r = run_kernel("Conv", ks, {x, random_unit({3, 2, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  // Pads of the wrong length, negative strides, unknown auto_pad.
  ir::Attributes bad_pads;
  bad_pads.set("pads", a_ints({1, 1}));
  r = run_kernel("Conv", bad_pads, {x, random_unit({3, 2, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  ir::Attributes bad_strides;
  bad_strides.set("strides", a_ints({0, 1}));
  r = run_kernel("Conv", bad_strides, {x, random_unit({3, 2, 3, 3}, 2)});
  EXPECT_FALSE(r.status.ok());
  ir::Attributes bad_ap;
  bad_ap.set("auto_pad", a_str("SAME"));
  r = run_kernel("Conv", bad_ap, {x, random_unit({3, 2, 3, 3}, 2)});
  EXPECT_FALSE(r.status.ok());
  // Non-float input.
  r = run_kernel("Conv", attrs, {Tensor::zeros(DataType::kInt64, {1, 2, 5, 5}), random_unit({3, 2, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  // Rank-2 input.
  r = run_kernel("Conv", attrs, {random_unit({2, 5}, 1), random_unit({3, 5}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
}

// ---- ConvTranspose -------------------------------------------------------------------

struct ConvTCfg {
  std::vector<int64_t> x;  // N, C, spatial
  int64_t m = 3;           // output channels
  int64_t group = 1;
  std::vector<int64_t> kernel, strides, dilations, pads, output_padding;
};

std::vector<float> conv_transpose_ref(const ConvTCfg& c, const Tensor& x, const Tensor& w, const Tensor* b,
                                      const std::vector<int64_t>& out, const std::vector<int64_t>& pad_begin) {
  const size_t nd = c.kernel.size();
  const int64_t n = c.x[0], ch = c.x[1], cg = ch / c.group, mg = c.m / c.group;
  std::vector<int64_t> in(c.x.begin() + 2, c.x.end());
  int64_t in_plane = 1, out_plane = 1, kvol = 1;
  for (size_t i = 0; i < nd; ++i) in_plane *= in[i], out_plane *= out[i], kvol *= c.kernel[i];
  std::vector<double> y(static_cast<size_t>(n * c.m * out_plane), 0.0);
  for (int64_t bi = 0; bi < n; ++bi)
    for (int64_t m = 0; m < c.m; ++m)
      for (int64_t p = 0; p < out_plane; ++p) y[static_cast<size_t>((bi * c.m + m) * out_plane + p)] = b ? b->data<float>()[m] : 0.0;
  for (int64_t bi = 0; bi < n; ++bi)
    for (int64_t ci = 0; ci < ch; ++ci)
      for (int64_t p = 0; p < in_plane; ++p) {
        const std::vector<int64_t> i = unravel(p, in);
        const int64_t g = ci / cg;
        for (int64_t mm = 0; mm < mg; ++mm)
          for (int64_t kk = 0; kk < kvol; ++kk) {
            const std::vector<int64_t> k = unravel(kk, c.kernel);
            int64_t off = 0;
            bool inside = true;
            for (size_t d = 0; d < nd; ++d) {
              const int64_t o = i[d] * c.strides[d] - pad_begin[d] + k[d] * c.dilations[d];
              inside = inside && o >= 0 && o < out[d];
              off = off * out[d] + o;
            }
            if (!inside) continue;
            y[static_cast<size_t>((bi * c.m + g * mg + mm) * out_plane + off)] +=
                static_cast<double>(x.data<float>()[(bi * ch + ci) * in_plane + p]) *
                w.data<float>()[(ci * mg + mm) * kvol + kk];
          }
      }
  return std::vector<float>(y.begin(), y.end());
}

void check_conv_transpose(ConvTCfg c, int threads, const ir::Attributes& extra, const std::vector<int64_t>& out,
                          const std::vector<int64_t>& pad_begin) {
  const size_t nd = c.x.size() - 2;
  if (c.strides.empty()) c.strides.assign(nd, 1);
  if (c.dilations.empty()) c.dilations.assign(nd, 1);
  Shape wshape{c.x[1], c.m / c.group};
  wshape.insert(wshape.end(), c.kernel.begin(), c.kernel.end());
  Tensor x = random_unit(c.x, 11), w = random_unit(wshape, 12), b = random_unit({c.m}, 13);
  ir::Attributes attrs = extra;
  attrs.set("strides", a_ints(c.strides));
  attrs.set("dilations", a_ints(c.dilations));
  attrs.set("group", a_int(c.group));
  if (!c.pads.empty()) attrs.set("pads", a_ints(c.pads));
  if (!c.output_padding.empty()) attrs.set("output_padding", a_ints(c.output_padding));
  OpRun r = run_kernel("ConvTranspose", attrs, {x, w, b}, threads);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  Shape expect{c.x[0], c.m};
  expect.insert(expect.end(), out.begin(), out.end());
  ASSERT_EQ(r.outputs[0].shape(), expect);
  EXPECT_LE(rel_error(r.outputs[0], conv_transpose_ref(c, x, w, &b, out, pad_begin)), 1e-5);
}

TEST(OpsConv, ConvTranspose2D) {
  for (int threads : {1, 2}) {
    ir::Attributes none;
    // out = s*(in-1) + op + (k-1)*d + 1 - pads
    check_conv_transpose({{1, 3, 5, 4}, 2, 1, {3, 3}, {1, 1}, {1, 1}, {0, 0, 0, 0}, {}}, threads, none, {7, 6}, {0, 0});
    check_conv_transpose({{2, 4, 5, 6}, 6, 2, {3, 2}, {2, 3}, {1, 2}, {1, 0, 1, 2}, {1, 0}}, threads, none, {10, 16},
                         {1, 0});
    check_conv_transpose({{1, 4, 3, 3}, 4, 4, {4, 4}, {2, 2}, {1, 1}, {1, 1, 1, 1}, {}}, threads, none, {6, 6}, {1, 1});
    check_conv_transpose({{1, 2, 9}, 3, 1, {3}, {2}, {1}, {1, 1}, {1}}, threads, none, {18}, {1});  // 1-D
  }
}

TEST(OpsConv, ConvTransposeOutputShapeAndAutoPad) {
  // output_shape [10, 9] for in 5x5, k 3, s 2: full = 11, total pads = 1 and 2, the
  // odd one at the start (as the spec and ONNX Runtime do).
  ir::Attributes os;
  os.set("output_shape", a_ints({10, 9}));
  check_conv_transpose({{1, 2, 5, 5}, 3, 1, {3, 3}, {2, 2}, {1, 1}, {}, {}}, 2, os, {10, 9}, {1, 1});
  // SAME_UPPER: out = in * s, the odd pad at the end; SAME_LOWER: at the start.
  ir::Attributes su;
  su.set("auto_pad", a_str("SAME_UPPER"));
  check_conv_transpose({{1, 2, 5, 5}, 3, 1, {3, 3}, {2, 2}, {1, 1}, {}, {}}, 2, su, {10, 10}, {0, 0});
  ir::Attributes sl;
  sl.set("auto_pad", a_str("SAME_LOWER"));
  check_conv_transpose({{1, 2, 5, 5}, 3, 1, {3, 3}, {2, 2}, {1, 1}, {}, {}}, 2, sl, {10, 10}, {1, 1});
  // A full output_shape (N, C, spatial...) is accepted too.
  ir::Attributes full;
  full.set("output_shape", a_ints({1, 3, 10, 9}));
  check_conv_transpose({{1, 2, 5, 5}, 3, 1, {3, 3}, {2, 2}, {1, 1}, {}, {}}, 2, full, {10, 9}, {1, 1});
}

TEST(OpsConv, ConvTransposeBadInputs) {
  ir::Attributes attrs;
  OpRun r = run_kernel("ConvTranspose", attrs, {random_unit({1, 3, 4, 4}, 1), random_unit({2, 3, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
  r = run_kernel("ConvTranspose", attrs, {random_unit({1, 2, 2, 2, 2}, 1), random_unit({2, 3, 1, 1, 1}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kUnsupported);
  ir::Attributes big_pads;
  big_pads.set("pads", a_ints({5, 5, 5, 5}));
  r = run_kernel("ConvTranspose", big_pads, {random_unit({1, 2, 2, 2}, 1), random_unit({2, 3, 3, 3}, 2)});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument);
}

// The optimiser's fusion hooks: Y = act(conv(X) + B + Z), on every kernel path.
TEST(OpsConv, FusedSumAndActivation) {
  struct Act {
    std::string name;
    std::vector<float> params;
    float (*fn)(float);
  };
  const std::vector<Act> acts = {
      {"Relu", {}, [](float v) { return v > 0 ? v : 0.0f; }},
      {"Clip", {-0.5f, 0.75f}, [](float v) { return std::min(std::max(v, -0.5f), 0.75f); }},
      {"LeakyRelu", {0.1f}, [](float v) { return v >= 0 ? v : 0.1f * v; }},
      {"HardSwish", {}, [](float v) { return v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f)); }},
  };
  const std::vector<ConvCfg> cfgs = {
      {{1, 8, 20, 20}, 12, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},    // tiled im2col
      {{1, 64, 6, 6}, 32, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},     // single tile, GEMM split
      {{1, 16, 12, 12}, 24, 1, {1, 1}},                                 // pointwise, GEMM split
      {{4, 8, 5, 5}, 6, 2, {1, 1}},                                     // pointwise, unit parallel
      {{1, 6, 9, 9}, 6, 6, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}},       // depthwise
      {{1, 6, 9, 9}, 6, 1, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}, false},  // no bias
  };
  for (size_t ai = 0; ai < acts.size(); ++ai) {
    const Act& act = acts[ai];
    for (ConvCfg c : cfgs) {
      c.strides.resize(c.kernel.size(), 1);
      c.dilations.resize(c.kernel.size(), 1);
      c.pads.resize(2 * c.kernel.size(), 0);
      Tensor x = random_unit(c.x, 21), w = random_unit({c.m, c.x[1] / c.group, c.kernel[0], c.kernel[1]}, 22),
             b = random_unit({c.m}, 23);
      const std::vector<int64_t> out = conv_out_dims(c);
      Tensor z = random_unit({c.x[0], c.m, out[0], out[1]}, 24);
      ir::Attributes attrs;
      attrs.set("strides", a_ints(c.strides));
      attrs.set("pads", a_ints(c.pads));
      attrs.set("group", a_int(c.group));
      attrs.set("activation", a_str(act.name));
      ir::Attribute params;
      params.kind = ir::Attribute::Kind::kFloats;
      params.floats = act.params;
      attrs.set("activation_params", params);
      for (bool with_z : {false, true}) {
        std::vector<float> ref = conv_ref(c, x, w, c.bias ? &b : nullptr, out);
        for (size_t i = 0; i < ref.size(); ++i) ref[i] = act.fn(ref[i] + (with_z ? z.data<float>()[i] : 0.0f));
        std::vector<Tensor> ins{x, w, c.bias ? b : Tensor()};
        if (with_z) ins.push_back(z);
        for (int threads : {1, 2}) {
          OpRun r = run_kernel("Conv", attrs, ins, threads);
          ASSERT_TRUE(r.status.ok()) << r.status.to_string();
          EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5)
              << act.name << " z=" << with_z << " x=" << shape_str(c.x) << " threads=" << threads;
        }
      }
    }
  }
  // Z of the wrong shape and an unknown activation are errors.
  Tensor x = random_unit({1, 2, 5, 5}, 1), w = random_unit({3, 2, 3, 3}, 2);
  EXPECT_EQ(run_kernel("Conv", {}, {x, w, Tensor(), random_unit({1, 3, 5, 5}, 3)}).status.code(),
            StatusCode::kInvalidArgument);
  ir::Attributes bad;
  bad.set("activation", a_str("Softplus9"));
  EXPECT_EQ(run_kernel("Conv", bad, {x, w}).status.code(), StatusCode::kUnsupported);
}

TEST(OpsConv, CostCountsMacs) {
  Result<std::unique_ptr<Op>> op = create_op("Conv", 13, "c");
  ASSERT_TRUE(op.ok());
  InferContext ctx("c", {ValueInfo{DataType::kFloat32, {1, 8, 10, 10}, nullptr}, ValueInfo{DataType::kFloat32, {16, 8, 3, 3}, nullptr}}, 1);
  ASSERT_TRUE((*op)->infer(ctx).ok());
  ir::OpCost c = (*op)->cost(ctx);
  EXPECT_DOUBLE_EQ(c.flops, 2.0 * 16 * 8 * 8 * 8 * 9);
  EXPECT_DOUBLE_EQ(c.bytes, 4.0 * (800 + 16 * 8 * 9 + 16 * 64));
}

}  // namespace
}  // namespace top::ops

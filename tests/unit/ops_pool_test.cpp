// MaxPool, AveragePool and the global pools against naive references.
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

struct PoolCfg {
  PoolCfg(std::vector<int64_t> x_, std::vector<int64_t> kernel_, std::vector<int64_t> strides_ = {},
          std::vector<int64_t> pads_ = {}, std::vector<int64_t> dilations_ = {}, bool ceil_ = false)
      : x(std::move(x_)), kernel(std::move(kernel_)), strides(std::move(strides_)), pads(std::move(pads_)),
        dilations(std::move(dilations_)), ceil_mode(ceil_) {}
  std::vector<int64_t> x, kernel, strides, pads, dilations;
  bool ceil_mode;
};

void fill_defaults(PoolCfg& c) {
  const size_t nd = c.kernel.size();
  if (c.strides.empty()) c.strides.assign(nd, 1);
  if (c.dilations.empty()) c.dilations.assign(nd, 1);
  if (c.pads.empty()) c.pads.assign(2 * nd, 0);
}

std::vector<int64_t> pool_out_dims(const PoolCfg& c) {
  const size_t nd = c.kernel.size();
  std::vector<int64_t> o(nd);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t span = c.x[i + 2] + c.pads[i] + c.pads[i + nd] - ((c.kernel[i] - 1) * c.dilations[i] + 1);
    o[i] = c.ceil_mode ? (span + c.strides[i] - 1) / c.strides[i] + 1 : span / c.strides[i] + 1;
    if (c.ceil_mode && (o[i] - 1) * c.strides[i] >= c.x[i + 2] + c.pads[i]) --o[i];
  }
  return o;
}

// kind: 0 max, 1 average excluding pads, 2 average including pads.
std::vector<float> pool_ref(const PoolCfg& c, const Tensor& x, const std::vector<int64_t>& out, int kind,
                            std::vector<int64_t>* indices = nullptr) {
  const size_t nd = c.kernel.size();
  std::vector<int64_t> in(c.x.begin() + 2, c.x.end());
  int64_t in_plane = 1, out_plane = 1, kvol = 1;
  for (size_t i = 0; i < nd; ++i) in_plane *= in[i], out_plane *= out[i], kvol *= c.kernel[i];
  const int64_t planes = c.x[0] * c.x[1];
  std::vector<float> y(static_cast<size_t>(planes * out_plane));
  if (indices) indices->assign(y.size(), -1);
  for (int64_t pl = 0; pl < planes; ++pl)
    for (int64_t p = 0; p < out_plane; ++p) {
      const std::vector<int64_t> o = unravel(p, out);
      double sum = 0;
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_i = -1, n_in = 0, n_pad = 0;
      for (int64_t kk = 0; kk < kvol; ++kk) {
        const std::vector<int64_t> k = unravel(kk, c.kernel);
        int64_t off = 0;
        bool inside = true, in_padded = true;
        for (size_t d = 0; d < nd; ++d) {
          const int64_t ii = o[d] * c.strides[d] - c.pads[d] + k[d] * c.dilations[d];
          inside = inside && ii >= 0 && ii < in[d];
          in_padded = in_padded && ii < in[d] + c.pads[d + nd];
          off = off * in[d] + ii;
        }
        if (in_padded) ++n_pad;
        if (!inside) continue;
        ++n_in;
        const float v = x.data<float>()[pl * in_plane + off];
        sum += v;
        if (v > best) best = v, best_i = pl * in_plane + off;
      }
      const size_t o_i = static_cast<size_t>(pl * out_plane + p);
      y[o_i] = kind == 0 ? best : static_cast<float>(sum / static_cast<double>(kind == 1 ? n_in : n_pad));
      if (indices) (*indices)[o_i] = best_i;
    }
  return y;
}

ir::Attributes pool_attrs(const PoolCfg& c) {
  ir::Attributes a;
  a.set("kernel_shape", a_ints(c.kernel));
  a.set("strides", a_ints(c.strides));
  a.set("pads", a_ints(c.pads));
  if (c.ceil_mode) a.set("ceil_mode", a_int(1));
  return a;
}

void check_pool(PoolCfg c, int kind, int threads) {
  fill_defaults(c);
  Tensor x = random_unit(c.x, 7);
  ir::Attributes attrs = pool_attrs(c);
  if (kind == 0) attrs.set("dilations", a_ints(c.dilations));
  if (kind == 2) attrs.set("count_include_pad", a_int(1));
  const bool with_indices = kind == 0;
  OpRun r = run_kernel(kind == 0 ? "MaxPool" : "AveragePool", attrs, {x}, threads, with_indices ? 2 : 1);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const std::vector<int64_t> out = pool_out_dims(c);
  Shape expect{c.x[0], c.x[1]};
  expect.insert(expect.end(), out.begin(), out.end());
  ASSERT_EQ(r.outputs[0].shape(), expect);
  std::vector<int64_t> idx;
  EXPECT_LE(rel_error(r.outputs[0], pool_ref(c, x, out, kind, &idx)), 1e-6) << "kind " << kind << " x " << shape_str(c.x);
  if (with_indices) {
    ASSERT_EQ(r.outputs[1].dtype(), DataType::kInt64);
    for (size_t i = 0; i < idx.size(); ++i) ASSERT_EQ(r.outputs[1].data<int64_t>()[i], idx[i]) << i;
  }
}

TEST(OpsPool, MaxPool) {
  for (int threads : {1, 2}) {
    check_pool({{1, 3, 12, 12}, {3, 3}, {2, 2}, {1, 1, 1, 1}}, 0, threads);
    check_pool({{2, 2, 9, 10}, {2, 3}, {1, 2}, {0, 1, 1, 0}, {2, 1}}, 0, threads);   // dilated
    check_pool({{1, 2, 10, 11}, {3, 3}, {2, 2}, {0, 0, 0, 0}, {}, true}, 0, threads); // ceil_mode
    check_pool({{1, 2, 14}, {4}, {3}, {1, 2}}, 0, threads);                           // 1-D
    check_pool({{1, 2, 5, 6, 7}, {2, 2, 3}, {2, 1, 2}, {1, 0, 1, 0, 1, 1}}, 0, threads);  // 3-D
  }
}

TEST(OpsPool, AveragePool) {
  for (int kind : {1, 2}) {
    for (int threads : {1, 2}) {
      check_pool({{1, 3, 12, 12}, {3, 3}, {2, 2}, {1, 1, 1, 1}}, kind, threads);
      check_pool({{2, 2, 9, 10}, {2, 3}, {1, 2}, {0, 1, 1, 0}}, kind, threads);
      check_pool({{1, 2, 10, 11}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, true}, kind, threads);  // ceil_mode
      check_pool({{1, 2, 14}, {4}, {3}, {1, 2}}, kind, threads);
      check_pool({{1, 2, 5, 6, 7}, {2, 2, 3}, {2, 1, 2}, {1, 0, 1, 0, 1, 1}}, kind, threads);
    }
  }
}

TEST(OpsPool, MaxPoolColumnMajorIndices) {
  PoolCfg c({1, 2, 5, 6}, {2, 2}, {2, 2});
  fill_defaults(c);
  Tensor x = random_unit(c.x, 8);
  ir::Attributes attrs = pool_attrs(c);
  attrs.set("storage_order", a_int(1));
  OpRun r = run_kernel("MaxPool", attrs, {x}, 2, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  std::vector<int64_t> idx;
  pool_ref(c, x, {2, 3}, 0, &idx);
  for (size_t i = 0; i < idx.size(); ++i) {
    const int64_t plane = idx[i] / 30, h = idx[i] % 30 / 6, w = idx[i] % 6;
    EXPECT_EQ(r.outputs[1].data<int64_t>()[i], plane * 30 + h + w * 5);
  }
}

TEST(OpsPool, AutoPad) {
  Tensor x = random_unit({1, 2, 7, 8}, 9);
  for (const std::string mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    ir::Attributes attrs;
    attrs.set("kernel_shape", a_ints({2, 3}));
    attrs.set("strides", a_ints({2, 2}));
    attrs.set("auto_pad", a_str(mode));
    OpRun r = run_kernel("MaxPool", attrs, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    // SAME: out = ceil(in / s); total pad = (out-1)*s + k - in: h 0+... = 1, w = 1; VALID: floor((in-k)/s)+1.
    PoolCfg c({1, 2, 7, 8}, {2, 3}, {2, 2});
    if (mode == "SAME_UPPER") c.pads = {0, 0, 1, 1};
    if (mode == "SAME_LOWER") c.pads = {1, 1, 0, 0};
    fill_defaults(c);
    const std::vector<int64_t> out = mode == "VALID" ? std::vector<int64_t>{3, 3} : std::vector<int64_t>{4, 4};
    ASSERT_EQ(r.outputs[0].shape(), (Shape{1, 2, out[0], out[1]})) << mode;
    EXPECT_LE(rel_error(r.outputs[0], pool_ref(c, x, out, 0)), 1e-6) << mode;
  }
}

TEST(OpsPool, GlobalPools) {
  for (const Shape& s : {Shape{2, 3, 7, 5}, Shape{1, 4, 9}, Shape{2, 2, 3, 2, 4}, Shape{1, 3}}) {
    Tensor x = random_unit(s, 10);
    const int64_t planes = s[0] * s[1], plane = x.numel() / planes;
    std::vector<float> avg(planes), mx(planes);
    for (int64_t i = 0; i < planes; ++i) {
      double sum = 0;
      float m = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < plane; ++j) {
        sum += x.data<float>()[i * plane + j];
        m = std::max(m, x.data<float>()[i * plane + j]);
      }
      avg[i] = static_cast<float>(sum / plane);
      mx[i] = m;
    }
    Shape expect(s.size(), 1);
    expect[0] = s[0];
    expect[1] = s[1];
    for (int threads : {1, 2}) {
      OpRun ra = run_kernel("GlobalAveragePool", {}, {x}, threads);
      ASSERT_TRUE(ra.status.ok()) << ra.status.to_string();
      EXPECT_EQ(ra.outputs[0].shape(), expect);
      EXPECT_LE(rel_error(ra.outputs[0], avg), 1e-6);
      OpRun rm = run_kernel("GlobalMaxPool", {}, {x}, threads);
      ASSERT_TRUE(rm.status.ok()) << rm.status.to_string();
      EXPECT_LE(rel_error(rm.outputs[0], mx), 0);
    }
  }
}

TEST(OpsPool, BadInputsReturnErrors) {
  Tensor x = random_unit({1, 2, 4, 4}, 1);
  ir::Attributes no_kernel;
  EXPECT_EQ(run_kernel("MaxPool", no_kernel, {x}).status.code(), StatusCode::kInvalidArgument);
  ir::Attributes big;
  big.set("kernel_shape", a_ints({5, 5}));
  EXPECT_EQ(run_kernel("AveragePool", big, {x}).status.code(), StatusCode::kInvalidArgument);
  ir::Attributes wrong_rank;
  wrong_rank.set("kernel_shape", a_ints({2, 2, 2}));
  EXPECT_EQ(run_kernel("MaxPool", wrong_rank, {x}).status.code(), StatusCode::kInvalidArgument);
  ir::Attributes pad_too_big;
  pad_too_big.set("kernel_shape", a_ints({2, 2}));
  pad_too_big.set("pads", a_ints({2, 2, 2, 2}));
  EXPECT_EQ(run_kernel("MaxPool", pad_too_big, {x}).status.code(), StatusCode::kInvalidArgument);
  ir::Attributes ok;
  ok.set("kernel_shape", a_ints({2, 2}));
  EXPECT_EQ(run_kernel("MaxPool", ok, {random_unit({4, 4}, 1)}).status.code(), StatusCode::kUnsupported);
  EXPECT_EQ(run_kernel("MaxPool", ok, {Tensor::zeros(DataType::kInt32, {1, 1, 4, 4})}).status.code(), StatusCode::kUnsupported);
  EXPECT_EQ(run_kernel("GlobalAveragePool", {}, {random_unit({4}, 1)}).status.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace top::ops

// MatMul and Gemm against naive references (numpy batching, 1-D operands, C broadcast).
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

std::vector<float> matmul_ref(const Tensor& a, const Tensor& b, Shape& out_shape) {
  // numpy semantics, written independently of the kernel: promote, broadcast, multiply.
  Shape as = a.shape(), bs = b.shape();
  const bool a1 = as.size() == 1, b1 = bs.size() == 1;
  if (a1) as.insert(as.begin(), 1);
  if (b1) bs.push_back(1);
  const size_t rank = std::max(as.size(), bs.size());
  Shape ap(rank - as.size(), 1), bp(rank - bs.size(), 1);
  ap.insert(ap.end(), as.begin(), as.end());
  bp.insert(bp.end(), bs.begin(), bs.end());
  const int64_t m = ap[rank - 2], k = ap[rank - 1], n = bp[rank - 1];
  Shape batch(rank - 2);
  for (size_t i = 0; i + 2 < rank; ++i) batch[i] = std::max(ap[i], bp[i]);
  out_shape = batch;
  if (!a1) out_shape.push_back(m);
  if (!b1) out_shape.push_back(n);
  int64_t nb = 1;
  for (int64_t d : batch) nb *= d;
  std::vector<float> y;
  for (int64_t bi = 0; bi < nb; ++bi) {
    int64_t r = bi, aoff = 0, boff = 0, astride = 1, bstride = 1;
    for (int64_t d = static_cast<int64_t>(batch.size()) - 1; d >= 0; --d) {
      const int64_t i = r % batch[d];
      r /= batch[d];
      aoff += (ap[d] == 1 ? 0 : i) * astride;
      boff += (bp[d] == 1 ? 0 : i) * bstride;
      astride *= ap[d];
      bstride *= bp[d];
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0;
        for (int64_t p = 0; p < k; ++p)
          acc += static_cast<double>(a.data<float>()[aoff * m * k + i * k + p]) * b.data<float>()[boff * k * n + p * n + j];
        y.push_back(static_cast<float>(acc));
      }
  }
  return y;
}

TEST(OpsMatMul, MatMulShapesAndBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},          {{2, 3, 4}, {4, 5}},     {{2, 3, 4}, {2, 4, 5}}, {{2, 1, 3, 4}, {5, 4, 6}},
      {{4}, {4, 5}},             {{2, 3, 4}, {4}},        {{4}, {4}},             {{1, 4}, {3, 4, 2}},
      {{64, 128}, {128, 96}},    {{1, 256}, {256, 300}},  {{300, 64}, {64, 1}},   {{8, 33, 17}, {8, 17, 29}},
      {{1, 2, 3}, {1, 3, 2}}};
  for (const auto& c : cases) {
    Tensor a = random_unit(c.first, 1), b = random_unit(c.second, 2);
    Shape expect;
    const std::vector<float> ref = matmul_ref(a, b, expect);
    for (int threads : {1, 2}) {
      OpRun r = run_kernel("MatMul", {}, {a, b}, threads, 1, 13);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      EXPECT_EQ(r.outputs[0].shape(), expect) << shape_str(c.first) << " x " << shape_str(c.second);
      EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5) << shape_str(c.first) << " x " << shape_str(c.second);
    }
  }
}

TEST(OpsMatMul, MatMulIntegers) {
  Tensor a = Tensor::from_vector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Tensor::from_vector<int64_t>({3, 2}, {7, 8, 9, 10, 11, 12});
  OpRun r = run_kernel("MatMul", {}, {a, b});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{58, 64, 139, 154}));
}

TEST(OpsMatMul, MatMulErrors) {
  EXPECT_EQ(run_kernel("MatMul", {}, {random_unit({2, 3}, 1), random_unit({4, 5}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("MatMul", {}, {random_unit({2, 2, 3}, 1), random_unit({3, 3, 5}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("MatMul", {}, {Tensor::scalar<float>(1.0f), random_unit({3}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_FALSE(run_kernel("MatMul", {}, {random_unit({2, 3}, 1), Tensor::zeros(DataType::kInt64, {3, 2})}).status.ok());
}

void check_gemm(int64_t m, int64_t n, int64_t k, bool ta, bool tb, float alpha, float beta, const Shape* c_shape) {
  Tensor a = random_unit(ta ? Shape{k, m} : Shape{m, k}, 1), b = random_unit(tb ? Shape{n, k} : Shape{k, n}, 2);
  Tensor c = c_shape ? random_unit(*c_shape, 3) : Tensor();
  ir::Attributes attrs;
  attrs.set("transA", a_int(ta));
  attrs.set("transB", a_int(tb));
  attrs.set("alpha", a_float(alpha));
  attrs.set("beta", a_float(beta));
  std::vector<float> ref(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double acc = 0;
      for (int64_t p = 0; p < k; ++p)
        acc += static_cast<double>(a.data<float>()[ta ? p * m + i : i * k + p]) * b.data<float>()[tb ? j * k + p : p * n + j];
      double cv = 0;
      if (c_shape) {
        const Shape& cs = *c_shape;
        const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
        cv = c.data<float>()[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
      }
      ref[i * n + j] = static_cast<float>(alpha * acc + beta * cv);
    }
  for (int threads : {1, 2}) {
    OpRun r = run_kernel("Gemm", attrs, c_shape ? std::vector<Tensor>{a, b, c} : std::vector<Tensor>{a, b}, threads, 1, 13);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.outputs[0].shape(), (Shape{m, n}));
    EXPECT_LE(rel_error(r.outputs[0], ref), 1e-5) << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb;
  }
}

TEST(OpsMatMul, Gemm) {
  const Shape full{7, 9}, row{9}, col{7, 1}, one_by_n{1, 9}, scalar{};
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      check_gemm(7, 9, 5, ta, tb, 1.0f, 1.0f, &full);
      check_gemm(7, 9, 5, ta, tb, 0.5f, 2.0f, &row);
      check_gemm(7, 9, 5, ta, tb, 1.5f, -1.0f, &col);
      check_gemm(7, 9, 5, ta, tb, 1.0f, 1.0f, &one_by_n);
      check_gemm(7, 9, 5, ta, tb, 1.0f, 0.25f, &scalar);
      check_gemm(7, 9, 5, ta, tb, 2.0f, 1.0f, nullptr);
    }
  const Shape fc_bias{1000};
  check_gemm(1, 1000, 512, false, true, 1.0f, 1.0f, &fc_bias);   // classifier head, batch 1
  check_gemm(4, 1000, 512, false, true, 1.0f, 1.0f, &fc_bias);
  const Shape big{1, 200};
  check_gemm(150, 200, 70, true, false, 1.0f, 0.0f, &big);  // beta 0 ignores C
}

TEST(OpsMatMul, GemmFusedActivation) {
  // An optimiser may fold Gemm -> Relu into one node (activation attribute, conv_util.h).
  Tensor a = random_unit({37, 20}, 1), b = random_unit({50, 20}, 2), c = random_unit({50}, 3);
  ir::Attributes attrs;
  attrs.set("transB", a_int(1));
  attrs.set("activation", a_str("Relu"));
  for (int threads : {1, 2}) {
    OpRun r = run_kernel("Gemm", attrs, {a, b, c}, threads, 1, 13);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    double max_err = 0;
    for (int64_t i = 0; i < 37; ++i)
      for (int64_t j = 0; j < 50; ++j) {
        double acc = c.data<float>()[j];
        for (int64_t p = 0; p < 20; ++p) acc += static_cast<double>(a.data<float>()[i * 20 + p]) * b.data<float>()[j * 20 + p];
        max_err = std::max(max_err, std::fabs(std::max(acc, 0.0) - r.outputs[0].data<float>()[i * 50 + j]));
      }
    EXPECT_LE(max_err, 1e-4);
  }
}

TEST(OpsMatMul, GemmErrors) {
  EXPECT_EQ(run_kernel("Gemm", {}, {random_unit({2, 3}, 1), random_unit({4, 5}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("Gemm", {}, {random_unit({2, 3}, 1), random_unit({3, 5}, 2), random_unit({3, 5}, 3)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_kernel("Gemm", {}, {random_unit({2, 3, 1}, 1), random_unit({3, 5}, 2)}).status.code(),
            StatusCode::kInvalidArgument);
}

TEST(OpsMatMul, CostCountsMacs) {
  Result<std::unique_ptr<Op>> op = create_op("MatMul", 13, "mm");
  ASSERT_TRUE(op.ok());
  InferContext ctx("mm", {ValueInfo{DataType::kFloat32, {2, 3, 4}, nullptr}, ValueInfo{DataType::kFloat32, {4, 5}, nullptr}}, 1);
  ASSERT_TRUE((*op)->infer(ctx).ok());
  EXPECT_DOUBLE_EQ((*op)->cost(ctx).flops, 2.0 * 2 * 3 * 4 * 5);
}

}  // namespace
}  // namespace top::ops

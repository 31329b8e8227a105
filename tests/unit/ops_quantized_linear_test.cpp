// Integer matmul/conv cases the ONNX Runtime cases cannot cover: MatMulInteger's per-row
// zero point of A (ONNX Runtime 1.30 refuses it), requantisation that saturates and
// rounds half to even, and refused zero points.
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace top::ops {
namespace {

using namespace top::testing;

TEST(QuantizedLinearOps, MatMulIntegerPerRowZeroPointOfA) {
  const Tensor a = Tensor::from_vector<uint8_t>({2, 2}, {10, 20, 30, 40});
  const Tensor b = Tensor::from_vector<uint8_t>({2, 1}, {3, 5});
  const Tensor za = Tensor::from_vector<uint8_t>({2}, {10, 30});
  OpRun r = run_op("MatMulInteger", {}, {a, b, za}, 13);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.out().data<int32_t>()[0], 0 * 3 + 10 * 5);  // row 0 minus 10
  EXPECT_EQ(r.out().data<int32_t>()[1], 0 * 3 + 10 * 5);  // row 1 minus 30
}

TEST(QuantizedLinearOps, QLinearMatMulSaturatesAndRoundsHalfToEven) {
  // acc = a * b; y = round(acc * 1 * 1 / 2) + 0, saturated to int8.
  const Tensor a = Tensor::from_vector<int8_t>({3, 1}, {1, 3, 100});
  const Tensor b = Tensor::from_vector<int8_t>({1, 1}, {5});
  const Tensor one = Tensor::scalar<float>(1.0f), two = Tensor::scalar<float>(2.0f);
  const Tensor z = Tensor::scalar<int8_t>(0);
  OpRun r = run_op("QLinearMatMul", {}, {a, one, z, b, one, z, two, z}, 13);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.out().dtype(), DataType::kInt8);
  EXPECT_EQ(r.out().data<int8_t>()[0], 2);    // 2.5 -> 2
  EXPECT_EQ(r.out().data<int8_t>()[1], 8);    // 7.5 -> 8
  EXPECT_EQ(r.out().data<int8_t>()[2], 127);  // 250 saturates
}

TEST(QuantizedLinearOps, ZeroPointsOfAnotherDtypeOrCountAreRefused) {
  const Tensor x = Tensor::from_vector<uint8_t>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor w = Tensor::from_vector<uint8_t>({2, 1, 2, 2}, {1, 1, 1, 1, 2, 2, 2, 2});
  OpRun dtype = run_op("ConvInteger", {}, {x, w, Tensor::scalar<int8_t>(1)}, 13);
  EXPECT_EQ(dtype.status.code(), StatusCode::kInvalidArgument) << dtype.status.to_string();
  OpRun count = run_op("ConvInteger", {}, {x, w, Tensor(), Tensor::from_vector<uint8_t>({3}, {1, 2, 3})}, 13);
  EXPECT_EQ(count.status.code(), StatusCode::kInvalidArgument) << count.status.to_string();
  OpRun ok = run_op("ConvInteger", {}, {x, w, Tensor::scalar<uint8_t>(1), Tensor::from_vector<uint8_t>({2}, {0, 1})},
                    13);
  ASSERT_TRUE(ok.status.ok()) << ok.status.to_string();
  // Output channel 1, first window: sum (x - 1) * (2 - 1) over {1, 2, 4, 5} = 0 + 1 + 3 + 4.
  EXPECT_EQ(ok.out().data<int32_t>()[4], 8);
}

}  // namespace
}  // namespace top::ops

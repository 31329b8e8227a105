// Einsum cases beyond the ONNX Runtime ones (whose checker cannot infer them):
// ellipses of different ranks broadcast numpy-style, and equations that do not fit.
#include <gtest/gtest.h>

#include "op_test_util.h"

namespace top::ops {
namespace {

using namespace top::testing;

TEST(EinsumOps, EllipsesOfDifferentRanksBroadcast) {
  const Tensor x = random_tensor<float>({2, 1, 3, 4}, 1);
  const Tensor y = random_tensor<float>({5, 4, 2}, 2);
  OpRun r = run_op("Einsum", attrs_of({{"equation", a_str("...ij,...jk->...ik")}}), {x, y}, 12);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  ASSERT_EQ(r.out().shape(), (Shape{2, 5, 3, 2}));
  const float* xp = x.data<float>();
  const float* yp = y.data<float>();
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 5; ++b)
      for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 2; ++k) {
          double ref = 0;
          for (int j = 0; j < 4; ++j) ref += double(xp[(a * 3 + i) * 4 + j]) * yp[(b * 4 + j) * 2 + k];
          EXPECT_NEAR(r.out().data<float>()[((a * 5 + b) * 3 + i) * 2 + k], ref, 1e-5);
        }
}

TEST(EinsumOps, EquationsThatDoNotFitAreRefused) {
  const Tensor x = random_tensor<float>({2, 3}, 3);
  const Tensor y = random_tensor<float>({4, 5}, 4);
  for (const char* eq : {"ij,jk->ik", "ij->k", "ij->ii", "i$,jk", "ijk->i", "ij"}) {
    OpRun r = run_op("Einsum", attrs_of({{"equation", a_str(eq)}}), {x, y}, 12);
    EXPECT_FALSE(r.status.ok()) << eq;
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << eq << ": " << r.status.to_string();
  }
}

}  // namespace
}  // namespace top::ops

// Loss operators' edge cases that the ONNX Runtime cases do not reach: a target outside
// the classes, and a mean over nothing but ignored targets.
#include <gtest/gtest.h>

#include <cmath>

#include "op_test_util.h"

namespace top::ops {
namespace {

using namespace top::testing;

TEST(LossOps, TargetOutsideTheClassesIsAnErrorUnlessIgnored) {
  Tensor lp = Tensor::from_vector<float>({2, 3}, {-1, -2, -3, -4, -5, -6});
  OpRun bad = run_op("NegativeLogLikelihoodLoss", {}, {lp, Tensor::from_vector<int64_t>({2}, {0, 3})});
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument) << bad.status.to_string();
  OpRun ignored = run_op("NegativeLogLikelihoodLoss", attrs_of({{"ignore_index", a_int(-1)}}),
                         {lp, Tensor::from_vector<int64_t>({2}, {2, -1})});
  ASSERT_TRUE(ignored.status.ok()) << ignored.status.to_string();
  EXPECT_FLOAT_EQ(ignored.out().data<float>()[0], 3.0f);  // mean over the one counted target
}

TEST(LossOps, MeanOverOnlyIgnoredTargetsIsNaN) {
  Tensor lp = Tensor::from_vector<float>({2, 2}, {-1, -2, -3, -4});
  OpRun r = run_op("SoftmaxCrossEntropyLoss", attrs_of({{"ignore_index", a_int(1)}}),
                   {lp, Tensor::from_vector<int64_t>({2}, {1, 1})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_TRUE(std::isnan(r.out().data<float>()[0]));
}

}  // namespace
}  // namespace top::ops

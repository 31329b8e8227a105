// float16 models on the CPU: operators without a float16 kernel run their float32 kernel
// between conversions (ops/float16_promotion.h), chosen per step by the planner. A
// float16 copy of a model must give what the float32 model gives on the same
// (float16-rounded) weights and inputs, to float16 precision.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <random>

#include "exec/plan.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"
#include "util/half.h"

namespace top {
namespace {

// Rounds every float initializer to float16; with `as_half` the model's floats (inputs,
// outputs, weights) become float16, else they stay float32 holding the rounded values.
onnx::ModelProto rounded(onnx::ModelProto m, bool as_half) {
  auto* g = m.mutable_graph();
  for (auto& t : *g->mutable_initializer()) {
    if (t.data_type() != onnx::TensorProto::FLOAT) continue;
    std::vector<float> v(t.float_data().begin(), t.float_data().end());
    t.clear_float_data();
    if (as_half) {
      t.set_data_type(onnx::TensorProto::FLOAT16);
      for (float f : v) t.add_int32_data(float_to_half(f));
    } else {
      for (float f : v) t.add_float_data(half_to_float(float_to_half(f)));
    }
  }
  if (as_half) {
    for (auto* list : {g->mutable_input(), g->mutable_output()})
      for (auto& vi : *list)
        if (vi.type().tensor_type().elem_type() == onnx::TensorProto::FLOAT)
          vi.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT16);
  }
  return m;
}

TEST(Float16Models, InceptionBlockInFloat16MatchesFloat32OnTheSameValues) {
  const onnx::ModelProto base = testing::inception_block_model(11);
  Model m32 = testing::load_proto(rounded(base, false));
  Model m16 = testing::load_proto(rounded(base, true));
  const Shape shape{2, 8, 10, 10};
  Tensor x32 = Tensor::zeros(DataType::kFloat32, shape);
  Tensor x16 = Tensor::zeros(DataType::kFloat16, shape);
  std::mt19937 rng(3);
  std::normal_distribution<float> nd(0.f, 1.f);
  for (int64_t i = 0; i < x32.numel(); ++i) {
    const uint16_t h = float_to_half(nd(rng));
    x16.data<uint16_t>()[i] = h;
    x32.data<float>()[i] = half_to_float(h);
  }
  auto s32 = Session::create(m32);
  auto s16 = Session::create(m16);
  ASSERT_TRUE(s32.ok() && s16.ok());
  auto y32 = (*s32)->run({x32});
  auto y16 = (*s16)->run({x16});
  ASSERT_TRUE(y32.ok()) << y32.status().to_string();
  ASSERT_TRUE(y16.ok()) << y16.status().to_string();
  ASSERT_EQ((*y16)[0].dtype(), DataType::kFloat16);
  ASSERT_EQ((*y16)[0].shape(), (*y32)[0].shape());
  double max_ref = 0, max_err = 0;
  for (int64_t i = 0; i < (*y32)[0].numel(); ++i) {
    const double ref = (*y32)[0].data<float>()[i];
    const double got = half_to_float((*y16)[0].data<uint16_t>()[i]);
    max_ref = std::max(max_ref, std::fabs(ref));
    max_err = std::max(max_err, std::fabs(got - ref));
  }
  ASSERT_GT(max_ref, 0.1);               // not a model of zeros
  EXPECT_LT(max_err / max_ref, 4e-3);    // float16 rounding of the intermediates
}

TEST(Float16Models, Bfloat16RoundsToNearestEvenAndRunsAModelThroughFloat32) {
  EXPECT_EQ(float_to_bfloat16(1.00390625f), 0x3f80);  // a tie: to the even 1.0
  EXPECT_EQ(float_to_bfloat16(1.01171875f), 0x3f82);  // a tie: to the even 1.015625
  EXPECT_EQ(float_to_bfloat16(0.48033667f), 0x3ef6);  // nearest, not truncated (0x3ef5)
  EXPECT_TRUE(std::isnan(bfloat16_to_float(float_to_bfloat16(std::nanf("")))));
  // The float16 model's graph with bfloat16 tensors: every operator through float32.
  onnx::ModelProto m = rounded(testing::inception_block_model(11), true);
  auto* g = m.mutable_graph();
  for (auto& t : *g->mutable_initializer()) {
    if (t.data_type() != onnx::TensorProto::FLOAT16) continue;
    t.set_data_type(onnx::TensorProto::BFLOAT16);
    for (int i = 0; i < t.int32_data_size(); ++i) t.set_int32_data(i, float_to_bfloat16(half_to_float(t.int32_data(i))));
  }
  for (auto* list : {g->mutable_input(), g->mutable_output()})
    for (auto& vi : *list) vi.mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::BFLOAT16);
  Model bf = testing::load_proto(m);
  auto s = Session::create(bf);
  ASSERT_TRUE(s.ok());
  Tensor x = Tensor::zeros(DataType::kBFloat16, {1, 8, 10, 10});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint16_t>()[i] = float_to_bfloat16(std::sin(0.1f * i));
  auto y = (*s)->run({x});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].dtype(), DataType::kBFloat16);
  double max_abs = 0;
  for (int64_t i = 0; i < (*y)[0].numel(); ++i)
    max_abs = std::max(max_abs, std::fabs(double(bfloat16_to_float((*y)[0].data<uint16_t>()[i]))));
  EXPECT_GT(max_abs, 0.1);
}

TEST(Float16Models, ThePlanMarksTheStepsComputedInFloat32) {
  Model m16 = testing::load_proto(rounded(testing::inception_block_model(11), true));
  auto plan = exec::make_plan(m16.graph(), {Shape{1, 8, 10, 10}});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  int widened = 0, native = 0;
  for (const exec::Step& s : (*plan)->steps) {
    const std::string& type = (*plan)->graph->nodes[s.node].op_type;
    if (s.float16_via_float32) {
      ++widened;
      EXPECT_NE(type, "Concat");  // data movement has float16 kernels
    } else {
      ++native;
    }
  }
  EXPECT_GT(widened, 0);  // the convolutions
  EXPECT_GT(native, 0);   // the Concat
}

}  // namespace
}  // namespace top

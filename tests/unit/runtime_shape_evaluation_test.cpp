// Run-time shape evaluation (Session::Impl::plan_by_evaluation): operators whose output
// shape depends on data computed from inputs too large to plan by value. The part of the
// graph computing that data runs first, then the graph is planned with it known.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

constexpr int64_t kN = 5000;  // over the 4096 elements a session plans by value

// y = Compress(x, Greater(Relu(x) - 0.5, 0)) and idx = NonZero(Relu(x)): both shapes
// depend on computed data; a Neg after Compress shows planning goes on past it.
onnx::ModelProto data_dependent_model() {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {kN});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1});
  add_value_info(g->add_output(), "idx", onnx::TensorProto::INT64, {1, -1});
  auto* half = g->add_initializer();
  half->set_name("half");
  half->set_data_type(onnx::TensorProto::FLOAT);
  half->add_float_data(0.5f);
  auto* zero = g->add_initializer();
  zero->set_name("zero");
  zero->set_data_type(onnx::TensorProto::FLOAT);
  zero->add_float_data(0.0f);
  add_node(g, "Relu", {"x"}, {"r"});
  add_node(g, "Sub", {"r", "half"}, {"shifted"});
  add_node(g, "Greater", {"shifted", "zero"}, {"keep"});
  add_node(g, "Compress", {"x", "keep"}, {"kept"});
  add_node(g, "Neg", {"kept"}, {"y"});
  add_node(g, "NonZero", {"r"}, {"idx"});
  return m;
}

TEST(RuntimeShapeEvaluation, DataDependentShapesOfComputedValuesAreEvaluatedPerRun) {
  Model model = testing::load_proto(data_dependent_model());
  auto s = Session::create(model);
  ASSERT_TRUE(s.ok());
  for (int run = 0; run < 2; ++run) {  // two runs with different data: different shapes
    std::vector<float> xs(kN);
    int64_t over_half = 0, positive = 0;
    for (int64_t i = 0; i < kN; ++i) {
      xs[i] = static_cast<float>((i * (run + 3)) % 7) - 3.0f;  // -3..3
      over_half += xs[i] > 0.5f;
      positive += xs[i] > 0.0f;
    }
    auto out = (*s)->run({Tensor::from_vector<float>({kN}, xs)});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const Tensor& y = (*out)[0];
    const Tensor& idx = (*out)[1];
    ASSERT_EQ(y.shape(), (Shape{over_half}));
    ASSERT_EQ(idx.shape(), (Shape{1, positive}));
    int64_t j = 0;
    for (int64_t i = 0; i < kN; ++i)
      if (xs[i] > 0.5f) EXPECT_EQ(y.data<float>()[j++], -xs[i]);
    j = 0;
    for (int64_t i = 0; i < kN && j < positive; ++i)
      if (xs[i] > 0.0f) EXPECT_EQ(idx.data<int64_t>()[j++], i);
  }
}

TEST(RuntimeShapeEvaluation, PlanInfoWithoutDataStillSaysWhatIsMissing) {
  Model model = testing::load_proto(data_dependent_model());
  auto s = Session::create(model);
  ASSERT_TRUE(s.ok());
  auto info = (*s)->plan_info({Shape{kN}});
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("depends on"), std::string::npos) << info.status().to_string();
}

}  // namespace
}  // namespace top

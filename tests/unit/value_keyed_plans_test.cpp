// Shape-determining inputs fed at run time (a Reshape's shape as a graph input): the
// session plans for the values it is given and keys its plans by them
// (exec::PlanOptions::input_values, Session::Impl::plan_for).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

// x[n] float, shape[2] int64 -> Reshape(x, shape); with `computed`, the shape is
// Concat(head[1], [-1]) so the Reshape's shape is computed from the graph input head.
onnx::ModelProto reshape_by_input(bool computed) {
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {-1});
  add_value_info(g->add_input(), computed ? "head" : "shape", onnx::TensorProto::INT64, {computed ? 1 : 2});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, -1});
  if (computed) {
    auto* t = g->add_initializer();
    t->set_name("rest");
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(1);
    t->add_int64_data(-1);
    add_node(g, "Concat", {"head", "rest"}, {"shape"})->add_attribute()->set_name("axis");
    auto* axis = g->mutable_node(0)->mutable_attribute(0);
    axis->set_type(onnx::AttributeProto::INT);
    axis->set_i(0);
  }
  add_node(g, "Reshape", {"x", "shape"}, {"y"});
  return m;
}

Tensor iota12() {
  std::vector<float> v(12);
  for (int i = 0; i < 12; ++i) v[i] = 0.5f * static_cast<float>(i) - 2.0f;
  return Tensor::from_vector<float>({12}, v);
}

void expect_reshaped(Session& s, const Tensor& shape_input, const Shape& want) {
  auto out = s.run({iota12(), shape_input});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ((*out)[0].shape(), want);
  for (int i = 0; i < 12; ++i) EXPECT_EQ((*out)[0].data<float>()[i], 0.5f * static_cast<float>(i) - 2.0f);
}

TEST(ValueKeyedPlans, ReshapeToAShapeGivenAsAGraphInput) {
  Model model = testing::load_proto(reshape_by_input(false));
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  expect_reshaped(**session, Tensor::from_vector<int64_t>({2}, {3, 4}), Shape{3, 4});
  expect_reshaped(**session, Tensor::from_vector<int64_t>({2}, {2, 6}), Shape{2, 6});
  expect_reshaped(**session, Tensor::from_vector<int64_t>({2}, {-1, 3}), Shape{4, 3});
  expect_reshaped(**session, Tensor::from_vector<int64_t>({2}, {3, 4}), Shape{3, 4});  // a cached plan
  // A shape that does not fit is the caller's error, and the session goes on.
  auto bad = (*session)->run({iota12(), Tensor::from_vector<int64_t>({2}, {5, 5})});
  EXPECT_FALSE(bad.ok());
  expect_reshaped(**session, Tensor::from_vector<int64_t>({2}, {6, 2}), Shape{6, 2});
}

TEST(ValueKeyedPlans, ShapeComputedFromAGraphInput) {
  Model model = testing::load_proto(reshape_by_input(true));
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  expect_reshaped(**session, Tensor::from_vector<int64_t>({1}, {4}), Shape{4, 3});
  expect_reshaped(**session, Tensor::from_vector<int64_t>({1}, {6}), Shape{6, 2});
}

TEST(ValueKeyedPlans, PlanInfoWithoutValuesSaysWhatIsMissing) {
  Model model = testing::load_proto(reshape_by_input(false));
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  auto info = (*session)->plan_info({{12}, {2}});  // no values: nothing to plan for
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("not constant at plan time"), std::string::npos) << info.status().to_string();
}

TEST(ValueKeyedPlans, MoreDistinctValuesThanThePlanCacheHolds) {
  // 300 keys (the cache holds 256, then starts over), and the first ones again.
  Model model = testing::load_proto(reshape_by_input(true));
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  for (int round = 0; round < 2; ++round) {
    for (int64_t h = 1; h <= 300; h += round == 0 ? 1 : 37) {
      std::vector<float> x(static_cast<size_t>(2 * h), 1.5f);
      auto out = (*session)->run({Tensor::from_vector<float>({2 * h}, x), Tensor::from_vector<int64_t>({1}, {h})});
      ASSERT_TRUE(out.ok()) << out.status().to_string();
      ASSERT_EQ((*out)[0].shape(), (Shape{h, 2}));
    }
  }
}

}  // namespace
}  // namespace top

// If/Loop/Scan behaviour the ONNX Runtime cases do not reach: what cannot be planned is
// refused with a message that says why (a trip count decided by the data), and an If
// whose branches differ in shape under a computed condition runs through the session's
// run-time shape evaluation.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

onnx::AttributeProto* graph_attr(onnx::NodeProto* n, const std::string& name) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(name);
  return a;
}

// Loop(M, cond, x0) whose body doubles x and computes cond_out = sum(x) < 100, with a
// scan output of x at every iteration: its length depends on the data.
onnx::ModelProto loop_with_data_dependent_trips() {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "M", onnx::TensorProto::INT64, {});
  add_value_info(g->add_input(), "x0", onnx::TensorProto::FLOAT, {3});
  add_value_info(g->add_output(), "x", onnx::TensorProto::FLOAT, {3});
  add_value_info(g->add_output(), "xs", onnx::TensorProto::FLOAT, {-1, 3});
  auto* loop = add_node(g, "Loop", {"M", "", "x0"}, {"x", "xs"});
  auto* body = graph_attr(loop, "body")->mutable_g();
  add_value_info(body->add_input(), "i", onnx::TensorProto::INT64, {});
  add_value_info(body->add_input(), "c", onnx::TensorProto::BOOL, {});
  add_value_info(body->add_input(), "x_in", onnx::TensorProto::FLOAT, {3});
  add_value_info(body->add_output(), "c_out", onnx::TensorProto::BOOL, {});
  add_value_info(body->add_output(), "x_out", onnx::TensorProto::FLOAT, {3});
  add_value_info(body->add_output(), "x_scan", onnx::TensorProto::FLOAT, {3});
  add_node(body, "Add", {"x_in", "x_in"}, {"x_out"});
  add_node(body, "ReduceSum", {"x_out"}, {"total"});
  auto* limit = body->add_initializer();
  limit->set_name("limit");
  limit->set_data_type(onnx::TensorProto::FLOAT);
  limit->add_float_data(100.0f);
  add_node(body, "Less", {"total", "limit"}, {"c_out"});
  add_node(body, "Identity", {"x_out"}, {"x_scan"});
  return m;
}

TEST(ControlFlow, ScanOutputsOfALoopWithADataDependentTripCountAreRefusedSayingWhy) {
  Model model = testing::load_proto(loop_with_data_dependent_trips());
  auto s = Session::create(model);
  ASSERT_TRUE(s.ok());
  Tensor m = Tensor::scalar<int64_t>(10);
  Tensor x = Tensor::from_vector<float>({3}, {1, 2, 3});
  auto r = (*s)->run({m, x});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported) << r.status().to_string();
  EXPECT_NE(r.status().message().find("trip count depends on the data"), std::string::npos) << r.status().to_string();
}

// y = If(x.sum() > 0) then x else Transpose(x) (or Neg(x)): the condition is computed
// from an input too large to plan by value (a session plans by the values of inputs of
// up to 4096 elements).
constexpr int64_t kRows = 2, kCols = 2100;

onnx::ModelProto if_with_computed_condition(bool same_shapes) {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {kRows, kCols});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, -1});
  add_node(g, "ReduceSum", {"x"}, {"sum"})->add_attribute()->set_name("keepdims");
  g->mutable_node(0)->mutable_attribute(0)->set_type(onnx::AttributeProto::INT);
  g->mutable_node(0)->mutable_attribute(0)->set_i(0);
  auto* zero = g->add_initializer();
  zero->set_name("zero");
  zero->set_data_type(onnx::TensorProto::FLOAT);
  zero->add_float_data(0.0f);
  add_node(g, "Greater", {"sum", "zero"}, {"cond"});
  auto* n = add_node(g, "If", {"cond"}, {"y"});
  auto* then_g = graph_attr(n, "then_branch")->mutable_g();
  add_value_info(then_g->add_output(), "t", onnx::TensorProto::FLOAT, {kRows, kCols});
  add_node(then_g, "Identity", {"x"}, {"t"});
  auto* else_g = graph_attr(n, "else_branch")->mutable_g();
  add_value_info(else_g->add_output(), "e", onnx::TensorProto::FLOAT, {same_shapes ? kRows : kCols, same_shapes ? kCols : kRows});
  if (same_shapes) {
    add_node(else_g, "Neg", {"x"}, {"e"});
  } else {
    auto* t = add_node(else_g, "Transpose", {"x"}, {"e"});
    auto* perm = t->add_attribute();
    perm->set_name("perm");
    perm->set_type(onnx::AttributeProto::INTS);
    perm->add_ints(1);
    perm->add_ints(0);
  }
  return m;
}

TEST(ControlFlow, IfWithAComputedConditionPlansOnceWhenTheBranchesAgreeAndPerRunOtherwise) {
  Model same = testing::load_proto(if_with_computed_condition(true));
  auto s = Session::create(same);
  ASSERT_TRUE(s.ok());
  const std::vector<float> ones(kRows * kCols, 1.0f), minus(kRows * kCols, -1.0f);
  auto pos = (*s)->run({Tensor::from_vector<float>({kRows, kCols}, ones)});
  ASSERT_TRUE(pos.ok()) << pos.status().to_string();
  EXPECT_EQ((*pos)[0].data<float>()[5], 1.0f);  // then: x
  auto neg = (*s)->run({Tensor::from_vector<float>({kRows, kCols}, minus)});
  ASSERT_TRUE(neg.ok()) << neg.status().to_string();
  EXPECT_EQ((*neg)[0].data<float>()[5], 1.0f);  // else: -x

  // Branches of different shapes: the condition is evaluated at run time first
  // (Session's run-time shape evaluation), so each run gets its branch's shape ...
  Model differ = testing::load_proto(if_with_computed_condition(false));
  auto d = Session::create(differ);
  ASSERT_TRUE(d.ok());
  auto then_run = (*d)->run({Tensor::from_vector<float>({kRows, kCols}, ones)});
  ASSERT_TRUE(then_run.ok()) << then_run.status().to_string();
  EXPECT_EQ((*then_run)[0].shape(), (Shape{kRows, kCols}));
  auto else_run = (*d)->run({Tensor::from_vector<float>({kRows, kCols}, minus)});
  ASSERT_TRUE(else_run.ok()) << else_run.status().to_string();
  EXPECT_EQ((*else_run)[0].shape(), (Shape{kCols, kRows}));
  // ... while without data there is nothing to plan by.
  auto info = (*d)->plan_info({Shape{kRows, kCols}});
  ASSERT_FALSE(info.ok());
  EXPECT_NE(info.status().message().find("condition must be known when planning"), std::string::npos)
      << info.status().to_string();
}

}  // namespace
}  // namespace top

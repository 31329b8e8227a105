// Models of opsets 1-6 (accepted since the ONNX backend suite showed that most such
// operators mean what they mean today), and the old semantics that must not be run
// with today's: legacy broadcast=1 (axis-aligned, not numpy's), BatchNormalization's
// spatial=0, Split-1's sizes from an input.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

constexpr int kFloat = onnx::TensorProto::FLOAT;

Result<Model> load(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  return Model::load_from_memory(bytes.data(), bytes.size());
}

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

TEST(OldOpsets, OpsetOneAndSixModelsRun) {
  for (int opset : {1, 6}) {
    SCOPED_TRACE("opset " + std::to_string(opset));
    onnx::ModelProto m = testing::empty_model(opset);
    auto* g = m.mutable_graph();
    add_value_info(g->add_input(), "x", kFloat, {2, 3});
    add_value_info(g->add_output(), "y", kFloat, {2, 3});
    add_node(g, "Softsign", {"x"}, {"s"});
    add_node(g, "Add", {"s", "x"}, {"y"});  // same shapes: no broadcast attribute needed
    auto model = load(m);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    auto session = Session::create(*model, {});
    ASSERT_TRUE(session.ok());
    auto out = (*session)->run({Tensor::from_vector<float>({2, 3}, {-3, -1, 0, 1, 2, 4})});
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    const float x[] = {-3, -1, 0, 1, 2, 4};
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ((*out)[0].data<float>()[i], x[i] / (1 + std::abs(x[i])) + x[i]);
  }
}

TEST(OldOpsets, LegacyBroadcastIsRefusedForEveryBinaryOp) {
  for (const char* op : {"Add", "Mul", "Pow", "Equal", "And"}) {
    SCOPED_TRACE(op);
    onnx::ModelProto m = testing::empty_model(6);
    auto* g = m.mutable_graph();
    const int elem = std::string(op) == "And" ? onnx::TensorProto::BOOL : kFloat;
    add_value_info(g->add_input(), "a", elem, {2, 3});
    add_value_info(g->add_input(), "b", elem, {2});
    add_value_info(g->add_output(), "y", std::string(op) == "Equal" ? onnx::TensorProto::BOOL : elem, {2, 3});
    auto* n = add_node(g, op, {"a", "b"}, {"y"});
    set_int(n, "broadcast", 1);
    set_int(n, "axis", 0);  // b along dim 0: numpy's rules would align it with dim 1
    auto model = load(m);
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(model.status().message().find("legacy broadcast"), std::string::npos) << model.status().to_string();
  }
}

TEST(OldOpsets, BatchNormalizationSpatialZeroIsRefusedBeforeOpsetNine) {
  for (int opset : {6, 7, 8}) {
    onnx::ModelProto m = testing::empty_model(opset);
    auto* g = m.mutable_graph();
    add_value_info(g->add_input(), "x", kFloat, {1, 2, 3, 3});
    for (const char* p : {"scale", "bias", "mean", "var"}) add_value_info(g->add_input(), p, kFloat, {2});
    add_value_info(g->add_output(), "y", kFloat, {1, 2, 3, 3});
    set_int(add_node(g, "BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"y"}), "spatial", 0);
    auto model = load(m);
    ASSERT_FALSE(model.ok()) << opset;
    EXPECT_NE(model.status().message().find("spatial=0"), std::string::npos) << model.status().to_string();
  }
}

TEST(OldOpsets, SplitOneTakesItsSizesFromTheSecondInput) {
  onnx::ModelProto m = testing::empty_model(1);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", kFloat, {6});
  add_value_info(g->add_output(), "p", kFloat, {2});
  add_value_info(g->add_output(), "q", kFloat, {4});
  auto* s = g->add_initializer();
  s->set_name("sizes");
  s->set_data_type(onnx::TensorProto::INT64);
  s->add_dims(2);
  s->add_int64_data(2);
  s->add_int64_data(4);
  set_int(add_node(g, "Split", {"x", "sizes"}, {"p", "q"}), "axis", 0);
  auto model = load(m);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  auto session = Session::create(*model, {});
  ASSERT_TRUE(session.ok());
  auto out = (*session)->run({Tensor::from_vector<float>({6}, {1, 2, 3, 4, 5, 6})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].shape(), (Shape{2}));
  EXPECT_EQ((*out)[1].shape(), (Shape{4}));
  EXPECT_EQ((*out)[1].data<float>()[0], 3.0f);
}

}  // namespace
}  // namespace top

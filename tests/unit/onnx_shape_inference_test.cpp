// Corrupt models whose inconsistent ranks or dims reach libonnx's shape inference: each
// once crashed or hung inside libonnx 1.12 (a null or out-of-bounds read in
// convPoolShapeInference, found by tests/fuzz/model_fuzz; the others by reading its
// inference functions) and must end in a clear error from loading or from the first
// run instead.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <random>
#include <string>

#include "ir/onnx_import.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;
using testing::add_weight;

constexpr int kFloat = onnx::TensorProto::FLOAT;

// Loads `m`; when it loads, runs it once on random inputs of its declared shapes.
// Returns the first error, which the corrupt models here must have.
Status load_and_run(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  auto model = Model::load_from_memory(bytes.data(), bytes.size());
  if (!model.ok()) return model.status();
  auto session = Session::create(*model, {});
  if (!session.ok()) return session.status();
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  std::vector<Tensor> inputs;
  for (const TensorInfo& info : model->inputs()) {
    auto t = Tensor::allocate(info.dtype, info.shape);
    if (!t.ok()) return t.status();
    if (info.dtype != DataType::kFloat32) return InvalidArgument("only float inputs are filled here");
    for (int64_t i = 0; i < t->numel(); ++i) t->data<float>()[i] = normal(rng);
    inputs.push_back(std::move(t).value());
  }
  auto out = (*session)->run(inputs);
  return out.ok() ? Status::Ok() : out.status();
}

void expect_clear_error(const onnx::ModelProto& m, const std::string& what) {
  Status s = load_and_run(m);
  EXPECT_FALSE(s.ok()) << what << " ran";
  EXPECT_FALSE(s.message().empty()) << what;
}

TEST(OnnxShapeInference, ConvWeightOfAnotherRankThanItsDeclaredInput) {
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  std::mt19937 rng(1);
  add_value_info(g->add_input(), "x", kFloat, {1, 3});
  add_value_info(g->add_output(), "y", kFloat, {1, 4});
  add_weight(g, "w", {4, 3, 3, 3}, rng);
  add_node(g, "Conv", {"x", "w"}, {"y"});
  expect_clear_error(m, "Conv of a rank-2 input with a rank-4 weight");
}

TEST(OnnxShapeInference, ConvWeightOfAnotherRankThanItsInferredInput) {
  // Flatten's output rank is known only to libonnx's inference of the node before.
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  std::mt19937 rng(2);
  add_value_info(g->add_input(), "x", kFloat, {1, 3, 4, 4});
  add_value_info(g->add_output(), "y", kFloat, {1, 4, 2, 2});
  add_weight(g, "w", {4, 3, 3, 3}, rng);
  add_node(g, "Flatten", {"x"}, {"f"});
  add_node(g, "Conv", {"f", "w"}, {"y"});
  expect_clear_error(m, "Conv of a flattened input with a rank-4 weight");
}

void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& values) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

TEST(OnnxShapeInference, LayerNormalizationOfARankZeroInputWithAMeanOutput) {
  // The default axis -1 on rank 0 once made libonnx write through dim(-1).
  onnx::ModelProto m = testing::empty_model(17);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", kFloat, {});
  add_value_info(g->add_input(), "scale", kFloat, {});
  add_value_info(g->add_output(), "y", kFloat, {});
  add_value_info(g->add_output(), "mean", kFloat, {});
  add_node(g, "LayerNormalization", {"x", "scale"}, {"y", "mean"});
  expect_clear_error(m, "LayerNormalization of a scalar");
}

TEST(OnnxShapeInference, ReshapeOfANegativeDeclaredDim) {
  // Element count -1 * 2^62 * 2 = INT64_MIN, and Reshape [0, -1] copies the -1: libonnx
  // computed INT64_MIN % -1 (SIGFPE).
  onnx::ModelProto m = testing::empty_model(14);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", kFloat, {1, 2, 2});
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(0)->set_dim_value(-1);
  g->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape()->mutable_dim(1)->set_dim_value(
      int64_t(1) << 62);
  add_value_info(g->add_output(), "y", kFloat, {1, 8});
  auto* s = g->add_initializer();
  s->set_name("shape");
  s->set_data_type(onnx::TensorProto::INT64);
  s->add_dims(2);
  s->add_int64_data(0);
  s->add_int64_data(-1);
  add_node(g, "Reshape", {"x", "shape"}, {"y"});
  expect_clear_error(m, "Reshape of a negative dim");
}

TEST(OnnxShapeInference, ConstantOfShapeOfAHugeShapeInput) {
  // libonnx added one output dim per element of the 1-D shape input: 10^12 of them.
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "s", onnx::TensorProto::INT64, {1000000000000});
  add_value_info(g->add_output(), "y", kFloat, {1});
  add_node(g, "ConstantOfShape", {"s"}, {"y"});
  expect_clear_error(m, "ConstantOfShape of a 10^12-long shape");
}

TEST(OnnxShapeInference, AutoPadPoolOverAHugeSpatialDim) {
  // With auto_pad, libonnx took the dim modulo the stride by subtraction: 2^38 steps.
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", kFloat, {1, 1, int64_t(1) << 39});
  add_value_info(g->add_output(), "y", kFloat, {1, 1, int64_t(1) << 38});
  auto* n = add_node(g, "MaxPool", {"x"}, {"y"});
  set_ints(n, "kernel_shape", {1});
  set_ints(n, "strides", {2});
  n->add_attribute()->set_name("auto_pad");
  n->mutable_attribute(2)->set_type(onnx::AttributeProto::STRING);
  n->mutable_attribute(2)->set_s("SAME_UPPER");
  expect_clear_error(m, "MaxPool over 2^39 with auto_pad");
}

TEST(OnnxShapeInference, ConvTransposeWeightOfRankOne) {
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  std::mt19937 rng(3);
  add_value_info(g->add_input(), "x", kFloat, {1, 3, 4, 4});
  add_value_info(g->add_output(), "y", kFloat, {1, 3, 6, 6});
  add_weight(g, "w", {3}, rng);
  set_ints(add_node(g, "ConvTranspose", {"x", "w"}, {"y"}), "kernel_shape", {3, 3});
  expect_clear_error(m, "ConvTranspose with a rank-1 weight");
}

TEST(OnnxShapeInference, ConsistentConvIsStillAnnotatedAndRuns) {
  // The guard must not cost valid models their inferred shapes: Conv -> Relu with no
  // declared intermediate type plans and runs.
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  std::mt19937 rng(4);
  add_value_info(g->add_input(), "x", kFloat, {1, 3, 5, 5});
  add_value_info(g->add_output(), "y", kFloat, {1, 4, 3, 3});
  add_weight(g, "w", {4, 3, 3, 3}, rng);
  add_node(g, "Conv", {"x", "w"}, {"c"});
  add_node(g, "Relu", {"c"}, {"y"});
  std::string bytes = m.SerializeAsString();
  auto graph = ir::import_onnx_bytes(bytes.data(), bytes.size(), "");
  ASSERT_TRUE(graph.ok()) << graph.status().to_string();
  bool found = false;
  for (const ir::Value& v : (*graph)->values) {
    if (v.name != "c") continue;
    found = true;
    EXPECT_TRUE(v.has_shape);
    EXPECT_EQ(v.shape, (Shape{1, 4, 3, 3}));
  }
  EXPECT_TRUE(found);
  Status s = load_and_run(m);
  EXPECT_TRUE(s.ok()) << s.to_string();
}

}  // namespace
}  // namespace top

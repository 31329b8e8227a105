// Plan-time fusion: Conv -> Add(residual) -> Relu and Gemm -> activation become one
// step, with the same results as the unfused steps on random data.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "exec/executor.h"
#include "exec/plan.h"
#include "ir/graph.h"
#include "test_models.h"
#include "util/thread_pool.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

using testing::add_weight;

Model residual_model(const std::string& act) {
  std::mt19937 rng(3);
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 3, 9, 9});
  add_value_info(g->add_input(), "z", onnx::TensorProto::FLOAT, {1, 4, 9, 9});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, 4, 9, 9});
  add_value_info(g->add_output(), "h", onnx::TensorProto::FLOAT, {1, 5});
  add_weight(g, "w", {4, 3, 3, 3}, rng);
  add_weight(g, "b", {4}, rng);
  add_weight(g, "fw", {5, 324}, rng);
  add_weight(g, "fb", {5}, rng);
  auto* conv = add_node(g, "Conv", {"x", "w", "b"}, {"c"});
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  add_node(g, "Add", {"z", "c"}, {"a"});
  auto* a = add_node(g, act, {"a"}, {"y"});
  if (act == "LeakyRelu") {
    auto* alpha = a->add_attribute();
    alpha->set_name("alpha");
    alpha->set_type(onnx::AttributeProto::FLOAT);
    alpha->set_f(0.3f);
  }
  // y -> Flatten -> Gemm -> Sigmoid: the Gemm + activation fusion.
  add_node(g, "Flatten", {"y"}, {"f"});
  auto* gemm = add_node(g, "Gemm", {"f", "fw", "fb"}, {"gm"});
  auto* tb = gemm->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
  add_node(g, "Sigmoid", {"gm"}, {"h"});
  return testing::load_proto(m);
}

TEST(Fusion, ResidualConvAndGemmMatchUnfused) {
  for (const char* act : {"Relu", "LeakyRelu", "Sigmoid"}) {
    Model model = residual_model(act);
    std::vector<Shape> shapes = {{1, 3, 9, 9}, {1, 4, 9, 9}};
    exec::PlanOptions plain;
    plain.fuse = false;
    auto fused = exec::make_plan(model.graph(), shapes);
    auto unfused = exec::make_plan(model.graph(), shapes, plain);
    ASSERT_TRUE(fused.ok() && unfused.ok()) << fused.status().to_string();
    EXPECT_EQ((*fused)->fused_nodes, 3) << act;  // Add + activation into Conv, Sigmoid into Gemm
    EXPECT_EQ((*fused)->steps.size() + 3, (*unfused)->steps.size());
    std::mt19937 rng(8);
    std::normal_distribution<float> nd;
    Tensor x = Tensor::zeros(DataType::kFloat32, shapes[0]), z = Tensor::zeros(DataType::kFloat32, shapes[1]);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
    for (int64_t i = 0; i < z.numel(); ++i) z.data<float>()[i] = nd(rng);
    ThreadPool pool(2);
    exec::Arena a1, a2;
    auto r1 = exec::run_plan(**fused, {&x, &z}, a1, &pool);
    auto r2 = exec::run_plan(**unfused, {&x, &z}, a2, &pool);
    ASSERT_TRUE(r1.ok() && r2.ok()) << r1.status().to_string();
    for (size_t o = 0; o < 2; ++o)
      for (int64_t i = 0; i < (*r1)[o].numel(); ++i)
        ASSERT_NEAR((*r1)[o].data<float>()[i], (*r2)[o].data<float>()[i], 1e-5) << act << " output " << o;
  }
}

}  // namespace
}  // namespace top

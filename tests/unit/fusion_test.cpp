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

// Conv x*w(+b) -> out with pads 1 on each side of a 2-D input.
void add_padded_conv(onnx::GraphProto* g, const std::vector<std::string>& in, const std::string& out) {
  auto* conv = add_node(g, "Conv", in, {out});
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
}

// Gemm a*b^T + c -> out.
void add_gemm_trans_b(onnx::GraphProto* g, const std::vector<std::string>& in, const std::string& out) {
  auto* gemm = add_node(g, "Gemm", in, {out});
  auto* tb = gemm->add_attribute();
  tb->set_name("transB");
  tb->set_type(onnx::AttributeProto::INT);
  tb->set_i(1);
}

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
  add_padded_conv(g, {"x", "w", "b"}, "c");
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
  add_gemm_trans_b(g, {"f", "fw", "fb"}, "gm");
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

// x -> Conv -> c; Mul(HardSigmoid(c; 0.2, 0.45), c) = y; y -> Flatten -> Gemm -> gm;
// Mul(gm, HardSigmoid(gm)) = h; and a third HardSigmoid/Mul pair whose Mul reads another
// tensor (a squeeze-excitation scale: not a HardSwish, left alone).
Model hard_swish_model() {
  std::mt19937 rng(5);
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 3, 9, 9});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, 4, 9, 9});
  add_value_info(g->add_output(), "h", onnx::TensorProto::FLOAT, {1, 5});
  add_value_info(g->add_output(), "se", onnx::TensorProto::FLOAT, {1, 4, 9, 9});
  add_weight(g, "w", {4, 3, 3, 3}, rng);
  add_weight(g, "b", {4}, rng);
  add_weight(g, "w2", {4, 3, 1, 1}, rng);
  add_weight(g, "fw", {5, 324}, rng);
  add_weight(g, "fb", {5}, rng);
  add_padded_conv(g, {"x", "w", "b"}, "c");
  auto* hs = add_node(g, "HardSigmoid", {"c"}, {"hs"});
  for (auto [name, v] : {std::pair<const char*, float>{"alpha", 0.2f}, {"beta", 0.45f}}) {
    auto* a = hs->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(v);
  }
  add_node(g, "Mul", {"hs", "c"}, {"y"});
  add_node(g, "Flatten", {"y"}, {"f"});
  add_gemm_trans_b(g, {"f", "fw", "fb"}, "gm");
  add_node(g, "HardSigmoid", {"gm"}, {"hg"});
  add_node(g, "Mul", {"gm", "hg"}, {"h"});
  add_node(g, "Conv", {"x", "w2"}, {"c2"});  // Mul(HardSigmoid(c2), y): not c2 * HardSigmoid(c2)
  add_node(g, "HardSigmoid", {"c2"}, {"s2"});
  add_node(g, "Mul", {"s2", "y"}, {"se"});
  return testing::load_proto(m);
}

TEST(Fusion, HardSigmoidTimesInputFusesAsHardSwish) {
  Model model = hard_swish_model();
  exec::PlanOptions plain;
  plain.fuse = false;
  auto fused = exec::make_plan(model.graph(), {{1, 3, 9, 9}});
  auto unfused = exec::make_plan(model.graph(), {{1, 3, 9, 9}}, plain);
  ASSERT_TRUE(fused.ok() && unfused.ok()) << fused.status().to_string();
  // Both pairs into their Conv and Gemm; the third pair stays (its HardSigmoid still fuses
  // into c2's Conv as a plain activation: c2 has no other reader).
  EXPECT_EQ((*fused)->fused_nodes, 5);
  int hard_swish = 0;
  for (const exec::Step& s : (*fused)->steps)
    if (s.attrs && s.attrs->get_string("activation", "") == "HardSwish") {
      ++hard_swish;
      const std::vector<float> p = s.attrs->get_floats("activation_params");
      ASSERT_EQ(p.size(), 2u);
      const bool conv = (*fused)->graph->nodes[s.node].op_type == "Conv";
      EXPECT_EQ(p[0], conv ? 0.2f : 0.2f);  // the HardSigmoid's alpha (Gemm's pair: the default)
      EXPECT_EQ(p[1], conv ? 0.45f : 0.5f);
    }
  EXPECT_EQ(hard_swish, 2);
  std::mt19937 rng(9);
  std::normal_distribution<float> nd(0.0f, 3.0f);  // across the hard sigmoid's knees
  Tensor x = Tensor::zeros(DataType::kFloat32, {1, 3, 9, 9});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(rng);
  x.data<float>()[7] = std::nanf("");
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    exec::Arena a1, a2;
    auto r1 = exec::run_plan(**fused, {&x}, a1, &pool);
    auto r2 = exec::run_plan(**unfused, {&x}, a2, &pool);
    ASSERT_TRUE(r1.ok() && r2.ok()) << r1.status().to_string();
    for (size_t o = 0; o < 3; ++o)
      for (int64_t i = 0; i < (*r1)[o].numel(); ++i) {
        const float a = (*r1)[o].data<float>()[i], b = (*r2)[o].data<float>()[i];
        // The same activation formula; the convolution's own summation order may differ
        // once it has an epilogue (as in the test above).
        ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 1e-5f + 1e-5f * std::fabs(b))
            << "output " << o << " element " << i << ": " << a << " vs " << b;
      }
  }
}

}  // namespace
}  // namespace top

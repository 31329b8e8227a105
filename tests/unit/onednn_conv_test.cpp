// oneDNN convolutions (ops/onednn/onednn_conv.h) against the reference kernels on
// random inputs: strides, pads, dilations, groups (depthwise), odd channel counts,
// batch > 1, 1-D/2-D/3-D, every fused activation, the fused residual sum, and NaN
// inputs, on one and two threads. A plan without plan kernels runs the reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "exec/executor.h"
#include "exec/plan.h"
#include "ops/op.h"
#include "test_models.h"
#include "util/thread_pool.h"

#if defined(TOP_HAVE_ONEDNN)
#include "ops/onednn/onednn_conv.h"
#endif

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

struct Case {
  std::vector<int64_t> x;  // N, C, spatial...
  int64_t out_channels, kernel, stride, pad, dilation, group;
  std::string act;  // "" or an activation op the fusion pass folds into the Conv
  bool residual;    // Conv -> Add(z) (-> act)
  bool nan = false;
};

std::string name_of(const Case& c) {
  std::string s = "x";
  for (int64_t d : c.x) s += "_" + std::to_string(d);
  return s + " m" + std::to_string(c.out_channels) + " k" + std::to_string(c.kernel) + " s" + std::to_string(c.stride) +
         " p" + std::to_string(c.pad) + " d" + std::to_string(c.dilation) + " g" + std::to_string(c.group) + " " + c.act +
         (c.residual ? " +z" : "") + (c.nan ? " nan" : "");
}

void ints_attr(onnx::NodeProto* n, const std::string& name, size_t count, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (size_t i = 0; i < count; ++i) a->add_ints(v);
}

Shape output_shape(const Case& c) {
  Shape y{c.x[0], c.out_channels};
  for (size_t d = 2; d < c.x.size(); ++d)
    y.push_back((c.x[d] + 2 * c.pad - (c.kernel - 1) * c.dilation - 1) / c.stride + 1);
  return y;
}

Model conv_model(const Case& c) {
  std::mt19937 rng(17);
  onnx::ModelProto m = testing::empty_model(14);
  auto* g = m.mutable_graph();
  const size_t nd = c.x.size() - 2;
  const Shape y = output_shape(c);
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, c.x);
  if (c.residual) add_value_info(g->add_input(), "z", onnx::TensorProto::FLOAT, y);
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, y);
  std::vector<int64_t> w{c.out_channels, c.x[1] / c.group};
  for (size_t d = 0; d < nd; ++d) w.push_back(c.kernel);
  testing::add_weight(g, "w", w, rng);
  testing::add_weight(g, "b", {c.out_channels}, rng);
  std::string cur = "c";
  auto* conv = add_node(g, "Conv", {"x", "w", "b"}, {cur});
  ints_attr(conv, "pads", 2 * nd, c.pad);
  ints_attr(conv, "strides", nd, c.stride);
  ints_attr(conv, "dilations", nd, c.dilation);
  auto* grp = conv->add_attribute();
  grp->set_name("group");
  grp->set_type(onnx::AttributeProto::INT);
  grp->set_i(c.group);
  if (c.residual) {
    add_node(g, "Add", {cur, "z"}, {"s"});
    cur = "s";
  }
  if (!c.act.empty()) {
    add_node(g, c.act, {cur}, {"a"});
    cur = "a";
  }
  add_node(g, "Identity", {cur}, {"y"});
  return testing::load_proto(m);
}

Tensor random(const Shape& s, unsigned seed, bool nan) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd;
  Tensor t = Tensor::zeros(DataType::kFloat32, s);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
  if (nan)
    for (int64_t i = 0; i < t.numel(); i += 97) t.data<float>()[i] = std::nanf("");
  return t;
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {{1, 3, 17, 17}, 8, 3, 1, 1, 1, 1, "Relu", false},
      {{2, 16, 12, 10}, 24, 1, 1, 0, 1, 1, "", true},
      {{2, 16, 12, 10}, 24, 1, 1, 0, 1, 1, "Relu", true},
      {{1, 12, 15, 15}, 12, 3, 2, 1, 1, 12, "HardSwish", false},
      {{2, 10, 9, 11}, 6, 5, 1, 2, 2, 2, "LeakyRelu", false},
      {{1, 7, 20, 20}, 5, 7, 2, 3, 1, 1, "Sigmoid", false},
      {{3, 5, 8, 8}, 9, 3, 1, 1, 1, 1, "Tanh", true},
      {{1, 6, 14, 14}, 6, 3, 1, 1, 1, 3, "HardSigmoid", false},
      {{2, 4, 30}, 6, 3, 1, 1, 1, 1, "Relu", false},
      {{1, 3, 6, 7, 8}, 4, 3, 1, 1, 1, 1, "", false},
      {{1, 8, 10, 10}, 8, 3, 1, 1, 1, 1, "Relu", true, true},
      {{1, 8, 10, 10}, 8, 1, 1, 0, 1, 1, "Sigmoid", false, true},
  };
  return all;
}

TEST(OnednnConv, MatchesTheReferenceKernelsOnRandomShapes) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(name_of(c));
    Model model = conv_model(c);
    std::vector<Shape> shapes{c.x};
    if (c.residual) shapes.push_back(output_shape(c));
    exec::PlanOptions reference;
    reference.plan_kernels = false;
    auto with = exec::make_plan(model.graph(), shapes);
    auto without = exec::make_plan(model.graph(), shapes, reference);
    ASSERT_TRUE(with.ok() && without.ok()) << with.status().to_string() << " " << without.status().to_string();
    EXPECT_EQ((*without)->plan_kernels, 0);
#if defined(TOP_HAVE_ONEDNN)
    // The fused Conv is the only compute step left; it runs on oneDNN (unless
    // TOP_ONEDNN=0 turned it off for this run: then both plans run the reference).
    if (ops::onednn_enabled()) {
      ASSERT_EQ((*with)->plan_kernels, 1);
      bool named = false;
      for (const exec::Step& s : (*with)->steps)
        if (s.op && s.op->kernel_name().rfind("onednn:", 0) == 0) named = true;
      EXPECT_TRUE(named);
    }
#endif
    Tensor x = random(c.x, 5, c.nan);
    Tensor z = random(output_shape(c), 6, false);
    std::vector<const Tensor*> inputs{&x};
    if (c.residual) inputs.push_back(&z);
    for (int threads : {1, 2}) {
      ThreadPool pool(threads);
      exec::Arena a1, a2;  // separate arenas: outputs may live in them
      auto got = exec::run_plan(**with, inputs, a1, &pool);
      auto want = exec::run_plan(**without, inputs, a2, &pool);
      ASSERT_TRUE(got.ok() && want.ok()) << got.status().to_string() << " " << want.status().to_string();
      const Tensor& g = (*got)[0];
      const Tensor& w = (*want)[0];
      ASSERT_EQ(g.shape(), w.shape());
      int bad = 0;
      for (int64_t i = 0; i < g.numel() && bad < 5; ++i) {
        const float a = g.data<float>()[i], b = w.data<float>()[i];
        const bool ok = (std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 1e-4f + 1e-4f * std::fabs(b);
        if (!ok) {
          ++bad;
          ADD_FAILURE() << "threads " << threads << " element " << i << ": onednn " << a << ", reference " << b;
        }
      }
      // A second run of the same plan reuses the compiled primitive and packed weights.
      exec::Arena a3;
      auto again = exec::run_plan(**with, inputs, a3, &pool);
      ASSERT_TRUE(again.ok());
      for (int64_t i = 0; i < g.numel(); ++i) {
        const float a = (*again)[0].data<float>()[i], b = g.data<float>()[i];
        ASSERT_TRUE((std::isnan(a) && std::isnan(b)) || a == b) << "rerun element " << i;
      }
    }
  }
}

}  // namespace
}  // namespace top

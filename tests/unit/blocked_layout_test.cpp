// Channel-blocked activations (exec/layout.h, ops/blocked_layout.h).
//
// Kernels: every kernel that takes the blocked layout computes, on blocked copies of
// random inputs (NaNs included where the op has a NaN rule), exactly what it computes on
// the plain ones, for B = 8 and 16 — these need no oneDNN and run in every build.
// Plans: a CNN-shaped graph (convolutions, pools, Concat, BatchNormalization, Pad,
// squeeze-excitation Mul, residual Add) planned with blocked layouts gives the reference
// kernels' outputs, keeps its inner activations blocked and leaves graph inputs and
// outputs and the values plain-only operators read plain.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "exec/executor.h"
#include "exec/plan.h"
#include "ops/blocked_layout.h"
#include "op_test_util.h"
#include "test_models.h"
#include "util/thread_pool.h"

namespace top {
namespace {

using testing::a_int;
using testing::a_ints;
using testing::attrs_of;

// [N, C, spatial...] -> [N, C/B, spatial..., B] and back (an index map written apart
// from the library's, as the reference).
Tensor convert(const Tensor& x, int b, bool to_blocked) {
  const ops::BlockedPlanes p = ops::blocked_planes(x.shape(), b);
  Tensor y = Tensor::zeros(DataType::kFloat32, x.shape());
  const int64_t c = x.dim(1);
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t s = 0; s < p.spatial; ++s) {
        const int64_t blocked = ((n * p.channel_blocks + ch / b) * p.spatial + s) * b + ch % b;
        const int64_t plain = (n * c + ch) * p.spatial + s;
        y.data<float>()[to_blocked ? blocked : plain] = x.data<float>()[to_blocked ? plain : blocked];
      }
  return y;
}
Tensor to_blocked(const Tensor& x, int b) { return convert(x, b, true); }
Tensor from_blocked(const Tensor& y, int b) { return convert(y, b, false); }

Tensor with_nans(Tensor t) {
  for (int64_t i = 3; i < t.numel(); i += 89) t.data<float>()[i] = std::numeric_limits<float>::quiet_NaN();
  return t;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  int bad = 0;
  for (int64_t i = 0; i < got.numel() && bad < 5; ++i) {
    const float a = got.data<float>()[i], b = want.data<float>()[i];
    if ((std::isnan(a) && std::isnan(b)) || std::fabs(a - b) <= 1e-5f + 1e-5f * std::fabs(b)) continue;
    ++bad;
    ADD_FAILURE() << what << " element " << i << ": blocked " << a << ", plain " << b;
  }
}

struct KernelCase {
  std::string name, op;
  ir::Attributes attrs;
  std::vector<Tensor> inputs;
  std::vector<bool> blocked_inputs;  // which inputs are [N, C, spatial...] and go blocked
  bool blocked_output = true;        // false: the output reads the same in both layouts
};

// The op accepts the layouts the case gives it (Op::blocked_layouts), and its blocked
// run equals its plain run.
void check_kernel(const KernelCase& c, int block) {
  SCOPED_TRACE(c.name + " B=" + std::to_string(block));
  ir::Node node;
  node.name = "n0";
  node.op_type = c.op;
  node.opset = 17;
  node.attrs = c.attrs;
  auto op = ops::OpRegistry::builtin().create(node);
  ASSERT_TRUE(op.ok()) << op.status().to_string();
  std::vector<ops::ValueInfo> infos;
  for (const Tensor& t : c.inputs) infos.push_back(ops::ValueInfo{t.dtype(), t.shape(), &t});
  ops::InferContext ictx("n0", infos, 1);
  ASSERT_TRUE((*op)->infer(ictx).ok());
  const ops::BlockedLayouts rule = (*op)->blocked_layouts(ictx);
  for (size_t i = 0; i < c.inputs.size(); ++i)
    if (c.blocked_inputs[i]) EXPECT_TRUE(rule.same || ((rule.inputs >> i) & 1u)) << "input " << i;
  if (c.blocked_output) EXPECT_TRUE(rule.same || (rule.outputs & 1u));

  auto plain = testing::run_op_with(c.op, c.attrs, c.inputs, testing::RunOptions{});
  ASSERT_TRUE(plain.status.ok()) << plain.status.to_string();
  testing::RunOptions ro;
  std::vector<Tensor> inputs;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    inputs.push_back(c.blocked_inputs[i] ? to_blocked(c.inputs[i], block) : c.inputs[i]);
    ro.in_blocks.push_back(c.blocked_inputs[i] ? block : 0);
  }
  ro.out_blocks = {c.blocked_output ? block : 0};
  ro.nan_fill = true;
  for (int threads : {1, 2}) {
    ro.threads = threads;
    auto blocked = testing::run_op_with(c.op, c.attrs, inputs, ro);
    ASSERT_TRUE(blocked.status.ok()) << blocked.status.to_string();
    expect_close(c.blocked_output ? from_blocked(blocked.out(), block) : blocked.out(), plain.out(),
                 "threads " + std::to_string(threads));
  }
}

std::vector<KernelCase> kernel_cases() {
  using testing::random_tensor;
  const Tensor x = random_tensor<float>({2, 32, 9, 11}, 1);
  const Tensor x3 = random_tensor<float>({1, 16, 5, 6, 7}, 2);
  std::vector<KernelCase> cases;
  cases.push_back({"maxpool 3x3 s2 p1 nan", "MaxPool",
                   attrs_of({{"kernel_shape", a_ints({3, 3})}, {"strides", a_ints({2, 2})}, {"pads", a_ints({1, 1, 1, 1})}}),
                   {with_nans(x)}, {true}});
  cases.push_back({"maxpool ceil dilated", "MaxPool",
                   attrs_of({{"kernel_shape", a_ints({3, 2})}, {"strides", a_ints({2, 1})}, {"ceil_mode", a_int(1)},
                             {"dilations", a_ints({1, 2})}}),
                   {x}, {true}});
  cases.push_back({"avgpool include pad", "AveragePool",
                   attrs_of({{"kernel_shape", a_ints({3, 3})}, {"pads", a_ints({1, 1, 1, 1})}, {"count_include_pad", a_int(1)}}),
                   {x}, {true}});
  cases.push_back({"avgpool exclude pad s2", "AveragePool",
                   attrs_of({{"kernel_shape", a_ints({2, 3})}, {"strides", a_ints({2, 2})}, {"pads", a_ints({0, 1, 1, 1})}}),
                   {x}, {true}});
  cases.push_back({"maxpool 3-D", "MaxPool", attrs_of({{"kernel_shape", a_ints({2, 3, 2})}}), {x3}, {true}});
  cases.push_back({"global average", "GlobalAveragePool", {}, {x}, {true}, false});
  cases.push_back({"global max nan", "GlobalMaxPool", {}, {with_nans(x)}, {true}, false});
  cases.push_back({"batchnorm", "BatchNormalization", {},
                   {x, random_tensor<float>({32}, 3), random_tensor<float>({32}, 4), random_tensor<float>({32}, 5),
                    random_tensor<float>({32}, 6, 0.1, 2.0)},
                   {true, false, false, false, false}});
  cases.push_back({"pad spatial", "Pad", {}, {x, testing::i64({0, 0, 1, 2, 0, 0, 3, 0}), testing::f32({}, {0.5f})},
                   {true, false, false}});
  cases.push_back({"pad zeros", "Pad", {}, {x, testing::i64({0, 0, 0, 0, 0, 0, 0, 0})}, {true, false}});
  cases.push_back({"mul channel scale", "Mul", {}, {x, random_tensor<float>({2, 32, 1, 1}, 7)}, {true, false}});
  cases.push_back({"div scale first", "Div", {}, {random_tensor<float>({1, 32, 1, 1}, 8), x}, {false, true}});
  cases.push_back({"add same shape", "Add", {}, {x, random_tensor<float>({2, 32, 9, 11}, 9)}, {true, true}});
  cases.push_back({"concat channels", "Concat", attrs_of({{"axis", a_int(1)}}),
                   {x, random_tensor<float>({2, 16, 9, 11}, 10)}, {true, true}});
  cases.push_back({"relu nan", "Relu", {}, {with_nans(x)}, {true}});
  cases.push_back({"hardsigmoid", "HardSigmoid", {}, {x}, {true}});
  return cases;
}

TEST(BlockedLayoutKernels, BlockedRunsEqualPlainRuns) {
  for (const KernelCase& c : kernel_cases())
    for (int block : {8, 16}) check_kernel(c, block);
}

TEST(BlockedLayoutKernels, PlainOnlyWhereTheLayoutCannotHold) {
  const Tensor x = testing::random_tensor<float>({1, 16, 6, 6}, 1);
  auto rule = [](const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                 size_t outputs = 1) {
    ir::Node node;
    node.name = "n0";
    node.op_type = type;
    node.opset = 17;
    node.attrs = attrs;
    auto op = ops::OpRegistry::builtin().create(node);
    std::vector<ops::ValueInfo> infos;
    for (const Tensor& t : inputs) infos.push_back(ops::ValueInfo{t.dtype(), t.shape(), &t});
    ops::InferContext ctx("n0", infos, outputs);
    EXPECT_TRUE((*op)->infer(ctx).ok());
    return (*op)->blocked_layouts(ctx);
  };
  // Padding the channels, reflecting, pooling with Indices, a softmax over channels.
  EXPECT_EQ(rule("Pad", {}, {x, testing::i64({0, 1, 0, 0, 0, 0, 0, 0})}).inputs, 0u);
  EXPECT_EQ(rule("Pad", attrs_of({{"mode", testing::a_str("reflect")}}), {x, testing::i64({0, 0, 1, 1, 0, 0, 1, 1})}).inputs,
            0u);
  EXPECT_EQ(rule("MaxPool", attrs_of({{"kernel_shape", a_ints({2, 2})}}), {x}, 2).inputs, 0u);
  EXPECT_FALSE(rule("Softmax", attrs_of({{"axis", a_int(1)}}), {x}).same);
  EXPECT_FALSE(rule("Concat", attrs_of({{"axis", a_int(2)}}), {x, x}).same);
  EXPECT_FALSE(rule("Add", {}, {x, testing::random_tensor<float>({1, 1, 6, 6}, 2)}).same);
}

// ---- plans ------------------------------------------------------------------------

void ints_attr(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void int_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

// x[1,3,20,20] -> conv 3x3 (32) relu -> maxpool 3x3 s2 p1 -> {conv 1x1 (16), conv 3x3 (16)}
// -> concat (32) -> BN -> relu = graph output "mid" -> pad (zeros) -> avgpool 2 -> conv 1x1
// (32) (+ residual from the same avgpool output) -> SE: global avgpool -> conv 1x1 (32)
// -> sigmoid -> mul -> softmax over channels (plain only) -> y.
Model cnn_model() {
  std::mt19937 rng(23);
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 3, 20, 20});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, 32, 5, 5});
  testing::add_value_info(g->add_output(), "mid", onnx::TensorProto::FLOAT, {1, 32, 10, 10});
  auto conv = [&](const std::string& in, const std::string& out, int64_t cin, int64_t cout, int64_t k) {
    testing::add_weight(g, out + "_w", {cout, cin, k, k}, rng);
    testing::add_weight(g, out + "_b", {cout}, rng);
    auto* n = testing::add_node(g, "Conv", {in, out + "_w", out + "_b"}, {out});
    ints_attr(n, "pads", {k / 2, k / 2, k / 2, k / 2});
  };
  conv("x", "c1", 3, 32, 3);
  testing::add_node(g, "Relu", {"c1"}, {"r1"});
  auto* mp = testing::add_node(g, "MaxPool", {"r1"}, {"p1"});
  ints_attr(mp, "kernel_shape", {3, 3});
  ints_attr(mp, "strides", {2, 2});
  ints_attr(mp, "pads", {1, 1, 1, 1});
  conv("p1", "b1", 32, 16, 1);
  conv("p1", "b2", 32, 16, 3);
  auto* cat = testing::add_node(g, "Concat", {"b1", "b2"}, {"cat"});
  int_attr(cat, "axis", 1);
  for (const char* n : {"bn_s", "bn_b", "bn_m"}) testing::add_weight(g, n, {32}, rng);
  testing::add_weight(g, "bn_v", {32}, rng);
  testing::add_node(g, "Abs", {"bn_v"}, {"bn_va"});
  testing::add_node(g, "BatchNormalization", {"cat", "bn_s", "bn_b", "bn_m", "bn_va"}, {"bn"});
  testing::add_node(g, "Relu", {"bn"}, {"mid"});
  auto* pads = g->add_initializer();
  pads->set_name("zero_pads");
  pads->set_data_type(onnx::TensorProto::INT64);
  pads->add_dims(8);
  for (int i = 0; i < 8; ++i) pads->add_int64_data(0);
  testing::add_node(g, "Pad", {"mid", "zero_pads"}, {"padded"});
  auto* ap = testing::add_node(g, "AveragePool", {"padded"}, {"a1"});
  ints_attr(ap, "kernel_shape", {2, 2});
  ints_attr(ap, "strides", {2, 2});
  conv("a1", "c2", 32, 32, 1);
  testing::add_node(g, "Add", {"c2", "a1"}, {"res"});
  testing::add_node(g, "GlobalAveragePool", {"res"}, {"gap"});
  conv("gap", "se", 32, 32, 1);
  testing::add_node(g, "Sigmoid", {"se"}, {"se_s"});
  testing::add_node(g, "Mul", {"res", "se_s"}, {"scaled"});
  auto* sm = testing::add_node(g, "Softmax", {"scaled"}, {"y"});
  int_attr(sm, "axis", 1);
  return testing::load_proto(m);
}

TEST(BlockedLayoutPlans, MatchTheReferenceAndKeepInnerValuesBlocked) {
  Model model = cnn_model();
  const int block = ops::preferred_channel_block();
  auto blocked = exec::make_plan(model.graph(), {{1, 3, 20, 20}});
  exec::PlanOptions ref_opts;
  ref_opts.plan_kernels = false;
  auto reference = exec::make_plan(model.graph(), {{1, 3, 20, 20}}, ref_opts);
  ASSERT_TRUE(blocked.ok() && reference.ok()) << blocked.status().to_string() << reference.status().to_string();
  const exec::ExecutionPlan& p = **blocked;
  EXPECT_EQ((*reference)->blocked_values, 0);
  const ir::Graph& g = *p.graph;
  auto value = [&](const std::string& name) {
    for (size_t v = 0; v < g.values.size(); ++v)
      if (g.values[v].name == name) return p.slots[v];
    ADD_FAILURE() << "no value " << name;
    return exec::Slot{};
  };
  if (block == 0) {
    EXPECT_EQ(p.blocked_values, 0);  // no blocked kernel here: nothing changes
  } else {
    EXPECT_EQ(p.channel_block, block);
    // Between blocked kernels: the pool, the branches, the concat, the pad's output, the
    // residual block.
    for (const char* name : {"p1", "b1", "b2", "cat", "padded", "a1", "res"})
      EXPECT_EQ(value(name).channel_block, block) << name;
    // The graph input and outputs and what shares a layout with them (the Relu's input),
    // what the softmax reads, the [1,32,1,1] values: plain. BN, Pad and Mul convert.
    for (const char* name : {"x", "bn", "mid", "scaled", "y", "gap", "se_s"})
      EXPECT_EQ(value(name).channel_block, 0) << name;
    EXPECT_GT(p.layout_boundaries, 0);
  }
  const Tensor x = testing::random_tensor<float>({1, 3, 20, 20}, 4);
  for (int threads : {1, 2}) {
    ThreadPool pool(threads);
    exec::Arena a1, a2;
    auto got = exec::run_plan(p, {&x}, a1, &pool);
    auto want = exec::run_plan(**reference, {&x}, a2, &pool);
    ASSERT_TRUE(got.ok() && want.ok()) << got.status().to_string() << " " << want.status().to_string();
    for (size_t o = 0; o < want->size(); ++o) {
      const Tensor& a = (*got)[o];
      const Tensor& b = (*want)[o];
      ASSERT_EQ(a.shape(), b.shape());
      for (int64_t i = 0; i < a.numel(); ++i)
        ASSERT_NEAR(a.data<float>()[i], b.data<float>()[i], 1e-4 + 1e-4 * std::fabs(b.data<float>()[i]))
            << "output " << o << " element " << i << " threads " << threads;
    }
  }
}

TEST(BlockedLayoutPlans, OffByOption) {
  Model model = cnn_model();
  exec::PlanOptions opts;
  opts.blocked_layouts = false;
  auto plan = exec::make_plan(model.graph(), {{1, 3, 20, 20}}, opts);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ((*plan)->blocked_values, 0);
  for (const exec::Slot& s : (*plan)->slots) EXPECT_EQ(s.channel_block, 0);
  for (const exec::Step& s : (*plan)->steps) EXPECT_TRUE(s.in_blocks.empty() && s.out_blocks.empty());
}

}  // namespace
}  // namespace top

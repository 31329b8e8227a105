// Hostile integers in attributes and shape inputs (pads = INT64_MAX, huge kernels,
// dims whose product wraps) are errors that name the node and the attribute: at
// Model::load when an attribute decides it, at planning when a constant input does —
// never a crash, never a wrapped (wrong) output shape.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/checked_math.h"
#include "ops/op.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"

namespace top {
namespace {

using namespace top::testing;

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// ---- models built in the test, loaded from memory ---------------------------------------

void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void add_int64_initializer(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& v) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(v.size()));
  for (int64_t x : v) t->add_int64_data(x);
}

// x[1, 2, 8, 8] -> <op> (node "victim") -> y; `attrs` sets the node's attributes.
onnx::ModelProto one_node_model(const std::string& op, int opset, const std::function<void(onnx::NodeProto*)>& attrs,
                                bool with_weight = false) {
  onnx::ModelProto m = empty_model(opset);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 2, 8, 8});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, -1, -1, -1});
  std::vector<std::string> in = {"x"};
  if (with_weight) {
    std::mt19937 rng(5);
    add_weight(g, "w", {3, 2, 3, 3}, rng);
    in.push_back("w");
  }
  attrs(add_node(g, op, in, {"y"}, "victim"));
  return m;
}

Result<Model> load(const onnx::ModelProto& m) {
  const std::string bytes = m.SerializeAsString();
  return Model::load_from_memory(bytes.data(), bytes.size());
}

// The model must fail to load with InvalidArgument naming the node and `attr`.
void expect_load_error(const onnx::ModelProto& m, const std::string& attr, const std::string& what) {
  Result<Model> r = load(m);
  ASSERT_FALSE(r.ok()) << what << ": loaded";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << what << ": " << r.status().to_string();
  EXPECT_NE(r.status().message().find("victim"), std::string::npos) << what << ": " << r.status().to_string();
  EXPECT_NE(r.status().message().find(attr), std::string::npos) << what << ": " << r.status().to_string();
}

TEST(OpsOverflow, WindowAttributesPastTheLimitFailAtLoad) {
  struct Case {
    const char* op;
    bool weight;
    const char* attr;
    std::vector<int64_t> value;
  };
  const std::vector<Case> cases = {
      {"Conv", true, "pads", {kMax, kMax, 0, 0}},
      {"Conv", true, "pads", {0, 0, kMax, 1}},
      {"Conv", true, "strides", {kMax, 1}},
      {"Conv", true, "dilations", {kMax, 1}},
      {"Conv", true, "strides", {0, 1}},
      {"Conv", true, "dilations", {-1, 1}},
      {"MaxPool", false, "pads", {kMax, 0, kMax, 0}},
      {"MaxPool", false, "pads", {-1, 0, 0, 0}},
      {"MaxPool", false, "kernel_shape", {kMax, 2}},
      {"MaxPool", false, "kernel_shape", {0, 2}},
      {"MaxPool", false, "strides", {-3, 1}},
      {"AveragePool", false, "pads", {kMax, kMax, kMax, kMax}},
      {"ConvTranspose", true, "output_padding", {kMax, 0}},
      {"ConvTranspose", true, "pads", {kMax, 0, 0, 0}},
  };
  for (const Case& c : cases) {
    onnx::ModelProto m = one_node_model(c.op, 13, [&](onnx::NodeProto* n) {
      if (std::string(c.attr) != "kernel_shape" && !c.weight) set_ints(n, "kernel_shape", {2, 2});
      set_ints(n, c.attr, c.value);
    }, c.weight);
    expect_load_error(m, c.attr, std::string(c.op) + " " + c.attr + " " + ops::ints_str(c.value));
  }
}

TEST(OpsOverflow, DilatedWindowWhoseExtentOverflowsFailsAtLoad) {
  // (3 - 1) * 2^62 + 1 wraps past INT64_MAX; each value alone is below 2^63.
  onnx::ModelProto m = one_node_model("MaxPool", 13, [](onnx::NodeProto* n) {
    set_ints(n, "kernel_shape", {3, 3});
    set_ints(n, "dilations", {int64_t{1} << 62, 1});
  });
  expect_load_error(m, "dilations", "MaxPool extent");
}

TEST(OpsOverflow, ConvGroupAndPadAttributeFailAtLoad) {
  expect_load_error(one_node_model("Conv", 13, [](onnx::NodeProto* n) { set_int(n, "group", kMax); }, true), "group",
                    "Conv group");
  expect_load_error(one_node_model("Pad", 7, [](onnx::NodeProto* n) { set_ints(n, "pads", {0, 0, kMax, 0, 0, 0, 1, 0}); }),
                    "pads", "Pad-7 pads");
}

// Pad from opset 11 reads its pads from an input: the constant is judged when the
// session plans, before anything is allocated or run.
TEST(OpsOverflow, PadInputOfInt64MaxFailsAtPlanning) {
  for (std::vector<int64_t> pads : {std::vector<int64_t>{0, 0, kMax, 0, 0, 0, 1, 0},
                                    std::vector<int64_t>{0, 0, int64_t{1} << 48, 0, 0, 0, int64_t{1} << 48, 0}}) {
    onnx::ModelProto m = empty_model(13);
    auto* g = m.mutable_graph();
    add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 2, 8, 8});
    add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, -1, -1, -1});
    add_int64_initializer(g, "pads", pads);
    add_node(g, "Pad", {"x", "pads"}, {"y"}, "victim");
    Result<Model> model = load(m);
    if (!model.ok()) {  // refusing at load is as good
      EXPECT_NE(model.status().message().find("victim"), std::string::npos) << model.status().to_string();
      continue;
    }
    auto session = Session::create(*model, SessionOptions{});
    ASSERT_TRUE(session.ok()) << session.status().to_string();
    Tensor x = random_tensor<float>({1, 2, 8, 8}, 3);
    auto out = (*session)->run({x});
    ASSERT_FALSE(out.ok()) << "Pad " << ops::ints_str(pads) << " ran, output " << shape_str((*out)[0].shape());
    EXPECT_NE(out.status().message().find("victim"), std::string::npos) << out.status().to_string();
    EXPECT_NE(out.status().message().find("pads"), std::string::npos) << out.status().to_string();
  }
}

// ---- shape rules at plan time, one node at a time ---------------------------------------

// Creates the node and runs only its shape rule (no allocation: a wrongly accepted
// shape must not turn into a crash of the test itself).
Status infer_only(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                  int opset = 17, Shape* out = nullptr, size_t num_outputs = 1) {
  ir::Node node;
  node.name = "n0";
  node.op_type = type;
  node.opset = opset;
  node.attrs = attrs;
  auto op = ops::OpRegistry::builtin().create(node);
  if (!op.ok()) return op.status();
  std::vector<ops::ValueInfo> infos;
  for (const Tensor& t : inputs)
    infos.push_back(t.defined() ? ops::ValueInfo{t.dtype(), t.shape(), &t} : ops::ValueInfo{});
  ops::InferContext ctx("n0", infos, num_outputs);
  Status s = (*op)->infer(ctx);
  if (s.ok() && out) *out = ctx.output(0).shape;
  return s;
}

void expect_infer_error(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                        const std::string& mention, int opset = 17, size_t num_outputs = 1) {
  Shape out;
  Status s = infer_only(type, attrs, inputs, opset, &out, num_outputs);
  ASSERT_FALSE(s.ok()) << type << ": accepted with output " << shape_str(out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find(mention), std::string::npos) << type << ": " << s.to_string();
}

Tensor empty_f32(Shape s) { return Tensor::zeros(DataType::kFloat32, std::move(s)); }

TEST(OpsOverflow, ReshapeWhoseTargetProductWrapsIsRejected) {
  // (2^62 + 1) * 4 = 2^64 + 4 wraps to 4, which divides the 8 input elements: without
  // checks the -1 became 2 and the shape [2^62+1, 4, 2] passed.
  expect_infer_error("Reshape", {}, {random_tensor<float>({8}, 1), i64({(int64_t{1} << 62) + 1, 4, -1})}, "shape");
  expect_infer_error("Reshape", {}, {random_tensor<float>({8}, 1), i64({kMax, kMax})}, "shape");
}

TEST(OpsOverflow, ConcatAndSplitSumsThatWrapAreRejected) {
  // Four [0, 2^62] inputs: 4 * 2^62 = 2^64 wraps to 0 along the axis.
  const Tensor q = empty_f32({0, int64_t{1} << 62});
  expect_infer_error("Concat", attrs_of({{"axis", a_int(1)}}), {q, q, q, q}, "axis 1");
  // Split sizes summing (with wrap) to the axis' 0 elements.
  const int64_t big = int64_t{1} << 62;
  expect_infer_error("Split", attrs_of({{"axis", a_int(1)}}), {empty_f32({0, 0}), i64({big, big, big, big})}, "split",
                     13, 4);
  expect_infer_error("Split", attrs_of({{"axis", a_int(1)}, {"split", a_ints({big, big, big, big})}}),
                     {empty_f32({0, 0})}, "split", 11, 4);
}

TEST(OpsOverflow, TileFlattenAndConstantOfShapeProductsAreRejected) {
  expect_infer_error("Tile", {}, {empty_f32({0, 3}), i64({1, int64_t{1} << 62})}, "repeats");
  // [0, 2^40, 2^40] holds no element, but Flatten at axis 1 gives an inner dim of 2^80.
  expect_infer_error("Flatten", attrs_of({{"axis", a_int(1)}}), {empty_f32({0, int64_t{1} << 40, int64_t{1} << 40})},
                     "inner");
  expect_infer_error("ConstantOfShape", {}, {i64({int64_t{1} << 32, int64_t{1} << 32})}, "element count");
  expect_infer_error("ConstantOfShape", {}, {i64({kMax, 2})}, "element count");
}

TEST(OpsOverflow, RangeWhoseSpanOverflowsIsAnErrorNotUndefined) {
  const Tensor lo = Tensor::scalar<int64_t>(kMin), hi = Tensor::scalar<int64_t>(kMax), one = Tensor::scalar<int64_t>(1);
  expect_infer_error("Range", {}, {lo, hi, one}, "overflows", 11);
  const Tensor lo32 = Tensor::scalar<int32_t>(std::numeric_limits<int32_t>::min());
  const Tensor hi32 = Tensor::scalar<int32_t>(std::numeric_limits<int32_t>::max());
  expect_infer_error("Range", {}, {hi32, lo32, Tensor::scalar<int32_t>(-1)}, "overflows", 11);
}

TEST(OpsOverflow, ResizeScaleOrSizeBeyondAnyDimIsRejected) {
  const Tensor x = random_tensor<float>({1, 1, 4, 4}, 2);
  const Tensor no_roi;
  expect_infer_error("Resize", {}, {x, no_roi, f32v({1.0f, 1.0f, 3e38f, 1.0f})}, "output dim 2", 13);
  expect_infer_error("Resize", {}, {x, no_roi, Tensor(), i64({1, 1, kMax, 4})}, "sizes", 13);
}

TEST(OpsOverflow, KernelFromWeightsWithHugeDilationIsRejected) {
  // kernel_shape absent: the 3x3 kernel comes from W at plan time.
  const Tensor x = random_tensor<float>({1, 2, 8, 8}, 3), w = random_tensor<float>({3, 2, 3, 3}, 4);
  expect_infer_error("Conv", attrs_of({{"dilations", a_ints({int64_t{1} << 62, 1})}}), {x, w}, "dilations");
  expect_infer_error("ConvTranspose", attrs_of({{"strides", a_ints({int64_t{1} << 47, 1})}}),
                     {x, random_tensor<float>({2, 3, 3, 3}, 5)}, "output dim 0");
}

// Slice with steps of INT64_MAX / INT64_MIN: one element, read from the right place.
TEST(OpsOverflow, SliceWithExtremeStepsTakesOneElement) {
  const Tensor x = random_tensor<float>({5, 6}, 6);
  OpRun fwd = run_op("Slice", {}, {x, i64({1, 2}), i64({kMax, kMax}), i64({0, 1}), i64({kMax, kMax})}, 13);
  ASSERT_TRUE(fwd.status.ok()) << fwd.status.to_string();
  ASSERT_EQ(fwd.out().shape(), Shape({1, 1}));
  EXPECT_EQ(fwd.out().data<float>()[0], x.data<float>()[1 * 6 + 2]);
  OpRun back = run_op("Slice", {}, {x, i64({-1, -2}), i64({kMin, kMin}), i64({0, 1}), i64({kMin, kMin})}, 13);
  ASSERT_TRUE(back.status.ok()) << back.status.to_string();
  ASSERT_EQ(back.out().shape(), Shape({1, 1}));
  EXPECT_EQ(back.out().data<float>()[0], x.data<float>()[4 * 6 + 4]);
}

// An output whose element count overflows int64 (MatMul of [2^32, 0] by [0, 2^32]) is
// refused when the session plans it, before any allocation.
TEST(OpsOverflow, OutputWhoseElementCountOverflowsIsRefusedAtPlanning) {
  onnx::ModelProto m = empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {int64_t{1} << 32, int64_t{1} << 32});
  for (const char* name : {"a", "b"}) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_dims(name[0] == 'a' ? int64_t{1} << 32 : 0);
    t->add_dims(name[0] == 'a' ? 0 : int64_t{1} << 32);
  }
  add_node(g, "MatMul", {"a", "b"}, {"p"}, "victim");
  add_node(g, "Add", {"p", "x"}, {"y"});
  Result<Model> model = load(m);
  if (!model.ok()) GTEST_SKIP() << "refused at load: " << model.status().to_string();
  auto session = Session::create(*model, SessionOptions{});
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  auto out = (*session)->run({random_tensor<float>({1}, 7)});
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("victim"), std::string::npos) << out.status().to_string();
}

// ---- the helper itself ------------------------------------------------------------------

TEST(OpsOverflow, CheckedIntFlagsEveryOverflowAndKeepsExactResults) {
  using ops::CheckedInt;
  EXPECT_FALSE((CheckedInt(kMax) + 1).ok());
  EXPECT_FALSE((CheckedInt(kMin) - 1).ok());
  EXPECT_FALSE((CheckedInt(int64_t{1} << 32) * (int64_t{1} << 31)).ok());
  EXPECT_FALSE((CheckedInt(kMin) / -1).ok());
  EXPECT_FALSE((CheckedInt(5) / 0).ok());
  // Once overflowed, stays overflowed even if later steps would come back in range.
  EXPECT_FALSE(((CheckedInt(kMax) + 1) - 1).ok());
  const CheckedInt ok = (CheckedInt(10) + 7 - 3) * 5 / 2;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok.value(), 35);
  EXPECT_FALSE(ops::to_dim(CheckedInt(ops::kMaxDim) + 1, "x").ok());
  EXPECT_TRUE(ops::to_dim(CheckedInt(ops::kMaxDim), "x").ok());
  EXPECT_FALSE(ops::float_to_dim(std::numeric_limits<double>::infinity(), "x").ok());
  EXPECT_FALSE(ops::float_to_dim(std::nan(""), "x").ok());
  EXPECT_EQ(*ops::float_to_dim(12.9, "x"), 12);
}

TEST(OpsOverflow, HostileBlocksizesAndDiagonalsOfTheNewerOperators) {
  Tensor x = random_tensor<float>({1, 4, 2, 2}, 3);
  for (int64_t b : {int64_t(1) << 40, int64_t(1) << 62, int64_t(-3)}) {
    OpRun d2s = run_op("DepthToSpace", attrs_of({{"blocksize", a_int(b)}}), {x});
    EXPECT_EQ(d2s.status.code(), StatusCode::kInvalidArgument) << b << ": " << d2s.status.to_string();
    OpRun s2d = run_op("SpaceToDepth", attrs_of({{"blocksize", a_int(b)}}), {x});
    EXPECT_EQ(s2d.status.code(), StatusCode::kInvalidArgument) << b << ": " << s2d.status.to_string();
  }
  Tensor m = random_tensor<float>({3, 4}, 4);
  for (int64_t k : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    OpRun t = run_op("Trilu", {}, {m, Tensor::from_vector<int64_t>({}, {k})}, 14);
    ASSERT_TRUE(t.status.ok()) << t.status.to_string();
    const bool all_kept = k < 0;  // upper triangle from a diagonal far below: everything
    for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(t.out().data<float>()[i], all_kept ? m.data<float>()[i] : 0.0f);
    OpRun eye = run_op("EyeLike", attrs_of({{"k", a_int(k)}}), {m}, 9);
    ASSERT_TRUE(eye.status.ok()) << eye.status.to_string();
    for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(eye.out().data<float>()[i], 0.0f);
  }
}

}  // namespace
}  // namespace top

// Sequence and optional values (ops/sequence.h) run by the interpreter through
// Session::run_values: splitting and concatenating against the tensor operators on
// random inputs, positions (negative, out of range), and the clear refusals where a
// sequence meets an API that speaks tensors only.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "op_test_util.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"
#include "top/value.h"

namespace top {
namespace {

using testing::add_node;
using testing::add_value_info;

void make_sequence(onnx::ValueInfoProto* vi, const std::string& name, int elem, const std::vector<int64_t>& dims) {
  add_value_info(vi, name, elem, dims);
  onnx::TypeProto_Tensor tensor = vi->type().tensor_type();
  vi->mutable_type()->mutable_sequence_type()->mutable_elem_type()->mutable_tensor_type()->CopyFrom(tensor);
}

void int_attr(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

std::unique_ptr<Session> session_of(const onnx::ModelProto& m) {
  auto s = Session::create(testing::load_proto(m));
  EXPECT_TRUE(s.ok()) << s.status().to_string();
  return s.ok() ? std::move(*s) : nullptr;
}

bool same(const Tensor& a, const Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.data<float>()[i] != b.data<float>()[i]) return false;
  return true;
}

// x[6, 5] -> seq = SplitToSequence(x, split, axis=0); y = ConcatFromSequence(seq, axis=0);
// n = SequenceLength(seq); outputs seq, y, n.
onnx::ModelProto split_concat_model() {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {6, 5});
  add_value_info(g->add_input(), "split", onnx::TensorProto::INT64, {3});
  make_sequence(g->add_output(), "seq", onnx::TensorProto::FLOAT, {-1, 5});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {6, 5});
  add_value_info(g->add_output(), "n", onnx::TensorProto::INT64, {});
  int_attr(add_node(g, "SplitToSequence", {"x", "split"}, {"seq"}), "axis", 0);
  int_attr(add_node(g, "ConcatFromSequence", {"seq"}, {"y"}), "axis", 0);
  add_node(g, "SequenceLength", {"seq"}, {"n"});
  return m;
}

TEST(Sequence, SplitToSequenceMatchesSplitAndConcatenatingItBackGivesTheInput) {
  auto s = session_of(split_concat_model());
  ASSERT_TRUE(s);
  Tensor x = testing::random_tensor<float>({6, 5}, 11);
  Tensor split = Tensor::from_vector<int64_t>({3}, {1, 2, 3});
  auto out = s->run_values({x, split});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 3u);
  ASSERT_TRUE((*out)[0].is_sequence());
  EXPECT_EQ((*out)[0].elem_dtype(), DataType::kFloat32);

  testing::OpRun ref = testing::run_op("Split", testing::attrs_of({{"axis", testing::a_int(0)}}), {x, split}, 13, 2, 3);
  ASSERT_TRUE(ref.status.ok()) << ref.status.to_string();
  const std::vector<Tensor>& parts = (*out)[0].elements();
  ASSERT_EQ(parts.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_TRUE(same(parts[i], ref.out(i))) << "element " << i;

  ASSERT_TRUE((*out)[1].is_tensor());
  EXPECT_TRUE(same((*out)[1].tensor(), x));
  EXPECT_EQ((*out)[2].tensor().data<int64_t>()[0], 3);
}

TEST(Sequence, SplitLengthsThatDoNotAddUpAreAClearError) {
  auto s = session_of(split_concat_model());
  ASSERT_TRUE(s);
  auto out = s->run_values({testing::random_tensor<float>({6, 5}, 12), Tensor::from_vector<int64_t>({3}, {1, 2, 4})});
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(out.status().message().find("add up to 6"), std::string::npos) << out.status().to_string();
}

// a, b, c [2, 3] -> SequenceConstruct -> ConcatFromSequence(axis, new_axis=1): a stack.
onnx::ModelProto stack_model(int64_t axis) {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  for (const char* n : {"a", "b", "c"}) add_value_info(g->add_input(), n, onnx::TensorProto::FLOAT, {2, 3});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, -1, -1});
  add_node(g, "SequenceConstruct", {"a", "b", "c"}, {"seq"});
  auto* n = add_node(g, "ConcatFromSequence", {"seq"}, {"y"});
  int_attr(n, "axis", axis);
  int_attr(n, "new_axis", 1);
  return m;
}

TEST(Sequence, ConcatFromSequenceWithNewAxisStacksOnEveryAxis) {
  std::vector<Tensor> in;
  for (uint32_t seed : {21u, 22u, 23u}) in.push_back(testing::random_tensor<float>({2, 3}, seed));
  for (int64_t axis : {0, 1, 2, -1}) {
    auto s = session_of(stack_model(axis));
    ASSERT_TRUE(s);
    auto out = s->run_values({in[0], in[1], in[2]});
    ASSERT_TRUE(out.ok()) << "axis " << axis << ": " << out.status().to_string();
    const Tensor& y = (*out)[0].tensor();
    const int64_t a = axis < 0 ? axis + 3 : axis;
    Shape want{2, 3};
    want.insert(want.begin() + a, 3);
    ASSERT_EQ(y.shape(), want) << "axis " << axis;
    // y[idx] with the stacking index removed reads element idx[a] at (i, j).
    for (int64_t e = 0; e < 3; ++e)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 3; ++j) {
          int64_t idx[3];
          int64_t rest[2] = {i, j};
          for (int64_t d = 0, r = 0; d < 3; ++d) idx[d] = d == a ? e : rest[r++];
          const int64_t flat = (idx[0] * y.shape()[1] + idx[1]) * y.shape()[2] + idx[2];
          EXPECT_EQ(y.data<float>()[flat], in[e].data<float>()[i * 3 + j]) << "axis " << axis;
        }
  }
}

// seq (input), x [2], pos (int64 scalar) -> inserted = SequenceInsert(seq, x, pos),
// erased = SequenceErase(seq, pos), at = SequenceAt(seq, pos).
onnx::ModelProto position_model() {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  make_sequence(g->add_input(), "seq", onnx::TensorProto::FLOAT, {2});
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {2});
  add_value_info(g->add_input(), "pos", onnx::TensorProto::INT64, {});
  make_sequence(g->add_output(), "inserted", onnx::TensorProto::FLOAT, {2});
  make_sequence(g->add_output(), "erased", onnx::TensorProto::FLOAT, {2});
  add_value_info(g->add_output(), "at", onnx::TensorProto::FLOAT, {2});
  add_node(g, "SequenceInsert", {"seq", "x", "pos"}, {"inserted"});
  add_node(g, "SequenceErase", {"seq", "pos"}, {"erased"});
  add_node(g, "SequenceAt", {"seq", "pos"}, {"at"});
  return m;
}

TEST(Sequence, InsertEraseAndAtCountNegativePositionsFromTheEnd) {
  auto s = session_of(position_model());
  ASSERT_TRUE(s);
  std::vector<Tensor> elems;
  for (uint32_t seed : {31u, 32u, 33u}) elems.push_back(testing::random_tensor<float>({2}, seed));
  Tensor x = testing::random_tensor<float>({2}, 34);
  for (int64_t pos : {0, 1, 2, -1, -3}) {
    auto out = s->run_values({Value::sequence(DataType::kFloat32, elems), x, Tensor::scalar<int64_t>(pos)});
    ASSERT_TRUE(out.ok()) << "pos " << pos << ": " << out.status().to_string();
    const size_t p = static_cast<size_t>(pos < 0 ? pos + 3 : pos);
    std::vector<Tensor> inserted = elems, erased = elems;
    inserted.insert(inserted.begin() + p, x);
    erased.erase(erased.begin() + p);
    ASSERT_EQ((*out)[0].elements().size(), 4u);
    for (size_t i = 0; i < 4; ++i) EXPECT_TRUE(same((*out)[0].elements()[i], inserted[i])) << pos << " " << i;
    ASSERT_EQ((*out)[1].elements().size(), 2u);
    for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(same((*out)[1].elements()[i], erased[i])) << pos << " " << i;
    EXPECT_TRUE(same((*out)[2].tensor(), elems[p])) << pos;
  }
  // The inputs were not changed by the operators: values are immutable.
  EXPECT_TRUE(same(elems[0], testing::random_tensor<float>({2}, 31)));
}

TEST(Sequence, PositionsOutsideTheSequenceAreAClearError) {
  auto s = session_of(position_model());
  ASSERT_TRUE(s);
  std::vector<Tensor> elems{testing::random_tensor<float>({2}, 41), testing::random_tensor<float>({2}, 42)};
  for (int64_t pos : {3, -4, 100}) {
    auto out = s->run_values({Value::sequence(DataType::kFloat32, elems), testing::random_tensor<float>({2}, 43),
                              Tensor::scalar<int64_t>(pos)});
    ASSERT_FALSE(out.ok()) << pos;
    EXPECT_EQ(out.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(out.status().message().find("position " + std::to_string(pos) + " is outside"), std::string::npos)
        << out.status().to_string();
  }
}

TEST(Sequence, InputsOfTheWrongKindOrTypeAreRefusedByName) {
  auto s = session_of(position_model());
  ASSERT_TRUE(s);
  Tensor x = testing::random_tensor<float>({2}, 51);
  Tensor pos = Tensor::scalar<int64_t>(0);

  auto tensor_for_sequence = s->run_values({x, x, pos});
  ASSERT_FALSE(tensor_for_sequence.ok());
  EXPECT_NE(tensor_for_sequence.status().message().find("input 'seq' expects a sequence, got a tensor"),
            std::string::npos)
      << tensor_for_sequence.status().to_string();

  auto ints = s->run_values({Value::sequence(DataType::kInt64, {Tensor::from_vector<int64_t>({2}, {1, 2})}), x, pos});
  ASSERT_FALSE(ints.ok());
  EXPECT_NE(ints.status().message().find("expects a sequence of float32"), std::string::npos) << ints.status().to_string();

  auto wrong_shape = s->run_values({Value::sequence(DataType::kFloat32, {testing::random_tensor<float>({3}, 52)}), x, pos});
  ASSERT_FALSE(wrong_shape.ok());
  EXPECT_NE(wrong_shape.status().message().find("input 'seq' element 0 expects shape"), std::string::npos)
      << wrong_shape.status().to_string();

  auto missing = s->run_values({Value::sequence(DataType::kFloat32, {x}), Value::none(), pos});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("input 'x' is missing (it is not optional)"), std::string::npos)
      << missing.status().to_string();
}

TEST(Sequence, TensorApisRefuseSequenceModelsNamingRunValues) {
  auto s = session_of(position_model());
  ASSERT_TRUE(s);
  Tensor x = testing::random_tensor<float>({2}, 61);
  auto r = s->run({x, x, Tensor::scalar<int64_t>(0)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("use Session::run_values"), std::string::npos) << r.status().to_string();

  auto info = s->plan_info({{2}, {2}, {}});
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(info.status().message().find("interpreted node by node"), std::string::npos) << info.status().to_string();
}

TEST(Sequence, TensorInputsAndOutputsOfAnInterpretedModelStillWorkWithRun) {
  // split_concat_model has a sequence output, so run() refuses; without it (y and n
  // only) run() speaks tensors even though a sequence flows inside.
  onnx::ModelProto m = split_concat_model();
  m.mutable_graph()->mutable_output()->DeleteSubrange(0, 1);
  auto s = session_of(m);
  ASSERT_TRUE(s);
  Tensor x = testing::random_tensor<float>({6, 5}, 71);
  auto out = s->run({x, Tensor::from_vector<int64_t>({3}, {2, 2, 2})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_TRUE(same((*out)[0], x));
  EXPECT_EQ((*out)[1].data<int64_t>()[0], 3);

  auto with_seq = session_of(split_concat_model());
  ASSERT_TRUE(with_seq);
  auto refused = with_seq->run({x, Tensor::from_vector<int64_t>({3}, {2, 2, 2})});
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("use Session::run_values"), std::string::npos) << refused.status().to_string();
}

// Optional(x) -> OptionalHasElement, OptionalGetElement; and an optional graph input.
TEST(Sequence, OptionalInputsMayBeNoneAndHasElementSaysSo) {
  onnx::ModelProto m = testing::empty_model(18);
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "opt", onnx::TensorProto::FLOAT, {2});
  {
    onnx::TypeProto_Tensor tensor = g->input(0).type().tensor_type();
    auto* t = g->mutable_input(0)->mutable_type();
    t->mutable_optional_type()->mutable_elem_type()->mutable_tensor_type()->CopyFrom(tensor);
  }
  add_value_info(g->add_output(), "has", onnx::TensorProto::BOOL, {});
  add_node(g, "OptionalHasElement", {"opt"}, {"has"});
  auto s = session_of(m);
  ASSERT_TRUE(s);
  auto none = s->run_values({Value::none()});
  ASSERT_TRUE(none.ok()) << none.status().to_string();
  EXPECT_FALSE((*none)[0].tensor().data<bool>()[0]);
  auto some = s->run_values({testing::random_tensor<float>({2}, 81)});
  ASSERT_TRUE(some.ok()) << some.status().to_string();
  EXPECT_TRUE((*some)[0].tensor().data<bool>()[0]);
}

}  // namespace
}  // namespace top

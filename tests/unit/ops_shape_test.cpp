// Shape-family ops (Reshape, Flatten, Squeeze, Unsqueeze, Shape, Size, ConstantOfShape,
// Range, Expand, Constant): exact expectations on random inputs of several dtypes,
// plus bad inputs that must come back as an error Status.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {
namespace {

using namespace top::testing;

// ---- Reshape ------------------------------------------------------------------------

TEST(ShapeOps, ReshapeInfersAndCopies) {
  Tensor x = random_unit<float>({2, 3, 4}, 1);
  ir::Attributes none;
  OpRun r = run_op("Reshape", none, {x, i64({0, -1, 2})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{2, 6, 2}));
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), x.raw_data(), x.nbytes()) == 0);

  for (auto s : std::vector<std::vector<int64_t>>{{24}, {-1}, {4, 3, 2}, {1, 24, 1}, {2, 0, 4}}) {
    r = run_op("Reshape", none, {x, i64(s)});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.outputs[0].numel(), 24);
  }
}

TEST(ShapeOps, ReshapeDtypesAndLargeParallelCopy) {
  Tensor a = random_unit<int64_t>({6, 5}, 2);
  OpRun r = run_op("Reshape", {}, {a, i64({3, 10})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), a.raw_data(), a.nbytes()) == 0);
  Tensor b = random_unit<bool>({4, 4}, 3);
  r = run_op("Reshape", {}, {b, i64({16})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), b.raw_data(), b.nbytes()) == 0);
  Tensor big = random_unit<float>({1 << 21, 3}, 4);  // 24 MiB: the chunked parallel copy
  r = run_op("Reshape", {}, {big, i64({-1})}, 17, 4);
  ASSERT_TRUE(r.status.ok());
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), big.raw_data(), big.nbytes()) == 0);
}

TEST(ShapeOps, ReshapeAllowZero) {
  Tensor x = Tensor::zeros(DataType::kFloat32, {0, 3});
  ir::Attributes az;
  az.set("allowzero", a_int(1));
  OpRun r = run_op("Reshape", az, {x, i64({3, 0})}, 14);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 0}));
  // Without allowzero, 0 copies the input dim.
  Tensor y = random_unit<float>({2, 3}, 5);
  r = run_op("Reshape", {}, {y, i64({0, 3})}, 14);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{2, 3}));
  // With allowzero, 0 with -1 is an error.
  EXPECT_FALSE(run_op("Reshape", az, {x, i64({0, -1})}, 14).status.ok());
}

TEST(ShapeOps, ReshapeErrors) {
  Tensor x = random_unit<float>({2, 3, 4}, 6);
  EXPECT_EQ(run_op("Reshape", {}, {x, i64({-1, -1})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Reshape", {}, {x, i64({5, 5})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Reshape", {}, {x, i64({-2, 12})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Reshape", {}, {x, i64({5, -1})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Reshape", {}, {x, i64({1, 1, 1, 0})}).status.code(), StatusCode::kInvalidArgument);
  Status s = run_op("Reshape", {}, {x, i64({24})}, 17, 2, 1, {1}).status;
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("data-dependent"), std::string::npos) << s.message();
  EXPECT_FALSE(run_op("Reshape", {}, {x}).status.ok());
}

// ---- Flatten / Squeeze / Unsqueeze ------------------------------------------------------

TEST(ShapeOps, Flatten) {
  Tensor x = random_unit<float>({2, 3, 4, 5}, 7);
  struct C {
    int64_t axis;
    Shape out;
  };
  for (C c : {C{0, {1, 120}}, C{1, {2, 60}}, C{2, {6, 20}}, C{4, {120, 1}}, C{-1, {24, 5}}, C{-4, {1, 120}}}) {
    ir::Attributes a;
    a.set("axis", a_int(c.axis));
    OpRun r = run_op("Flatten", a, {x});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    EXPECT_EQ(r.outputs[0].shape(), c.out) << c.axis;
    EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), x.raw_data(), x.nbytes()) == 0);
  }
  ir::Attributes bad;
  bad.set("axis", a_int(5));
  EXPECT_EQ(run_op("Flatten", bad, {x}).status.code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOps, SqueezeAttributeAndInput) {
  Tensor x = random_unit<int32_t>({1, 3, 1, 4, 1}, 8);
  OpRun r = run_op("Squeeze", {}, {x}, 11);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 4}));
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), x.raw_data(), x.nbytes()) == 0);

  ir::Attributes a;
  a.set("axes", a_ints({0, -1}));
  r = run_op("Squeeze", a, {x}, 11);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 1, 4}));

  r = run_op("Squeeze", {}, {x, i64({2})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 3, 4, 1}));
  r = run_op("Squeeze", {}, {x}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 4}));

  EXPECT_EQ(run_op("Squeeze", {}, {x, i64({1})}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Squeeze", {}, {x, i64({5})}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Squeeze", {}, {x, i64({0, -5})}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Squeeze", {}, {x, i64({0})}, 13, 2, 1, {1}).status.code(), StatusCode::kUnsupported);
}

TEST(ShapeOps, Unsqueeze) {
  Tensor x = random_unit<float>({3, 4}, 9);
  ir::Attributes a;
  a.set("axes", a_ints({0, 3}));
  OpRun r = run_op("Unsqueeze", a, {x}, 11);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 3, 4, 1}));
  EXPECT_TRUE(std::memcmp(r.outputs[0].raw_data(), x.raw_data(), x.nbytes()) == 0);

  r = run_op("Unsqueeze", {}, {x, i64({-1, 1})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 1, 4, 1}));

  Tensor s = Tensor::scalar<int64_t>(7);
  r = run_op("Unsqueeze", {}, {s, i64({0})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1}));
  EXPECT_EQ(r.outputs[0].data<int64_t>()[0], 7);

  EXPECT_EQ(run_op("Unsqueeze", {}, {x, i64({0, 0})}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Unsqueeze", {}, {x, i64({3})}, 13).status.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(run_op("Unsqueeze", {}, {x}, 13).status.ok());
}

// ---- Shape / Size ------------------------------------------------------------------------

TEST(ShapeOps, ShapeWithStartEnd) {
  Tensor x = random_unit<uint8_t>({2, 3, 4, 5}, 10);
  OpRun r = run_op("Shape", {}, {x});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{2, 3, 4, 5}));
  struct C {
    int64_t start, end;
    std::vector<int64_t> want;
  };
  for (C c : {C{1, 3, {3, 4}}, C{-2, 100, {4, 5}}, C{-100, -3, {2}}, C{3, 1, {}}, C{0, 4, {2, 3, 4, 5}}}) {
    ir::Attributes a;
    a.set("start", a_int(c.start));
    a.set("end", a_int(c.end));
    r = run_op("Shape", a, {x}, 15);
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(r.outputs[0].to_int_vector(), c.want) << c.start << " " << c.end;
  }
  ir::Attributes st;
  st.set("start", a_int(-1));
  r = run_op("Shape", st, {x}, 15);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{5}));
}

TEST(ShapeOps, Size) {
  OpRun r = run_op("Size", {}, {random_unit<float>({2, 3, 7}, 11)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), Shape{});
  EXPECT_EQ(r.outputs[0].data<int64_t>()[0], 42);
}

// ---- ConstantOfShape / Range / Constant ------------------------------------------------

TEST(ShapeOps, ConstantOfShape) {
  OpRun r = run_op("ConstantOfShape", {}, {i64({2, 3})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype(), DataType::kFloat32);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(r.outputs[0].data<float>()[i], 0.0f);

  ir::Attributes a;
  a.set("value", a_tensor(Tensor::from_vector<int64_t>({1}, {-7})));
  r = run_op("ConstantOfShape", a, {i64({4, 1, 5})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype(), DataType::kInt64);
  EXPECT_EQ(r.outputs[0].shape(), (Shape{4, 1, 5}));
  for (int64_t i = 0; i < 20; ++i) EXPECT_EQ(r.outputs[0].data<int64_t>()[i], -7);

  ir::Attributes f;
  f.set("value", a_tensor(Tensor::from_vector<float>({1}, {2.5f})));
  r = run_op("ConstantOfShape", f, {i64({})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), Shape{});
  EXPECT_EQ(r.outputs[0].data<float>()[0], 2.5f);

  Status s = run_op("ConstantOfShape", {}, {i64({2})}, 17, 2, 1, {0}).status;
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_NE(s.message().find("data-dependent output shape"), std::string::npos);
  EXPECT_EQ(run_op("ConstantOfShape", {}, {i64({2, -1})}).status.code(), StatusCode::kInvalidArgument);
}

TEST(ShapeOps, RangeIntAndFloat) {
  OpRun r = run_op("Range", {}, {Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(17), Tensor::scalar<int64_t>(4)});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{3, 7, 11, 15}));
  r = run_op("Range", {}, {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(4), Tensor::scalar<int32_t>(-3)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype(), DataType::kInt32);
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{10, 7}));
  r = run_op("Range", {}, {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1), Tensor::scalar<int64_t>(2)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].numel(), 0);

  r = run_op("Range", {}, {Tensor::scalar<float>(0.5f), Tensor::scalar<float>(2.0f), Tensor::scalar<float>(0.3f)});
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.outputs[0].numel(), 5);
  float v = 0.5f;
  for (int i = 0; i < 5; ++i, v += 0.3f) EXPECT_FLOAT_EQ(r.outputs[0].data<float>()[i], v);

  EXPECT_EQ(run_op("Range", {}, {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(0)})
                .status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Range", {}, {Tensor::scalar<int64_t>(0), Tensor::scalar<int32_t>(5), Tensor::scalar<int64_t>(1)})
                .status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Range", {}, {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1)},
                   17, 2, 1, {1})
                .status.code(),
            StatusCode::kUnsupported);
}

TEST(ShapeOps, Constant) {
  ir::Attributes a;
  Tensor v = random_unit<float>({2, 3}, 12);
  a.set("value", a_tensor(v));
  OpRun r = run_op("Constant", a, {});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_TRUE(same_bytes(r.outputs[0], v));

  ir::Attributes f;
  f.set("value_floats", a_floats({1.5f, -2.0f}));
  r = run_op("Constant", f, {});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), Shape{2});
  EXPECT_EQ(r.outputs[0].data<float>()[1], -2.0f);

  ir::Attributes i;
  i.set("value_int", a_int(9));
  r = run_op("Constant", i, {});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype(), DataType::kInt64);
  EXPECT_EQ(r.outputs[0].shape(), Shape{});
  EXPECT_EQ(r.outputs[0].data<int64_t>()[0], 9);

  ir::Attributes is;
  is.set("value_ints", a_ints({4, 5, 6}));
  r = run_op("Constant", is, {});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{4, 5, 6}));

  ir::Attributes vf;
  vf.set("value_float", a_float(0.25f));
  r = run_op("Constant", vf, {});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].data<float>()[0], 0.25f);

  EXPECT_FALSE(run_op("Constant", {}, {}).status.ok());
}

// ---- Expand ------------------------------------------------------------------------------

template <class T>
void check_expand(const Tensor& x, const Tensor& y) {
  // Naive broadcast reference: walk every output index.
  const Shape& os = y.shape();
  const Shape& is = x.shape();
  const size_t off = os.size() - is.size();
  for (int64_t i = 0; i < y.numel(); ++i) {
    int64_t rem = i, src = 0, mul = 1;
    for (size_t d = os.size(); d-- > 0;) {
      int64_t c = rem % os[d];
      rem /= os[d];
      if (d >= off) {
        int64_t n = is[d - off];
        src += (n == 1 ? 0 : c) * mul;
        mul *= n;
      }
    }
    ASSERT_EQ(y.data<T>()[i], x.data<T>()[src]) << "at " << i;
  }
}

TEST(ShapeOps, ExpandBroadcasts) {
  Tensor x = random_unit<float>({3, 1, 5}, 13);
  OpRun r = run_op("Expand", {}, {x, i64({2, 3, 4, 5})});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{2, 3, 4, 5}));
  check_expand<float>(x, r.outputs[0]);

  Tensor c = random_unit<int64_t>({3, 1}, 14);  // bidirectional: shape dims of 1 keep the input's
  r = run_op("Expand", {}, {c, i64({1, 4})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 4}));
  check_expand<int64_t>(c, r.outputs[0]);

  Tensor b = random_unit<bool>({1, 7}, 15);
  r = run_op("Expand", {}, {b, i64({300, 1})}, 13, 4);
  ASSERT_TRUE(r.status.ok());
  check_expand<bool>(b, r.outputs[0]);

  Tensor s = Tensor::scalar<float>(3.0f);
  r = run_op("Expand", {}, {s, i64({2, 2})});
  ASSERT_TRUE(r.status.ok());
  check_expand<float>(s, r.outputs[0]);

  EXPECT_EQ(run_op("Expand", {}, {x, i64({2, 4, 4, 5})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Expand", {}, {x, i64({3, -1, 5})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Expand", {}, {x, i64({3, 4, 5})}, 13, 2, 1, {1}).status.code(), StatusCode::kUnsupported);
}

TEST(ShapeOps, UnknownOpsetAndMissingInputsDoNotCrash) {
  Tensor x = random_unit<float>({2, 2}, 16);
  EXPECT_FALSE(run_op("Range", {}, {x}).status.ok());
  EXPECT_FALSE(run_op("Expand", {}, {x}).status.ok());
  EXPECT_FALSE(run_op("ConstantOfShape", {}, {}).status.ok());
  EXPECT_FALSE(run_op("Reshape", {}, {x, Tensor::from_vector<float>({1}, {4.0f})}).status.ok());
}

}  // namespace
}  // namespace top::ops

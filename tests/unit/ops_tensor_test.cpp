// Tensor-family ops (Concat, Split, Slice, Gather, GatherElements, Transpose, Pad, Tile)
// against naive index-by-index references, on random shapes and inputs of several
// dtypes, with 1 and 4 threads; bad inputs must return an error Status.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "op_test_util.h"
#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {
namespace {

using namespace top::testing;

template <class T>
T at(const Tensor& t, int64_t i) {
  return t.data<T>()[i];
}

// ---- Concat / Split ---------------------------------------------------------------------

template <class T>
void check_concat(const std::vector<Tensor>& xs, int64_t axis, const Tensor& y) {
  const int64_t a = axis < 0 ? axis + y.rank() : axis;
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> idx = unravel(i, y.shape());
    int64_t c = idx[static_cast<size_t>(a)];
    size_t k = 0;
    while (c >= xs[k].dim(static_cast<int>(a))) c -= xs[k++].dim(static_cast<int>(a));
    idx[static_cast<size_t>(a)] = c;
    ASSERT_EQ(at<T>(y, i), at<T>(xs[k], ravel(idx, xs[k].shape()))) << i;
  }
}

TEST(TensorOps, ConcatRandom) {
  std::mt19937 rng(1);
  for (int iter = 0; iter < 30; ++iter) {
    int rank = 1 + static_cast<int>(rng() % 4);
    int64_t axis = static_cast<int64_t>(rng() % rank) - (iter % 2 ? rank : 0);
    Shape base;
    for (int d = 0; d < rank; ++d) base.push_back(1 + static_cast<int64_t>(rng() % 4));
    std::vector<Tensor> xs;
    int n = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < n; ++k) {
      Shape s = base;
      s[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = static_cast<int64_t>(rng() % 4);  // may be 0
      xs.push_back(random_unit<float>(s, rng()));
    }
    ir::Attributes a;
    a.set("axis", a_int(axis));
    OpRun r = run_op("Concat", a, xs, 13, 1 + iter % 3);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    check_concat<float>(xs, axis, r.outputs[0]);
  }
  // int64 shape-tensor concat, as the planner folds it.
  ir::Attributes a0;
  a0.set("axis", a_int(0));
  OpRun r = run_op("Concat", a0, {i64({1}), i64({-1, 7})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].to_int_vector(), (std::vector<int64_t>{1, -1, 7}));
  // Large outer: parallel path.
  std::vector<Tensor> big = {random_unit<uint8_t>({5000, 3}, 2), random_unit<uint8_t>({5000, 5}, 3)};
  ir::Attributes a1;
  a1.set("axis", a_int(1));
  r = run_op("Concat", a1, big, 13, 4);
  ASSERT_TRUE(r.status.ok());
  check_concat<uint8_t>(big, 1, r.outputs[0]);
}

TEST(TensorOps, ConcatErrors) {
  ir::Attributes a;
  a.set("axis", a_int(1));
  Tensor x = random_unit<float>({2, 3}, 4);
  EXPECT_EQ(run_op("Concat", a, {x, random_unit<float>({3, 3}, 5)}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Concat", a, {x, random_unit<int64_t>({2, 3}, 5)}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Concat", a, {x, random_unit<float>({2, 3, 1}, 5)}).status.code(), StatusCode::kInvalidArgument);
  ir::Attributes bad;
  bad.set("axis", a_int(2));
  EXPECT_EQ(run_op("Concat", bad, {x, x}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(run_op("Concat", {}, {x, x}).status.ok());  // axis is required
}

TEST(TensorOps, SplitVariants) {
  Tensor x = random_unit<float>({4, 6, 3}, 6);
  // Equal split, 3 outputs along axis 1.
  ir::Attributes a;
  a.set("axis", a_int(1));
  OpRun r = run_op("Split", a, {x}, 13, 2, 3);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  for (auto& y : r.outputs) EXPECT_EQ(y.shape(), (Shape{4, 2, 3}));
  check_concat<float>(r.outputs, 1, x);
  // split as input (13), negative axis.
  ir::Attributes an;
  an.set("axis", a_int(-2));
  r = run_op("Split", an, {x, i64({1, 0, 5})}, 13, 2, 3);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[1].shape(), (Shape{4, 0, 3}));
  check_concat<float>(r.outputs, 1, x);
  // split as attribute (11).
  ir::Attributes as;
  as.set("axis", a_int(0));
  as.set("split", a_ints({3, 1}));
  r = run_op("Split", as, {x}, 11, 2, 2);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 6, 3}));
  check_concat<float>(r.outputs, 0, x);
  // num_outputs (18) with an uneven last chunk: 6 into 4 -> 2,2,2,0.
  ir::Attributes nu;
  nu.set("axis", a_int(1));
  nu.set("num_outputs", a_int(4));
  r = run_op("Split", nu, {x}, 18, 2, 4);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{4, 2, 3}));
  EXPECT_EQ(r.outputs[3].shape(), (Shape{4, 0, 3}));
  check_concat<float>(r.outputs, 1, x);
  // Errors: sizes do not sum, uneven without opset 18, count mismatch.
  EXPECT_EQ(run_op("Split", a, {x, i64({1, 2, 2})}, 13, 2, 3).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Split", a, {x}, 13, 2, 4).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Split", a, {x, i64({6})}, 13, 2, 2).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Split", a, {x, i64({3, 3})}, 13, 2, 2, {1}).status.code(), StatusCode::kUnsupported);
}

// ---- Slice ----------------------------------------------------------------------------

// Reference of one axis as the ONNX spec words it: the list of source indices.
std::vector<int64_t> ref_slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  auto clamp = [](int64_t v, int64_t lo, int64_t hi) { return std::min(std::max(v, lo), hi); };
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  std::vector<int64_t> out;
  if (step > 0) {
    start = clamp(start, 0, dim);
    end = clamp(end, 0, dim);
    for (int64_t i = start; i < end; i += step) out.push_back(i);
  } else {
    start = clamp(start, 0, dim - 1);
    end = clamp(end, -1, dim - 1);
    for (int64_t i = start; i > end; i += step) out.push_back(i);
  }
  return out;
}

TEST(TensorOps, SliceRandomAgainstReference) {
  std::mt19937 rng(7);
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int iter = 0; iter < 200; ++iter) {
    int rank = 1 + static_cast<int>(rng() % 4);
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(rng() % 6));
    Tensor x = random_unit<int32_t>(s, rng());
    std::vector<int64_t> axes, starts, ends, steps;
    for (int d = 0; d < rank; ++d) {
      if (rng() % 3 == 0) continue;
      axes.push_back(rng() % 2 ? d : d - rank);
      int64_t dim = s[static_cast<size_t>(d)];
      auto pick = [&]() -> int64_t {
        switch (rng() % 6) {
          case 0: return kMax;
          case 1: return -kMax;
          case 2: return std::numeric_limits<int64_t>::min();
          default: return static_cast<int64_t>(rng() % (2 * dim + 5)) - dim - 2;
        }
      };
      starts.push_back(pick());
      ends.push_back(pick());
      int64_t st = 1 + static_cast<int64_t>(rng() % 3);
      steps.push_back(rng() % 2 ? st : -st);
    }
    std::shuffle(axes.begin(), axes.end(), rng);  // any axis order; starts[k] goes with axes[k]
    std::vector<std::vector<int64_t>> idx(s.size());
    for (size_t d = 0; d < s.size(); ++d)
      for (int64_t i = 0; i < s[d]; ++i) idx[d].push_back(i);
    for (size_t k = 0; k < axes.size(); ++k) {
      int64_t a = axes[k] < 0 ? axes[k] + rank : axes[k];
      idx[static_cast<size_t>(a)] = ref_slice_axis(s[static_cast<size_t>(a)], starts[k], ends[k], steps[k]);
    }
    Shape want;
    for (auto& v : idx) want.push_back(static_cast<int64_t>(v.size()));
    OpRun r = run_op("Slice", {}, {x, i64(starts), i64(ends), i64(axes), i64(steps)}, 13, 1 + iter % 3);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.outputs[0].shape(), want) << "iter " << iter;
    for (int64_t i = 0; i < r.outputs[0].numel(); ++i) {
      std::vector<int64_t> o = unravel(i, want);
      for (size_t d = 0; d < o.size(); ++d) o[d] = idx[d][static_cast<size_t>(o[d])];
      ASSERT_EQ(at<int32_t>(r.outputs[0], i), at<int32_t>(x, ravel(o, s))) << "iter " << iter;
    }
  }
}

TEST(TensorOps, SliceOpsetsAndErrors) {
  Tensor x = random_unit<float>({5, 6}, 8);
  // Opset 1-9: attributes.
  ir::Attributes a;
  a.set("starts", a_ints({1, -3}));
  a.set("ends", a_ints({4, 1000}));
  OpRun r = run_op("Slice", a, {x}, 9);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 3}));
  EXPECT_EQ(at<float>(r.outputs[0], 0), at<float>(x, 1 * 6 + 3));
  // Defaults for axes/steps; int32 starts.
  r = run_op("Slice", {}, {x, Tensor::from_vector<int32_t>({1}, {2}), Tensor::from_vector<int32_t>({1}, {3})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{1, 6}));
  // Full reverse with INT64_MIN end (the exporter's x[::-1]).
  r = run_op("Slice", {}, {x, i64({-1}), i64({std::numeric_limits<int64_t>::min()}), i64({1}), i64({-1})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{5, 6}));
  EXPECT_EQ(at<float>(r.outputs[0], 0), at<float>(x, 5));
  // Errors.
  EXPECT_EQ(run_op("Slice", {}, {x, i64({0}), i64({3}), i64({0}), i64({0})}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Slice", {}, {x, i64({0}), i64({3}), i64({2})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Slice", {}, {x, i64({0, 0}), i64({3})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Slice", {}, {x, i64({0, 0}), i64({3, 3}), i64({1, -1})}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Slice", {}, {x, i64({0}), i64({3})}, 13, 2, 1, {2}).status.code(), StatusCode::kUnsupported);
}

// ---- Gather / GatherElements -------------------------------------------------------------

TEST(TensorOps, GatherAxesAndIndexTypes) {
  std::mt19937 rng(9);
  for (int iter = 0; iter < 40; ++iter) {
    int rank = 1 + static_cast<int>(rng() % 3);
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(rng() % 5));
    int64_t axis = static_cast<int64_t>(rng() % rank) - (iter % 2 ? rank : 0);
    int64_t a = axis < 0 ? axis + rank : axis;
    int64_t dim = s[static_cast<size_t>(a)];
    Shape is;
    int irank = static_cast<int>(rng() % 3);
    for (int d = 0; d < irank; ++d) is.push_back(1 + static_cast<int64_t>(rng() % 3));
    Tensor idx = iter % 3 == 0 ? Tensor::zeros(DataType::kInt32, is) : Tensor::zeros(DataType::kInt64, is);
    for (int64_t i = 0; i < idx.numel(); ++i) {
      int64_t v = static_cast<int64_t>(rng() % (2 * dim)) - dim;  // negative indices too
      if (idx.dtype() == DataType::kInt32) idx.data<int32_t>()[i] = static_cast<int32_t>(v);
      else idx.data<int64_t>()[i] = v;
    }
    Tensor x = random_unit<double>(s, rng());
    ir::Attributes at_;
    at_.set("axis", a_int(axis));
    OpRun r = run_op("Gather", at_, {x, idx}, 13, 1 + iter % 2, 1, {1});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    Shape want(s.begin(), s.begin() + a);
    want.insert(want.end(), is.begin(), is.end());
    want.insert(want.end(), s.begin() + a + 1, s.end());
    ASSERT_EQ(r.outputs[0].shape(), want);
    for (int64_t i = 0; i < r.outputs[0].numel(); ++i) {
      std::vector<int64_t> o = unravel(i, want);
      std::vector<int64_t> src(o.begin(), o.begin() + a);
      std::vector<int64_t> ii(o.begin() + a, o.begin() + a + static_cast<int64_t>(is.size()));
      int64_t k = idx.item_as_int(ravel(ii, is));
      src.push_back(k < 0 ? k + dim : k);
      src.insert(src.end(), o.begin() + a + static_cast<int64_t>(is.size()), o.end());
      ASSERT_EQ(at<double>(r.outputs[0], i), at<double>(x, ravel(src, s)));
    }
  }
  // Scalar index on an int64 shape vector (Shape -> Gather).
  OpRun r = run_op("Gather", {}, {i64({2, 3, 224, 224}), Tensor::scalar<int64_t>(-3)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), Shape{});
  EXPECT_EQ(r.outputs[0].data<int64_t>()[0], 3);
  // Out of range index (runtime and plan time), float indices.
  Tensor x = random_unit<float>({3, 4}, 10);
  EXPECT_EQ(run_op("Gather", {}, {x, i64({3})}, 13, 2, 1, {1}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Gather", {}, {x, i64({-4})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Gather", {}, {x, Tensor::from_vector<float>({1}, {0.0f})}).status.code(),
            StatusCode::kInvalidArgument);
}

TEST(TensorOps, GatherElements) {
  Tensor x = random_unit<float>({3, 4, 5}, 11);
  std::mt19937 rng(12);
  for (int64_t axis : {0, 1, 2, -1}) {
    int64_t a = axis < 0 ? axis + 3 : axis;
    Shape is = {2, 3, 4};
    is[static_cast<size_t>(a)] = 6;
    Tensor idx = Tensor::zeros(DataType::kInt64, is);
    const int64_t dim = x.dim(static_cast<int>(a));
    for (int64_t i = 0; i < idx.numel(); ++i) idx.data<int64_t>()[i] = static_cast<int64_t>(rng() % (2 * dim)) - dim;
    ir::Attributes at_;
    at_.set("axis", a_int(axis));
    OpRun r = run_op("GatherElements", at_, {x, idx}, 13, 2);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.outputs[0].shape(), is);
    for (int64_t i = 0; i < idx.numel(); ++i) {
      std::vector<int64_t> o = unravel(i, is);
      int64_t k = idx.data<int64_t>()[i];
      o[static_cast<size_t>(a)] = k < 0 ? k + dim : k;
      ASSERT_EQ(at<float>(r.outputs[0], i), at<float>(x, ravel(o, x.shape())));
    }
  }
  EXPECT_EQ(run_op("GatherElements", {}, {x, i64({0})}).status.code(), StatusCode::kInvalidArgument);
  Tensor bad = Tensor::zeros(DataType::kInt64, {1, 1, 1});
  bad.data<int64_t>()[0] = 3;
  EXPECT_EQ(run_op("GatherElements", {}, {x, bad}).status.code(), StatusCode::kInvalidArgument);
}

// ---- Transpose -------------------------------------------------------------------------

template <class T>
void check_transpose(const Tensor& x, const std::vector<int64_t>& perm, const Tensor& y) {
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> o = unravel(i, y.shape());
    std::vector<int64_t> src(o.size());
    for (size_t d = 0; d < perm.size(); ++d) src[static_cast<size_t>(perm[d])] = o[d];
    ASSERT_EQ(at<T>(y, i), at<T>(x, ravel(src, x.shape()))) << "at " << i;
  }
}

TEST(TensorOps, TransposeRandomPerms) {
  std::mt19937 rng(13);
  for (int iter = 0; iter < 60; ++iter) {
    int rank = 1 + static_cast<int>(rng() % 5);
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(rng() % 5));
    std::vector<int64_t> perm(static_cast<size_t>(rank));
    std::iota(perm.begin(), perm.end(), 0);
    std::shuffle(perm.begin(), perm.end(), rng);
    ir::Attributes a;
    a.set("perm", a_ints(perm));
    if (iter % 3 == 0) {
      Tensor x = random_unit<float>(s, rng());
      OpRun r = run_op("Transpose", a, {x}, 13, 1 + iter % 2);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      check_transpose<float>(x, perm, r.outputs[0]);
    } else if (iter % 3 == 1) {
      Tensor x = random_unit<int64_t>(s, rng());
      OpRun r = run_op("Transpose", a, {x}, 13, 2);
      ASSERT_TRUE(r.status.ok());
      check_transpose<int64_t>(x, perm, r.outputs[0]);
    } else {
      Tensor x = random_unit<bool>(s, rng());
      OpRun r = run_op("Transpose", a, {x}, 13, 2);
      ASSERT_TRUE(r.status.ok());
      check_transpose<bool>(x, perm, r.outputs[0]);
    }
  }
}

TEST(TensorOps, TransposeCommonLayoutsLarge) {
  struct C {
    Shape s;
    std::vector<int64_t> perm;
  };
  for (C c : {C{{2, 37, 19, 23}, {0, 2, 3, 1}}, C{{2, 19, 23, 37}, {0, 3, 1, 2}}, C{{131, 77}, {1, 0}},
              C{{2, 4, 6, 9, 11}, {0, 2, 1, 3, 4}}, C{{3, 5, 7}, {2, 1, 0}}}) {
    Tensor x = random_unit<float>(c.s, 14);
    ir::Attributes a;
    a.set("perm", a_ints(c.perm));
    OpRun r = run_op("Transpose", a, {x}, 13, 4);
    ASSERT_TRUE(r.status.ok());
    check_transpose<float>(x, c.perm, r.outputs[0]);
    Tensor u = random_unit<uint8_t>(c.s, 15);
    r = run_op("Transpose", a, {u}, 13, 3);
    ASSERT_TRUE(r.status.ok());
    check_transpose<uint8_t>(u, c.perm, r.outputs[0]);
  }
  // Default perm reverses the dims.
  Tensor x = random_unit<float>({2, 3, 4}, 16);
  OpRun r = run_op("Transpose", {}, {x});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].shape(), (Shape{4, 3, 2}));
  check_transpose<float>(x, {2, 1, 0}, r.outputs[0]);
  // Bad perms.
  ir::Attributes dup, short_;
  dup.set("perm", a_ints({0, 0, 1}));
  short_.set("perm", a_ints({1, 0}));
  EXPECT_EQ(run_op("Transpose", dup, {x}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Transpose", short_, {x}).status.code(), StatusCode::kInvalidArgument);
}

// ---- Pad -------------------------------------------------------------------------------

int64_t ref_pad_coord(const std::string& mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == "constant") return -1;
  if (mode == "edge") return std::min(std::max<int64_t>(i, 0), n - 1);
  if (mode == "wrap") return ((i % n) + n) % n;
  // reflect, numpy style, repeated
  if (n == 1) return 0;
  while (i < 0 || i >= n) i = i < 0 ? -i : 2 * (n - 1) - i;
  return i;
}

template <class T>
void check_pad(const Tensor& x, const std::vector<int64_t>& pads, const std::string& mode, T value, const Tensor& y) {
  const size_t r = x.shape().size();
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<int64_t> o = unravel(i, y.shape());
    bool outside = false;
    for (size_t d = 0; d < r; ++d) {
      o[d] = ref_pad_coord(mode, o[d] - pads[d], x.shape()[d]);
      if (o[d] < 0) outside = true;
    }
    T want = outside ? value : at<T>(x, ravel(o, x.shape()));
    ASSERT_EQ(at<T>(y, i), want) << mode << " at " << i;
  }
}

TEST(TensorOps, PadModesRandom) {
  std::mt19937 rng(17);
  for (const std::string mode : {"constant", "reflect", "edge", "wrap"}) {
    for (int iter = 0; iter < 25; ++iter) {
      int rank = 1 + static_cast<int>(rng() % 4);
      Shape s;
      for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(rng() % 5));
      std::vector<int64_t> pads(2 * static_cast<size_t>(rank));
      for (int d = 0; d < 2 * rank; ++d) {
        int64_t n = s[static_cast<size_t>(d % rank)];
        pads[static_cast<size_t>(d)] = static_cast<int64_t>(rng() % (n + 2));
        if (mode == "constant" && rng() % 4 == 0) pads[static_cast<size_t>(d)] = -static_cast<int64_t>(rng() % n);
      }
      ir::Attributes a;
      a.set("mode", a_str(mode));
      Tensor x = random_unit<float>(s, rng());
      Tensor cv = Tensor::scalar<float>(1.25f);
      OpRun r = run_op("Pad", a, {x, i64(pads), iter % 2 ? cv : Tensor()}, 13, 1 + iter % 3);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      check_pad<float>(x, pads, mode, iter % 2 ? 1.25f : 0.0f, r.outputs[0]);
    }
  }
}

TEST(TensorOps, PadOpsetsDtypesAndErrors) {
  Tensor x = random_unit<int64_t>({2, 3}, 18);
  // Opset 2-10: pads and value attributes.
  ir::Attributes a;
  a.set("pads", a_ints({1, 0, 0, 2}));
  a.set("value", a_float(-4.0f));
  OpRun r = run_op("Pad", a, {x}, 10);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{3, 5}));
  check_pad<int64_t>(x, {1, 0, 0, 2}, "constant", -4, r.outputs[0]);
  // Opset 18 axes input: pad only the last axis.
  ir::Attributes e;
  e.set("mode", a_str("edge"));
  r = run_op("Pad", e, {x, i64({2, 1}), Tensor(), i64({-1})}, 18);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].shape(), (Shape{2, 6}));
  check_pad<int64_t>(x, {0, 2, 0, 1}, "edge", 0, r.outputs[0]);
  // uint8 NCHW reflect, bigger, several threads.
  Tensor img = random_unit<uint8_t>({2, 3, 40, 50}, 19);
  ir::Attributes rf;
  rf.set("mode", a_str("reflect"));
  std::vector<int64_t> pads = {0, 0, 3, 2, 0, 0, 1, 4};
  r = run_op("Pad", rf, {img, i64(pads)}, 13, 4);
  ASSERT_TRUE(r.status.ok());
  check_pad<uint8_t>(img, pads, "reflect", 0, r.outputs[0]);
  // Errors: wrong pads length, crop below zero, dtype of constant_value, non-constant pads.
  EXPECT_EQ(run_op("Pad", {}, {x, i64({1, 1})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Pad", {}, {x, i64({0, -2, 0, -2})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Pad", {}, {x, i64({0, 1, 0, 1}), Tensor::scalar<float>(1.0f)}).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Pad", {}, {x, i64({0, 1, 0, 1})}, 13, 2, 1, {1}).status.code(), StatusCode::kUnsupported);
  ir::Attributes bad;
  bad.set("mode", a_str("mirror"));
  EXPECT_FALSE(run_op("Pad", bad, {x, i64({0, 1, 0, 1})}).status.ok());
}

// ---- Tile ------------------------------------------------------------------------------

TEST(TensorOps, TileRandom) {
  std::mt19937 rng(20);
  for (int iter = 0; iter < 30; ++iter) {
    int rank = 1 + static_cast<int>(rng() % 4);
    Shape s;
    std::vector<int64_t> reps;
    for (int d = 0; d < rank; ++d) {
      s.push_back(1 + static_cast<int64_t>(rng() % 4));
      reps.push_back(static_cast<int64_t>(rng() % 4));
    }
    Tensor x = random_unit<int32_t>(s, rng());
    OpRun r = run_op("Tile", {}, {x, i64(reps)}, 13, 1 + iter % 3);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    const Tensor& y = r.outputs[0];
    for (size_t d = 0; d < s.size(); ++d) ASSERT_EQ(y.shape()[d], s[d] * reps[d]);
    for (int64_t i = 0; i < y.numel(); ++i) {
      std::vector<int64_t> o = unravel(i, y.shape());
      for (size_t d = 0; d < o.size(); ++d) o[d] %= s[d];
      ASSERT_EQ(at<int32_t>(y, i), at<int32_t>(x, ravel(o, s)));
    }
  }
  Tensor x = random_unit<float>({2, 3}, 21);
  EXPECT_EQ(run_op("Tile", {}, {x, i64({2})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Tile", {}, {x, i64({2, -1})}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Tile", {}, {x, i64({2, 2})}, 13, 2, 1, {1}).status.code(), StatusCode::kUnsupported);
}

TEST(TensorOps, GatherNdOutOfRangeIndexIsAnErrorAndNegativeCountsFromTheEnd) {
  Tensor data = random_tensor<float>({3, 4}, 5);
  OpRun ok = run_op("GatherND", {}, {data, Tensor::from_vector<int64_t>({2, 2}, {-1, -4, 0, 3})});
  ASSERT_TRUE(ok.status.ok()) << ok.status.to_string();
  EXPECT_EQ(ok.out().data<float>()[0], data.data<float>()[2 * 4 + 0]);
  EXPECT_EQ(ok.out().data<float>()[1], data.data<float>()[0 * 4 + 3]);
  OpRun bad = run_op("GatherND", {}, {data, Tensor::from_vector<int64_t>({1, 2}, {3, 0})});
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument) << bad.status.to_string();
  OpRun deep = run_op("GatherND", {}, {data, Tensor::from_vector<int64_t>({1, 3}, {0, 0, 0})});
  EXPECT_FALSE(deep.status.ok());  // 3 coordinates for a rank-2 tensor
}

}  // namespace
}  // namespace top::ops

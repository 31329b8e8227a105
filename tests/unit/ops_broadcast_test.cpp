// Broadcasting helpers: broadcast_shapes, BroadcastIterator, and the merged-dims plan
// and segment walker that the elementwise kernels run on (ew::make_broadcast_plan,
// ew::walk_segments), checked against plain index arithmetic on random shapes.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "op_test_util.h"
#include "ops/broadcast.h"
#include "ops/elementwise_kernels.h"

namespace top::ops {
namespace {

using namespace top::testing;

// A random output shape and `n` input shapes that broadcast to it.
std::vector<Shape> random_case(std::mt19937& rng, size_t n, Shape& out) {
  const size_t rank = rng() % 6;
  out.assign(rank, 1);
  for (auto& d : out) d = 1 + static_cast<int64_t>(rng() % 4);
  std::vector<Shape> ins;
  for (size_t k = 0; k < n; ++k) {
    size_t drop = rank ? rng() % (rank + 1) : 0;
    Shape s(out.begin() + static_cast<long>(drop), out.end());
    for (auto& d : s)
      if (rng() % 3 == 0) d = 1;
    ins.push_back(s);
  }
  return ins;
}

TEST(Broadcast, Shapes) {
  auto ok = [](std::vector<Shape> in) {
    Result<Shape> r = broadcast_shapes(in);
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : Shape{};
  };
  EXPECT_EQ(ok({{2, 3, 4}, {4}}), (Shape{2, 3, 4}));
  EXPECT_EQ(ok({{3, 1, 5}, {1, 4, 1}}), (Shape{3, 4, 5}));
  EXPECT_EQ(ok({{}, {2, 2}}), (Shape{2, 2}));
  EXPECT_EQ(ok({{}}), (Shape{}));
  EXPECT_EQ(ok({{0, 3}, {1, 3}}), (Shape{0, 3}));
  EXPECT_EQ(ok({{2, 1}, {1, 3}, {4, 1, 1}}), (Shape{4, 2, 3}));
  // Unknown (-1) dims take the known size.
  EXPECT_EQ(ok({{-1, 3}, {5, 1}}), (Shape{5, 3}));
  EXPECT_EQ(ok({{-1, 3}, {1, 3}}), (Shape{-1, 3}));
  Result<Shape> bad = broadcast_shapes({{2, 3}, {4, 3}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(broadcast_shapes({{3}, {2, 0}}).ok());
}

TEST(Broadcast, PlanMergesDims) {
  Result<ew::BroadcastPlan> p = ew::make_broadcast_plan({{2, 8, 5, 5}, {1, 8, 1, 1}}, {2, 8, 5, 5});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dims, (Shape{2, 8, 25}));
  EXPECT_EQ(p->strides[0], (std::vector<int64_t>{200, 25, 1}));
  EXPECT_EQ(p->strides[1], (std::vector<int64_t>{0, 1, 0}));
  p = ew::make_broadcast_plan({{4, 6, 7}, {4, 6, 7}}, {4, 6, 7});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dims, (Shape{168}));
  p = ew::make_broadcast_plan({{4, 6, 7}, {}}, {4, 6, 7});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dims, (Shape{168}));
  EXPECT_EQ(p->inner_stride(1), 0);
  p = ew::make_broadcast_plan({{}, {}}, {});
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->dims, (Shape{1}));
  EXPECT_EQ(p->numel, 1);
  EXPECT_FALSE(ew::make_broadcast_plan({{3, 4}}, {2, 4}).ok());
  EXPECT_FALSE(ew::make_broadcast_plan({{1, 2, 4}}, {2, 4}).ok());
}

TEST(Broadcast, WalkerMatchesIndexArithmetic) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 400; ++iter) {
    Shape out;
    std::vector<Shape> ins = random_case(rng, 3, out);
    Result<ew::BroadcastPlan> p = ew::make_broadcast_plan(ins, out);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    const int64_t n = shape_numel(out);
    ASSERT_EQ(p->numel, n);
    std::vector<std::vector<int64_t>> st;
    for (const Shape& s : ins) st.push_back(ref_strides(s, out));
    // A random sub-range, walked segment by segment.
    int64_t b = n ? static_cast<int64_t>(rng() % n) : 0;
    int64_t e = b + (n - b ? static_cast<int64_t>(rng() % (n - b + 1)) : 0);
    int64_t expect = b;
    ew::walk_segments<3>(*p, b, e, [&](int64_t oo, const int64_t* io, int64_t len) {
      ASSERT_EQ(oo, expect);
      ASSERT_GT(len, 0);
      for (int64_t i = 0; i < len; ++i)
        for (size_t k = 0; k < 3; ++k)
          ASSERT_EQ(io[k] + i * p->inner_stride(k), ref_offset(oo + i, out, st[k]))
              << "iter " << iter << " input " << k << " out " << shape_str(out) << " in " << shape_str(ins[k]);
      expect += len;
    });
    EXPECT_EQ(expect, e);
  }
}

TEST(Broadcast, IteratorMatchesIndexArithmetic) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 200; ++iter) {
    Shape out;
    std::vector<Shape> ins = random_case(rng, 2, out);
    BroadcastIterator it(ins, out);
    std::vector<std::vector<int64_t>> st;
    for (const Shape& s : ins) st.push_back(ref_strides(s, out));
    ASSERT_EQ(it.rows() * it.inner(), shape_numel(out));
    std::vector<int64_t> offs;
    for (int64_t r = 0; r < it.rows(); ++r) {
      it.row_offsets(r, offs);
      for (int64_t i = 0; i < it.inner(); ++i)
        for (size_t k = 0; k < 2; ++k)
          ASSERT_EQ(offs[k] + i * it.inner_strides()[k], ref_offset(r * it.inner() + i, out, st[k]));
    }
  }
}

}  // namespace
}  // namespace top::ops

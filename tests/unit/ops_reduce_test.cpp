// Reductions: every ReduceXxx kind on random shapes and axis sets (attribute and
// input forms across opsets, keepdims, noop_with_empty_axes) against a naive double
// reference, the parallel reduce-all path, integer dtypes, ArgMax/ArgMin, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
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

// Naive reduction in double: the output index of every input element, then fold.
std::vector<double> ref_reduce(const std::vector<double>& x, const Shape& in, const std::vector<bool>& mask,
                               const std::string& kind) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d) out.push_back(mask[d] ? 1 : in[d]);
  const int64_t on = shape_numel(out);
  std::vector<std::vector<double>> groups(static_cast<size_t>(on));
  for (int64_t i = 0; i < static_cast<int64_t>(x.size()); ++i) {
    int64_t rem = i, o = 0, st = 1;
    for (size_t d = in.size(); d-- > 0;) {
      int64_t idx = rem % in[d];
      rem /= in[d];
      o += (mask[d] ? 0 : idx) * st;
      st *= out[d];
    }
    groups[static_cast<size_t>(o)].push_back(x[static_cast<size_t>(i)]);
  }
  std::vector<double> r;
  for (const auto& g : groups) {
    double s = 0, p = 1, mx = -INFINITY, mn = INFINITY, l1 = 0, sq = 0;
    for (double v : g) {
      s += v;
      p *= v;
      mx = std::max(mx, v);
      mn = std::min(mn, v);
      l1 += std::fabs(v);
      sq += v * v;
    }
    double lse = 0;
    for (double v : g) lse += std::exp(v - mx);
    if (kind == "ReduceSum") r.push_back(s);
    else if (kind == "ReduceMean") r.push_back(s / g.size());
    else if (kind == "ReduceMax") r.push_back(mx);
    else if (kind == "ReduceMin") r.push_back(mn);
    else if (kind == "ReduceProd") r.push_back(p);
    else if (kind == "ReduceL1") r.push_back(l1);
    else if (kind == "ReduceL2") r.push_back(std::sqrt(sq));
    else if (kind == "ReduceSumSquare") r.push_back(sq);
    else if (kind == "ReduceLogSum") r.push_back(std::log(s));
    else r.push_back(mx + std::log(lse));
  }
  return r;
}

const char* kKinds[] = {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd",
                        "ReduceL1",  "ReduceL2",   "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

// Runs one reduction with the axes as attribute (opset 11) or input (ReduceSum 13, others 18).
OpRun run_reduce(const std::string& kind, const Tensor& x, const std::vector<int64_t>& axes, bool keepdims,
                 bool axes_as_input, int threads = 2) {
  ir::Attributes a;
  a.set("keepdims", a_int(keepdims ? 1 : 0));
  if (axes_as_input) {
    int opset = kind == "ReduceSum" ? 13 : 18;
    return run_op(kind, a, {x, axes.empty() ? Tensor() : i64(axes)}, opset, threads);
  }
  if (!axes.empty()) a.set("axes", a_ints(axes));
  return run_op(kind, a, {x}, 11, threads);
}

TEST(Reduce, AllKindsRandomShapesAndAxes) {
  std::mt19937 rng(5);
  std::vector<std::pair<Shape, std::vector<int64_t>>> cases = {
      {{2, 3, 4, 5}, {3}},      {{2, 3, 4, 5}, {-1}},     {{2, 3, 4, 5}, {2, 3}},  {{2, 3, 4, 5}, {1}},
      {{2, 3, 4, 5}, {0}},      {{2, 3, 4, 5}, {0, 2}},   {{2, 3, 4, 5}, {1, 3}},  {{2, 3, 4, 5}, {}},
      {{2, 3, 4, 5}, {0, 1, 2, 3}}, {{7, 1, 9}, {1}},     {{7, 1, 9}, {0, 1}},     {{6}, {0}},
      {{1, 1}, {0}},            {{33, 40}, {1}},          {{33, 40}, {0}},         {{3, 1, 5, 1, 4}, {2, 4}},
      {{4, 2048}, {1}},         {{2, 600, 5}, {1}},
  };
  for (const char* kind : kKinds) {
    const std::string k = kind;
    for (const auto& c : cases) {
      double lo = -2, hi = 2;
      if (k == "ReduceLogSum") lo = 0.01;
      if (k == "ReduceProd") lo = 0.5, hi = 1.5;
      Tensor x = random_tensor<float>(c.first, static_cast<uint32_t>(rng()), lo, hi);
      std::vector<bool> mask(c.first.size(), c.second.empty());
      for (int64_t ax : c.second) mask[static_cast<size_t>(ax < 0 ? ax + int64_t(c.first.size()) : ax)] = true;
      auto ref = ref_reduce(as_doubles<float>(x), c.first, mask, k);
      for (bool keep : {true, false}) {
        for (bool as_input : {false, true}) {
          OpRun r = run_reduce(k, x, c.second, keep, as_input);
          ASSERT_TRUE(r.status.ok()) << k << ": " << r.status.to_string();
          Shape expect;
          for (size_t d = 0; d < c.first.size(); ++d)
            if (!mask[d]) expect.push_back(c.first[d]);
            else if (keep) expect.push_back(1);
          ASSERT_EQ(r.out().shape(), expect) << k << " " << shape_str(c.first);
          EXPECT_LE(rel_err<float>(r.out(), ref), 2e-6)
              << k << " " << shape_str(c.first) << " axes " << c.second.size() << " keep " << keep;
        }
      }
    }
  }
}

TEST(Reduce, LargeReduceAllIsParallelAndAccurate) {
  Tensor x = random_tensor<float>({1 << 20}, 9, -1, 1);
  double s = 0, mx = -1e9;
  for (int64_t i = 0; i < x.numel(); ++i) {
    s += x.data<float>()[i];
    mx = std::max(mx, double(x.data<float>()[i]));
  }
  for (int threads : {1, 4}) {
    OpRun r = run_reduce("ReduceSum", x, {}, false, true, threads);
    ASSERT_TRUE(r.status.ok());
    ASSERT_EQ(r.out().shape(), Shape{});
    EXPECT_NEAR(r.out().data<float>()[0], s, 1e-5 * 1024) << threads;
    r = run_reduce("ReduceMean", x, {0}, true, false, threads);
    EXPECT_NEAR(r.out().data<float>()[0], s / x.numel(), 1e-5);
    r = run_reduce("ReduceMax", x, {}, false, false, threads);
    EXPECT_EQ(r.out().data<float>()[0], float(mx));
  }
  // Spatial mean of NCHW (the GlobalAveragePool pattern) and a middle axis, 4 threads.
  Tensor y = random_tensor<float>({2, 64, 56, 56}, 10);
  for (std::vector<int64_t> axes : {std::vector<int64_t>{2, 3}, std::vector<int64_t>{1}}) {
    OpRun r = run_reduce("ReduceMean", y, axes, true, false, 4);
    ASSERT_TRUE(r.status.ok());
    std::vector<bool> mask(4, false);
    for (auto a : axes) mask[static_cast<size_t>(a)] = true;
    EXPECT_LE(rel_err<float>(r.out(), ref_reduce(as_doubles<float>(y), y.shape(), mask, "ReduceMean")), 1e-5);
  }
}

TEST(Reduce, IntegerDtypes) {
  Tensor x = Tensor::from_vector<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  OpRun r = run_reduce("ReduceProd", x, {1}, false, false);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{6, 120}));
  r = run_reduce("ReduceSum", x, {0}, true, true);
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{5, 7, 9}));
  r = run_reduce("ReduceMax", x, {}, false, false);
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{6}));
  r = run_reduce("ReduceMean", x, {1}, false, false);  // integer mean truncates
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{2, 5}));
  Tensor xi = Tensor::from_vector<int32_t>({4}, {-1, 7, 3, -9});
  r = run_reduce("ReduceMin", xi, {0}, false, false);
  EXPECT_EQ(as_doubles<int32_t>(r.out()), (std::vector<double>{-9}));
  EXPECT_EQ(run_reduce("ReduceL2", x, {0}, true, false).status.code(), StatusCode::kUnsupported);
}

TEST(Reduce, NoopWithEmptyAxesAndEmptyInputs) {
  Tensor x = random_tensor<float>({3, 4}, 12);
  ir::Attributes a;
  a.set("noop_with_empty_axes", a_int(1));
  OpRun r = run_op("ReduceSum", a, {x}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().shape(), x.shape());
  EXPECT_EQ(std::memcmp(r.out().raw_data(), x.raw_data(), x.nbytes()), 0);
  r = run_op("ReduceSum", a, {x, i64({})}, 13);  // an empty axes tensor is the same
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().shape(), x.shape());
  // Without it, no axes reduce everything (keepdims: [1,1]).
  r = run_op("ReduceSum", {}, {x}, 13);
  EXPECT_EQ(r.out().shape(), (Shape{1, 1}));
  // Reducing an empty axis gives the identity; an empty output is fine.
  Tensor e = Tensor::zeros(DataType::kFloat32, {0, 3});
  r = run_reduce("ReduceSum", e, {0}, false, false);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<float>(r.out()), (std::vector<double>{0, 0, 0}));
  r = run_reduce("ReduceProd", e, {0}, false, false);
  EXPECT_EQ(as_doubles<float>(r.out()), (std::vector<double>{1, 1, 1}));
  EXPECT_TRUE(run_reduce("ReduceMax", e, {1}, false, false).status.ok());
}

TEST(Reduce, ArgMaxArgMin) {
  Tensor x = random_tensor<float>({3, 4, 5}, 21);
  // Ties: row 0 of the last axis has two maxima and two minima.
  float* p = x.data<float>();
  p[0] = 9, p[3] = 9, p[1] = -9, p[4] = -9;
  for (bool mx : {true, false}) {
    const char* name = mx ? "ArgMax" : "ArgMin";
    for (int64_t axis : {0, 1, 2, -1}) {
      for (int64_t keep : {0, 1}) {
        for (int64_t last : {0, 1}) {
          ir::Attributes a = attrs_of({{"axis", a_int(axis)}, {"keepdims", a_int(keep)}, {"select_last_index", a_int(last)}});
          OpRun r = run_op(name, a, {x}, 13);
          ASSERT_TRUE(r.status.ok()) << r.status.to_string();
          ASSERT_EQ(r.out().dtype(), DataType::kInt64);
          const int64_t ax = axis < 0 ? axis + 3 : axis;
          Shape s = x.shape();
          int64_t outer = 1, d = s[ax], inner = 1;
          for (int64_t i = 0; i < ax; ++i) outer *= s[i];
          for (int64_t i = ax + 1; i < 3; ++i) inner *= s[i];
          Shape expect = s;
          if (keep) expect[ax] = 1; else expect.erase(expect.begin() + ax);
          ASSERT_EQ(r.out().shape(), expect);
          for (int64_t o = 0; o < outer; ++o)
            for (int64_t j = 0; j < inner; ++j) {
              int64_t best = 0;
              for (int64_t k = 1; k < d; ++k) {
                float v = p[(o * d + k) * inner + j], b = p[(o * d + best) * inner + j];
                bool better = mx ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
                if (better) best = k;
              }
              ASSERT_EQ(r.out().data<int64_t>()[o * inner + j], best) << name << " axis " << axis;
            }
        }
      }
    }
  }
  OpRun r = run_op("ArgMax", attrs_of({{"axis", a_int(-1)}, {"select_last_index", a_int(1)}}), {x}, 12);
  EXPECT_EQ(r.out().data<int64_t>()[0], 3);
  r = run_op("ArgMax", attrs_of({{"axis", a_int(-1)}}), {x}, 12);
  EXPECT_EQ(r.out().data<int64_t>()[0], 0);
  EXPECT_EQ(run_op("ArgMax", attrs_of({{"axis", a_int(3)}}), {x}).status.code(), StatusCode::kInvalidArgument);
  Tensor xi = Tensor::from_vector<int64_t>({4}, {3, 8, 8, 1});
  EXPECT_EQ(as_doubles<int64_t>(run_op("ArgMax", {}, {xi}).out()), (std::vector<double>{1}));
}

TEST(Reduce, ErrorsAndCost) {
  Tensor x = random_tensor<float>({2, 3}, 31);
  EXPECT_EQ(run_reduce("ReduceMean", x, {2}, true, false).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_reduce("ReduceSum", x, {-3}, true, true).status.code(), StatusCode::kInvalidArgument);
  // Axes known only at run time: the output shape cannot be planned.
  Status s = run_op("ReduceSum", {}, {x, i64({1})}, 13, 2, 1, {1}).status;
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_FALSE(run_op("ReduceSum", {}, {x, Tensor::from_vector<float>({1}, {1})}, 13).status.ok());
  EXPECT_FALSE(run_op("ReduceMax", {}, {}, 13).status.ok());
  // Axes as attribute at opset 13 for ReduceMean (input form only from 18).
  OpRun r = run_op("ReduceMean", attrs_of({{"axes", a_ints({1})}, {"keepdims", a_int(0)}}), {x}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().shape(), (Shape{2}));
  // Cost: one flop per input element.
  ir::Node node{"n", "ReduceSum", "", 13, {}, {}, {}, nullptr};
  auto op = OpRegistry::builtin().create(node);
  ASSERT_TRUE(op.ok());
  InferContext ictx("n", {ValueInfo{DataType::kFloat32, {8, 100}, nullptr}}, 1);
  ASSERT_TRUE((*op)->infer(ictx).ok());
  EXPECT_EQ((*op)->cost(ictx).flops, 800.0);
  // A wrongly sized output is an error at compute.
  Tensor out = Tensor::zeros(DataType::kFloat32, {5});
  KernelContext kctx({&x}, {&out}, nullptr);
  EXPECT_FALSE((*op)->compute(kctx).ok());
}

}  // namespace
}  // namespace top::ops

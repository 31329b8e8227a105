// NaN propagation (ops/activation_math.h): a NaN input reaches the output of MaxPool,
// GlobalMaxPool, ReduceMax/Min, Max/Min and the clamp activations, and a Conv with a
// fused activation gives exactly what Conv followed by the standalone activation gives.
// Inputs are random with a sprinkling of NaNs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/plan.h"
#include "op_test_util.h"
#include "ops/conv_util.h"
#include "ops/op.h"
#include "test_models.h"
#include "util/thread_pool.h"

namespace top {
namespace {

using namespace top::testing;

const float kNan = std::numeric_limits<float>::quiet_NaN();

// Random floats in [-2, 2] with about `rate` of them NaN (at least one).
Tensor with_nans(Shape s, uint32_t seed, double rate = 0.06) {
  Tensor t = random_tensor<float>(std::move(s), seed);
  std::mt19937 rng(seed * 7 + 1);
  std::bernoulli_distribution pick(rate);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i)
    if (pick(rng)) p[i] = kNan;
  p[t.numel() / 2] = kNan;
  return t;
}

// Same NaN positions and, elsewhere, the same values (exactly, or within `tol`).
void expect_same(const Tensor& got, const std::vector<float>& want, const std::string& what, float tol = 0.0f) {
  ASSERT_EQ(static_cast<size_t>(got.numel()), want.size()) << what;
  int64_t nans = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const float g = got.data<float>()[i], w = want[i];
    if (std::isnan(w)) {
      ++nans;
      ASSERT_TRUE(std::isnan(g)) << what << ": element " << i << " is " << g << ", want NaN";
    } else {
      ASSERT_FALSE(std::isnan(g)) << what << ": element " << i << " is NaN, want " << w;
      if (g != w) {  // != first: infinities
        ASSERT_NEAR(g, w, tol) << what << ": element " << i;
      }
    }
  }
  // A case whose output holds no NaN (or only NaN) would check nothing about propagation.
  EXPECT_GT(nans, 0) << what;
  EXPECT_LT(nans, static_cast<int64_t>(want.size())) << what;
}

// ---- MaxPool -----------------------------------------------------------------------------

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool indices = false;
};

// Naive MaxPool: each output scans its window's valid taps in (d, h, w) order; the first
// NaN wins (and is the index), else the first maximum.
void max_pool_ref(const PoolCase& c, const Tensor& x, const Shape& out, std::vector<float>& y,
                  std::vector<int64_t>& idx) {
  const size_t nd = c.kernel.size();
  const Shape in(c.x.begin() + 2, c.x.end()), os(out.begin() + 2, out.end());
  const int64_t planes = c.x[0] * c.x[1], in_plane = shape_numel(in), out_plane = shape_numel(os);
  int64_t kvol = shape_numel(c.kernel);
  y.assign(static_cast<size_t>(planes * out_plane), 0.0f);
  idx.assign(y.size(), -1);
  for (int64_t p = 0; p < planes; ++p)
    for (int64_t o = 0; o < out_plane; ++o) {
      const std::vector<int64_t> oc = unravel(o, os);
      float best = -std::numeric_limits<float>::infinity();
      int64_t at = -1;
      for (int64_t kk = 0; kk < kvol; ++kk) {
        const std::vector<int64_t> k = unravel(kk, c.kernel);
        std::vector<int64_t> ic(nd);
        bool inside = true;
        for (size_t d = 0; d < nd; ++d) {
          ic[d] = oc[d] * c.strides[d] - c.pads[d] + k[d] * c.dilations[d];
          inside = inside && ic[d] >= 0 && ic[d] < in[d];
        }
        if (!inside) continue;
        const int64_t off = ravel(ic, in);
        const float v = x.data<float>()[p * in_plane + off];
        if (std::isnan(best)) continue;
        if (std::isnan(v) || v > best || at < 0) {
          best = v;
          at = p * in_plane + off;
        }
      }
      y[static_cast<size_t>(p * out_plane + o)] = best;
      idx[static_cast<size_t>(p * out_plane + o)] = at;
    }
}

TEST(OpsNan, MaxPoolWindowWithANanGivesNanOnEveryPath) {
  const std::vector<PoolCase> cases = {
      {{2, 3, 9, 10}, {2, 2}, {2, 2}, {1, 1}, {0, 0, 0, 0}},        // fixed taps, stride 2 (SSE)
      {{1, 4, 11, 13}, {3, 3}, {1, 1}, {1, 1}, {1, 1, 1, 1}},       // fixed taps, stride 1 (SSE)
      {{1, 2, 12, 12}, {5, 5}, {2, 2}, {1, 1}, {2, 2, 2, 2}},       // fixed taps, width 5
      {{2, 2, 10, 11}, {4, 3}, {3, 1}, {1, 1}, {1, 0, 2, 1}},       // general rows
      {{1, 3, 11, 12}, {3, 2}, {1, 2}, {2, 3}, {1, 1, 1, 1}},       // dilated
      {{2, 3, 17}, {5}, {2}, {1}, {2, 1}},                          // 1-D
      {{1, 2, 5, 6, 7}, {2, 2, 3}, {2, 1, 2}, {1, 1, 1}, {1, 0, 1, 0, 1, 1}},  // 3-D
      {{2, 3, 8, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, true},   // with Indices
  };
  uint32_t seed = 40;
  for (const PoolCase& c : cases) {
    const Tensor x = with_nans(c.x, ++seed);
    ir::Attributes a = attrs_of({{"kernel_shape", a_ints(c.kernel)}, {"strides", a_ints(c.strides)},
                                 {"dilations", a_ints(c.dilations)}, {"pads", a_ints(c.pads)}});
    for (int threads : {1, 2}) {
      OpRun r = run_op("MaxPool", a, {x}, 12, threads, c.indices ? 2 : 1);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      std::vector<float> y;
      std::vector<int64_t> idx;
      max_pool_ref(c, x, r.out().shape(), y, idx);
      const std::string what = "MaxPool " + shape_str(c.x) + " kernel " + ops::ints_str(c.kernel);
      expect_same(r.out(), y, what);
      if (c.indices) {
        for (size_t i = 0; i < idx.size(); ++i) ASSERT_EQ(r.out(1).data<int64_t>()[i], idx[i]) << what << " index " << i;
      }
    }
  }
}

TEST(OpsNan, GlobalMaxPoolOfAPlaneWithANanIsNan) {
  Tensor x = random_tensor<float>({2, 5, 6, 7}, 9);
  for (int64_t plane : {0, 3, 9}) x.data<float>()[plane * 42 + (plane * 5) % 42] = kNan;
  OpRun r = run_op("GlobalMaxPool", {}, {x});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  std::vector<float> want(10);
  for (int64_t p = 0; p < 10; ++p) {
    float m = -std::numeric_limits<float>::infinity();
    bool nan = false;
    for (int64_t j = 0; j < 42; ++j) {
      const float v = x.data<float>()[p * 42 + j];
      nan = nan || std::isnan(v);
      m = std::max(m, v);
    }
    want[static_cast<size_t>(p)] = nan ? kNan : m;
  }
  expect_same(r.out(), want, "GlobalMaxPool");
}

// ---- reductions and Max / Min --------------------------------------------------------------

TEST(OpsNan, ReduceMaxAndMinPropagateNanAlongEveryAxisLayout) {
  const Tensor x = with_nans({4, 5, 37}, 11, 0.004);  // rows of 37: vector lanes and a tail
  for (const char* op : {"ReduceMax", "ReduceMin"}) {
    const bool is_max = std::string(op) == "ReduceMax";
    for (std::vector<int64_t> axes : {std::vector<int64_t>{2}, {1}, {0}, {0, 2}}) {
      OpRun r = run_op(op, attrs_of({{"axes", a_ints(axes)}, {"keepdims", a_int(0)}}), {x}, 13);
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      std::vector<float> want(static_cast<size_t>(r.out().numel()));
      std::vector<bool> init(want.size(), false);
      for (int64_t i = 0; i < x.numel(); ++i) {
        std::vector<int64_t> c = unravel(i, x.shape()), kept;
        for (size_t d = 0; d < c.size(); ++d)
          if (std::find(axes.begin(), axes.end(), static_cast<int64_t>(d)) == axes.end()) kept.push_back(c[d]);
        const size_t o = static_cast<size_t>(ravel(kept, r.out().shape()));
        const float v = x.data<float>()[i];
        float& w = want[o];
        if (!init[o] || std::isnan(v))
          w = init[o] && std::isnan(w) ? w : v;  // the first value, or the first NaN
        else if (!std::isnan(w))
          w = is_max ? std::max(w, v) : std::min(w, v);
        init[o] = true;
      }
      expect_same(r.out(), want, std::string(op) + " axes " + ops::ints_str(axes));
    }
  }
}

TEST(OpsNan, ElementwiseMaxAndMinPropagateNanFromEitherSide) {
  const Tensor a = with_nans({3, 40}, 21), b = with_nans({3, 40}, 22), c = with_nans({40}, 23, 0.1);
  for (const char* op : {"Max", "Min"}) {
    const bool is_max = std::string(op) == "Max";
    OpRun r = run_op(op, {}, {a, b, c}, 13);
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    std::vector<float> want(120);
    for (size_t i = 0; i < 120; ++i) {
      const float v[3] = {a.data<float>()[i], b.data<float>()[i], c.data<float>()[i % 40]};
      want[i] = std::isnan(v[0]) || std::isnan(v[1]) || std::isnan(v[2])
                    ? kNan
                    : (is_max ? std::max({v[0], v[1], v[2]}) : std::min({v[0], v[1], v[2]}));
    }
    expect_same(r.out(), want, op);
  }
}

// ---- activations: standalone, fused epilogue, fused through the executor -------------------

struct ActCase {
  const char* op;
  ir::Attributes attrs;
  std::vector<Tensor> extra;  // Clip's min/max inputs
  ops::FusedActivation fused;
};

std::vector<ActCase> act_cases() {
  using K = ops::FusedActivation::Kind;
  auto fused = [](K k, float a = 0, float b = 0) {
    ops::FusedActivation f;
    f.kind = k;
    f.alpha = a;
    f.beta = b;
    return f;
  };
  return {
      {"Relu", {}, {}, fused(K::kRelu)},
      {"LeakyRelu", attrs_of({{"alpha", a_float(0.3f)}}), {}, fused(K::kLeakyRelu, 0.3f)},
      {"Clip", {}, {Tensor::scalar<float>(-0.5f), Tensor::scalar<float>(0.7f)}, fused(K::kClip, -0.5f, 0.7f)},
      {"HardSigmoid", attrs_of({{"alpha", a_float(0.3f)}, {"beta", a_float(0.4f)}}), {},
       fused(K::kHardSigmoid, 0.3f, 0.4f)},
      {"HardSwish", {}, {}, fused(K::kHardSwish, 1.0f / 6.0f, 0.5f)},
      {"Sigmoid", {}, {}, fused(K::kSigmoid)},
      {"Tanh", {}, {}, fused(K::kTanh)},
  };
}

TEST(OpsNan, FusedEpilogueGivesTheStandaloneActivation) {
  Tensor x = with_nans({257}, 31);
  x.data<float>()[3] = std::numeric_limits<float>::infinity();
  x.data<float>()[4] = -std::numeric_limits<float>::infinity();
  for (const ActCase& c : act_cases()) {
    std::vector<Tensor> in = {x};
    in.insert(in.end(), c.extra.begin(), c.extra.end());
    OpRun r = run_op(c.op, c.attrs, in, 14);
    ASSERT_TRUE(r.status.ok()) << c.op << ": " << r.status.to_string();
    std::vector<float> fused(x.data<float>(), x.data<float>() + x.numel());
    c.fused.apply(fused.data(), x.numel());
    // The same formulas, to rounding: the standalone loops may be compiled with FMA
    // (elementwise_kernels.h clones), and Sigmoid/Tanh use fast approximations there.
    expect_same(r.out(), fused, std::string(c.op) + " fused vs standalone", 1e-6f);
  }
}

TEST(OpsNan, ClampActivationsOfNanAreNan) {
  const Tensor x = f32({3}, {kNan, -1.0f, 1.0f});
  for (const char* op : {"Relu", "LeakyRelu", "HardSigmoid", "HardSwish", "Celu", "Elu", "Selu"}) {
    OpRun r = run_op(op, {}, {x}, 14);
    ASSERT_TRUE(r.status.ok()) << op << ": " << r.status.to_string();
    EXPECT_TRUE(std::isnan(r.out().data<float>()[0])) << op << "(NaN) = " << r.out().data<float>()[0];
    EXPECT_FALSE(std::isnan(r.out().data<float>()[1])) << op;
  }
}

// x[1, 3, 9, 9] -> Conv(3x3, pad 1, bias) -> <act> -> y, and the plan with fusion on
// (the activation folded into the Conv step) against the plan with fusion off.
TEST(OpsNan, ConvWithFusedActivationMatchesUnfusedOnNanInputs) {
  for (const ActCase& c : act_cases()) {
    std::mt19937 rng(3);
    onnx::ModelProto m = empty_model(14);  // HardSwish is opset 14
    auto* g = m.mutable_graph();
    add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 3, 9, 9});
    add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, 4, 9, 9});
    add_weight(g, "w", {4, 3, 3, 3}, rng);
    add_weight(g, "b", {4}, rng);
    auto* conv = add_node(g, "Conv", {"x", "w", "b"}, {"c"});
    auto* pads = conv->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(1);
    std::vector<std::string> act_in = {"c"};
    for (size_t i = 0; i < c.extra.size(); ++i) {
      auto* t = g->add_initializer();
      t->set_name("clip" + std::to_string(i));
      t->set_data_type(onnx::TensorProto::FLOAT);
      t->add_float_data(c.extra[i].data<float>()[0]);
      act_in.push_back(t->name());
    }
    auto* act = add_node(g, c.op, act_in, {"y"});
    for (const auto& [name, a] : c.attrs.items()) {
      auto* p = act->add_attribute();
      p->set_name(name);
      p->set_type(onnx::AttributeProto::FLOAT);
      p->set_f(a.f);
    }
    Model model = load_proto(m);
    const std::vector<Shape> shapes = {{1, 3, 9, 9}};
    exec::PlanOptions plain;
    plain.fuse = false;
    auto fused = exec::make_plan(model.graph(), shapes);
    auto unfused = exec::make_plan(model.graph(), shapes, plain);
    ASSERT_TRUE(fused.ok() && unfused.ok()) << c.op << ": " << fused.status().to_string();
    ASSERT_EQ((*fused)->fused_nodes, 1) << c.op << " was not fused";
    // Three NaN pixels: each poisons its 3x3 neighbourhood in every output channel.
    Tensor x = random_tensor<float>(shapes[0], 8);
    for (int64_t i : {10, 100, 200}) x.data<float>()[i] = kNan;
    ThreadPool pool(2);
    exec::Arena a1, a2;
    auto r1 = exec::run_plan(**fused, {&x}, a1, &pool);
    auto r2 = exec::run_plan(**unfused, {&x}, a2, &pool);
    ASSERT_TRUE(r1.ok() && r2.ok()) << c.op << ": " << r1.status().to_string();
    const Tensor& want = (*r2)[0];
    expect_same((*r1)[0], std::vector<float>(want.data<float>(), want.data<float>() + want.numel()),
                std::string("Conv + ") + c.op, 1e-5f);
  }
}

}  // namespace
}  // namespace top

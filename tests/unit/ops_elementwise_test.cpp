// Elementwise ops: binary arithmetic and comparisons under numpy broadcasting, variadic
// Min/Max/Sum/Mean, unary math (Erf to 1e-6 of std::erf), Where, Cast, Identity,
// Dropout; random inputs against naive references, and bad inputs that must fail.
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

// out[i] = f(a[i'], b[i'']) with numpy broadcasting, in double.
template <class T>
std::vector<double> ref_binary(const Tensor& a, const Tensor& b, const Shape& out,
                               const std::function<double(double, double)>& f) {
  auto sa = ref_strides(a.shape(), out), sb = ref_strides(b.shape(), out);
  std::vector<double> r(static_cast<size_t>(shape_numel(out)));
  for (size_t i = 0; i < r.size(); ++i)
    r[i] = f(static_cast<double>(a.data<T>()[ref_offset(static_cast<int64_t>(i), out, sa)]),
             static_cast<double>(b.data<T>()[ref_offset(static_cast<int64_t>(i), out, sb)]));
  return r;
}

struct ShapePair {
  Shape a, b, out;
};

const std::vector<ShapePair>& broadcast_pairs() {
  static const std::vector<ShapePair> pairs = {
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {}, {2, 3, 4}},
      {{}, {2, 3, 4}, {2, 3, 4}},
      {{2, 3, 4}, {4}, {2, 3, 4}},
      {{2, 8, 5, 5}, {1, 8, 1, 1}, {2, 8, 5, 5}},
      {{2, 8, 5, 5}, {8, 1, 1}, {2, 8, 5, 5}},
      {{3, 1, 5}, {1, 4, 1}, {3, 4, 5}},
      {{5, 1}, {1, 7}, {5, 7}},
      {{1}, {6}, {6}},
      {{4, 1, 3, 1}, {2, 1, 2}, {4, 2, 3, 2}},
      {{0, 3}, {1, 3}, {0, 3}},
      {{1, 1}, {1, 1}, {1, 1}},
      {{3, 70000}, {70000}, {3, 70000}},  // large: several parallel chunks
      {{300, 1, 200}, {300, 4, 1}, {300, 4, 200}},
  };
  return pairs;
}

TEST(Elementwise, FloatArithmeticBroadcasts) {
  struct Op2 {
    const char* name;
    std::function<double(double, double)> f;
  };
  std::vector<Op2> ops = {{"Add", [](double x, double y) { return x + y; }},
                          {"Sub", [](double x, double y) { return x - y; }},
                          {"Mul", [](double x, double y) { return x * y; }},
                          {"Div", [](double x, double y) { return x / y; }},
                          {"Pow", [](double x, double y) { return std::pow(std::fabs(x), y); }},
                          {"Min", [](double x, double y) { return std::min(x, y); }},
                          {"Max", [](double x, double y) { return std::max(x, y); }},
                          {"Sum", [](double x, double y) { return x + y; }},
                          {"Mean", [](double x, double y) { return (x + y) / 2; }}};
  uint32_t seed = 1;
  for (const Op2& op : ops) {
    for (const ShapePair& sp : broadcast_pairs()) {
      for (int threads : {1, 3}) {
        Tensor a = random_tensor<float>(sp.a, seed++);
        Tensor b = random_tensor<float>(sp.b, seed++);
        if (std::string(op.name) == "Pow")  // positive bases for fractional exponents
          for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = std::fabs(a.data<float>()[i]);
        OpRun r = run_op(op.name, {}, {a, b}, 13, threads);
        ASSERT_TRUE(r.status.ok()) << op.name << ": " << r.status.to_string();
        ASSERT_EQ(r.out().shape(), sp.out) << op.name;
        ASSERT_EQ(r.out().dtype(), DataType::kFloat32);
        EXPECT_LE(rel_err<float>(r.out(), ref_binary<float>(a, b, sp.out, op.f)), 1e-6)
            << op.name << " " << shape_str(sp.a) << " " << shape_str(sp.b) << " threads " << threads;
      }
    }
  }
}

TEST(Elementwise, IntegerArithmetic) {
  for (auto sp : broadcast_pairs()) {
    Tensor a = random_tensor<int64_t>(sp.a, 3, -1000, 1000);
    Tensor b = random_tensor<int64_t>(sp.b, 4, 1, 50);
    for (const char* name : {"Add", "Sub", "Mul", "Div", "Min", "Max"}) {
      OpRun r = run_op(name, {}, {a, b});
      ASSERT_TRUE(r.status.ok()) << name << ": " << r.status.to_string();
      ASSERT_EQ(r.out().dtype(), DataType::kInt64);
      auto sa = ref_strides(a.shape(), sp.out), sb = ref_strides(b.shape(), sp.out);
      for (int64_t i = 0; i < r.out().numel(); ++i) {
        int64_t x = a.data<int64_t>()[ref_offset(i, sp.out, sa)], y = b.data<int64_t>()[ref_offset(i, sp.out, sb)];
        int64_t e = name[0] == 'A' ? x + y : name[0] == 'S' ? x - y : name[0] == 'D' ? x / y
                  : std::string(name) == "Mul" ? x * y : std::string(name) == "Min" ? std::min(x, y) : std::max(x, y);
        ASSERT_EQ(r.out().data<int64_t>()[i], e) << name << " at " << i;
      }
    }
  }
  // int32, C-style truncating division, and division by zero does not trap.
  Tensor a = Tensor::from_vector<int32_t>({6}, {7, -7, 7, -7, 5, std::numeric_limits<int32_t>::min()});
  Tensor b = Tensor::from_vector<int32_t>({6}, {2, 2, -2, -2, 0, -1});
  OpRun r = run_op("Div", {}, {a, b});
  ASSERT_TRUE(r.status.ok());
  std::vector<int32_t> expect = {3, -3, -3, 3, 0, std::numeric_limits<int32_t>::min()};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r.out().data<int32_t>()[i], expect[i]) << i;
  // Mod: sign of the divisor by default, of the dividend with fmod=1.
  Tensor ma = Tensor::from_vector<int64_t>({4}, {7, -7, 7, -7});
  Tensor mb = Tensor::from_vector<int64_t>({4}, {3, 3, -3, -3});
  r = run_op("Mod", {}, {ma, mb});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{1, 2, -2, -1}));
  r = run_op("Mod", attrs_of({{"fmod", a_int(1)}}), {ma, mb});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{1, -1, 1, -1}));
  Tensor fa = Tensor::from_vector<float>({2}, {5.5f, -5.5f});
  Tensor fb = Tensor::from_vector<float>({1}, {2.0f});
  r = run_op("Mod", attrs_of({{"fmod", a_int(1)}}), {fa, fb});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<float>(r.out()), (std::vector<double>{1.5, -1.5}));
  EXPECT_EQ(run_op("Mod", {}, {fa, fb}).status.code(), StatusCode::kInvalidArgument);
}

TEST(Elementwise, NarrowIntegersWrapAndNeverTrap) {
  // uint8, int8 and int16 as numpy and ONNX Runtime compute them: wrapping on overflow,
  // 0 for a division by zero, INT8_MIN / -1 wrapping to INT8_MIN.
  Tensor ua = Tensor::from_vector<uint8_t>({4}, {200, 7, 3, 250});
  Tensor ub = Tensor::from_vector<uint8_t>({4}, {100, 0, 5, 6});
  EXPECT_EQ(as_doubles<uint8_t>(run_op("Add", {}, {ua, ub}).out()), (std::vector<double>{44, 7, 8, 0}));
  EXPECT_EQ(as_doubles<uint8_t>(run_op("Sub", {}, {ub, ua}).out()), (std::vector<double>{156, 249, 2, 12}));
  EXPECT_EQ(as_doubles<uint8_t>(run_op("Div", {}, {ua, ub}).out()), (std::vector<double>{2, 0, 0, 41}));
  EXPECT_EQ(as_doubles<uint8_t>(run_op("Mod", {}, {ua, ub}).out()), (std::vector<double>{0, 0, 3, 4}));
  EXPECT_EQ(as_doubles<uint8_t>(run_op("Max", {}, {ua, ub}).out()), (std::vector<double>{200, 7, 5, 250}));
  Tensor ia = Tensor::from_vector<int8_t>({4}, {-128, 100, -7, 7});
  Tensor ib = Tensor::from_vector<int8_t>({4}, {-1, 100, 3, -3});
  EXPECT_EQ(as_doubles<int8_t>(run_op("Div", {}, {ia, ib}).out()), (std::vector<double>{-128, 1, -2, -2}));
  EXPECT_EQ(as_doubles<int8_t>(run_op("Mul", {}, {ia, ib}).out()), (std::vector<double>{-128, 16, -21, -21}));
  EXPECT_EQ(as_doubles<int8_t>(run_op("Mod", {}, {ia, ib}).out()), (std::vector<double>{0, 0, 2, -2}));
  Tensor sa = Tensor::from_vector<int16_t>({2}, {32767, -5});
  Tensor sb = Tensor::from_vector<int16_t>({2}, {1, 9});
  EXPECT_EQ(as_doubles<int16_t>(run_op("Add", {}, {sa, sb}).out()), (std::vector<double>{-32768, 4}));
  EXPECT_EQ(as_doubles<int16_t>(run_op("Min", {}, {sa, sb}).out()), (std::vector<double>{1, -5}));
  // uint16 multiplies without the int overflow its promotion would give: 65535^2 wraps to 1.
  Tensor w16 = Tensor::from_vector<uint16_t>({2}, {65535, 300});
  EXPECT_EQ(as_doubles<uint16_t>(run_op("Mul", {}, {w16, w16}).out()), (std::vector<double>{1, 24464}));
  // BitShift: unsigned only; a shift by the bit width or more gives 0.
  Tensor s8 = Tensor::from_vector<uint8_t>({3}, {0x81, 3, 255});
  Tensor by = Tensor::from_vector<uint8_t>({3}, {1, 9, 7});
  EXPECT_EQ(as_doubles<uint8_t>(run_op("BitShift", attrs_of({{"direction", a_str("LEFT")}}), {s8, by}, 11).out()),
            (std::vector<double>{2, 0, 128}));
  EXPECT_EQ(as_doubles<uint8_t>(run_op("BitShift", attrs_of({{"direction", a_str("RIGHT")}}), {s8, by}, 11).out()),
            (std::vector<double>{64, 0, 1}));
  EXPECT_EQ(run_op("BitShift", attrs_of({{"direction", a_str("UP")}}), {s8, by}, 11).status.code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("BitShift", attrs_of({{"direction", a_str("LEFT")}}), {ia, ib}, 11).status.code(),
            StatusCode::kUnsupported);  // int8
  // Sum and Mean stay float (and int32/int64 for Sum), as ONNX defines them.
  EXPECT_EQ(run_op("Mean", {}, {ua, ub}).status.code(), StatusCode::kUnsupported);
}

TEST(Elementwise, PowExponentsAndDtypes) {
  Tensor x = random_tensor<float>({3, 50}, 9, 0.1, 3.0);
  for (float e : {2.0f, 3.0f, 0.5f, 1.0f, -1.0f, 1.7f, 0.0f}) {
    OpRun r = run_op("Pow", {}, {x, Tensor::scalar<float>(e)});
    ASSERT_TRUE(r.status.ok());
    std::vector<double> ref;
    for (int64_t i = 0; i < x.numel(); ++i) ref.push_back(std::pow(static_cast<double>(x.data<float>()[i]), e));
    EXPECT_LE(rel_err<float>(r.out(), ref), 1e-6) << e;
  }
  // Exponent of another dtype (opset 12+), base int64.
  OpRun r = run_op("Pow", {}, {x, Tensor::from_vector<int64_t>({1}, {2})}, 13);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.out().dtype(), DataType::kFloat32);
  EXPECT_FLOAT_EQ(r.out().data<float>()[5], x.data<float>()[5] * x.data<float>()[5]);
  r = run_op("Pow", {}, {Tensor::from_vector<int64_t>({3}, {2, 3, -2}), Tensor::from_vector<int64_t>({1}, {3})}, 13);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{8, 27, -8}));
}

TEST(Elementwise, VariadicThreeInputs) {
  Tensor a = random_tensor<float>({2, 3, 4}, 21), b = random_tensor<float>({3, 1}, 22), c = random_tensor<float>({4}, 23);
  Shape out = {2, 3, 4};
  auto sa = ref_strides(a.shape(), out), sb = ref_strides(b.shape(), out), sc = ref_strides(c.shape(), out);
  for (const char* name : {"Min", "Max", "Sum", "Mean"}) {
    OpRun r = run_op(name, {}, {a, b, c});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    std::vector<double> ref;
    for (int64_t i = 0; i < 24; ++i) {
      double x = a.data<float>()[ref_offset(i, out, sa)], y = b.data<float>()[ref_offset(i, out, sb)],
             z = c.data<float>()[ref_offset(i, out, sc)];
      std::string n = name;
      ref.push_back(n == "Min" ? std::min({x, y, z}) : n == "Max" ? std::max({x, y, z}) : n == "Sum" ? x + y + z : (x + y + z) / 3);
    }
    EXPECT_LE(rel_err<float>(r.out(), ref), 1e-6) << name;
  }
  // One input: a copy; the output shape follows it.
  OpRun r = run_op("Max", {}, {a});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(std::memcmp(r.out().raw_data(), a.raw_data(), a.nbytes()), 0);
  EXPECT_FALSE(run_op("Max", {}, {}).status.ok());
  EXPECT_FALSE(run_op("Sum", {}, {a, Tensor::from_vector<int64_t>({1}, {1})}).status.ok());
}

TEST(Elementwise, ComparisonsAndLogic) {
  Tensor a = random_tensor<int64_t>({4, 5}, 31, -3, 3), b = random_tensor<int64_t>({5}, 32, -3, 3);
  Tensor fa = random_tensor<float>({2, 4, 5}, 33), fb = random_tensor<float>({4, 1}, 34);
  fb.data<float>()[0] = fa.data<float>()[0];  // one exact tie
  struct C {
    const char* name;
    std::function<bool(double, double)> f;
  };
  for (const C& c : {C{"Equal", [](double x, double y) { return x == y; }}, C{"Less", [](double x, double y) { return x < y; }},
                     C{"Greater", [](double x, double y) { return x > y; }},
                     C{"LessOrEqual", [](double x, double y) { return x <= y; }},
                     C{"GreaterOrEqual", [](double x, double y) { return x >= y; }}}) {
    OpRun r = run_op(c.name, {}, {a, b});
    ASSERT_TRUE(r.status.ok()) << r.status.to_string();
    ASSERT_EQ(r.out().dtype(), DataType::kBool);
    auto ref = ref_binary<int64_t>(a, b, {4, 5}, [&](double x, double y) { return c.f(x, y) ? 1.0 : 0.0; });
    EXPECT_EQ(as_doubles<bool>(r.out()), ref) << c.name;
    r = run_op(c.name, {}, {fa, fb});
    ASSERT_TRUE(r.status.ok());
    ref = ref_binary<float>(fa, fb, {2, 4, 5}, [&](double x, double y) { return c.f(x, y) ? 1.0 : 0.0; });
    EXPECT_EQ(as_doubles<bool>(r.out()), ref) << c.name;
  }
  Tensor ba = random_tensor<bool>({3, 4}, 35), bb = random_tensor<bool>({4}, 36);
  OpRun r = run_op("Equal", {}, {ba, bb});
  ASSERT_TRUE(r.status.ok());
  for (const C& c : {C{"And", [](double x, double y) { return x && y; }}, C{"Or", [](double x, double y) { return x || y; }},
                     C{"Xor", [](double x, double y) { return (x != 0) != (y != 0); }}}) {
    r = run_op(c.name, {}, {ba, bb});
    ASSERT_TRUE(r.status.ok());
    EXPECT_EQ(as_doubles<bool>(r.out()),
              ref_binary<bool>(ba, bb, {3, 4}, [&](double x, double y) { return c.f(x, y) ? 1.0 : 0.0; }));
  }
  r = run_op("Not", {}, {ba});
  ASSERT_TRUE(r.status.ok());
  for (int64_t i = 0; i < 12; ++i) EXPECT_EQ(r.out().data<bool>()[i], !ba.data<bool>()[i]);
  EXPECT_EQ(run_op("And", {}, {fa, fb}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(run_op("Not", {}, {fa}).status.ok());
}

TEST(Elementwise, UnaryMath) {
  Tensor x = random_tensor<float>({7, 1000}, 41, -4, 4);
  Tensor pos = random_tensor<float>({7, 1000}, 42, 0.01, 5);
  struct U {
    const char* name;
    std::function<double(double)> f;
    bool positive;
  };
  std::vector<U> us = {{"Sqrt", [](double v) { return std::sqrt(v); }, true},
                       {"Exp", [](double v) { return std::exp(v); }, false},
                       {"Log", [](double v) { return std::log(v); }, true},
                       {"Neg", [](double v) { return -v; }, false},
                       {"Abs", [](double v) { return std::fabs(v); }, false},
                       {"Reciprocal", [](double v) { return 1.0 / v; }, true},
                       {"Floor", [](double v) { return std::floor(v); }, false},
                       {"Ceil", [](double v) { return std::ceil(v); }, false},
                       {"Round", [](double v) { return std::nearbyint(v); }, false},
                       {"Sign", [](double v) { return (v > 0) - (v < 0); }, false},
                       {"Erf", [](double v) { return std::erf(v); }, false},
                       {"Sin", [](double v) { return std::sin(v); }, false},
                       {"Cos", [](double v) { return std::cos(v); }, false}};
  for (const U& u : us) {
    const Tensor& in = u.positive ? pos : x;
    OpRun r = run_op(u.name, {}, {in}, 13, 3);
    ASSERT_TRUE(r.status.ok()) << u.name << ": " << r.status.to_string();
    std::vector<double> ref;
    for (int64_t i = 0; i < in.numel(); ++i) ref.push_back(u.f(in.data<float>()[i]));
    EXPECT_LE(rel_err<float>(r.out(), ref), 1e-6) << u.name;
  }
  // Round half to even.
  OpRun r = run_op("Round", {}, {Tensor::from_vector<float>({4}, {0.5f, 1.5f, 2.5f, -0.5f})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<float>(r.out()), (std::vector<double>{0, 2, 2, -0.0}));
  // Integer Neg / Abs / Sign.
  Tensor xi = Tensor::from_vector<int64_t>({3}, {-5, 0, 7});
  EXPECT_EQ(as_doubles<int64_t>(run_op("Neg", {}, {xi}).out()), (std::vector<double>{5, 0, -7}));
  EXPECT_EQ(as_doubles<int64_t>(run_op("Abs", {}, {xi}).out()), (std::vector<double>{5, 0, 7}));
  EXPECT_EQ(as_doubles<int64_t>(run_op("Sign", {}, {xi}).out()), (std::vector<double>{-1, 0, 1}));
  EXPECT_EQ(run_op("Exp", {}, {xi}).status.code(), StatusCode::kUnsupported);
  // IsNaN / IsInf.
  Tensor special = Tensor::from_vector<float>({4}, {1.0f, std::nanf(""), std::numeric_limits<float>::infinity(),
                                                    -std::numeric_limits<float>::infinity()});
  EXPECT_EQ(as_doubles<bool>(run_op("IsNaN", {}, {special}).out()), (std::vector<double>{0, 1, 0, 0}));
  EXPECT_EQ(as_doubles<bool>(run_op("IsInf", {}, {special}).out()), (std::vector<double>{0, 0, 1, 1}));
  EXPECT_EQ(as_doubles<bool>(run_op("IsInf", attrs_of({{"detect_negative", a_int(0)}}), {special}).out()),
            (std::vector<double>{0, 0, 1, 0}));
}

TEST(Elementwise, ErfAndExpAccuracyDenseGrid) {
  std::vector<float> v;
  for (float t = -10.0f; t <= 10.0f; t += 1.0f / 1024) v.push_back(t);
  Tensor x = Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  OpRun r = run_op("Erf", {}, {x});
  ASSERT_TRUE(r.status.ok());
  double worst = 0;
  for (size_t i = 0; i < v.size(); ++i)
    worst = std::max(worst, std::fabs(double(r.out().data<float>()[i]) - double(std::erf(v[i]))));
  EXPECT_LE(worst, 1e-6);
  // Exp: relative error, overflow to inf, underflow to 0, NaN propagates.
  std::vector<float> e;
  for (float t = -87.0f; t <= 88.7f; t += 1.0f / 64) e.push_back(t);
  x = Tensor::from_vector<float>({static_cast<int64_t>(e.size())}, e);
  r = run_op("Exp", {}, {x});
  ASSERT_TRUE(r.status.ok());
  double rel = 0;
  for (size_t i = 0; i < e.size(); ++i) {
    double ref = std::exp(double(e[i]));
    rel = std::max(rel, std::fabs(double(r.out().data<float>()[i]) - ref) / ref);
  }
  EXPECT_LE(rel, 5e-7);
  x = Tensor::from_vector<float>({6}, {100.0f, -120.0f, std::nanf(""), 0.0f, -100.0f, -95.0f});
  r = run_op("Exp", {}, {x});
  EXPECT_TRUE(std::isinf(r.out().data<float>()[0]));
  EXPECT_EQ(r.out().data<float>()[1], 0.0f);
  EXPECT_NEAR(r.out().data<float>()[4], std::exp(-100.0), 1e-45);  // subnormal results kept
  EXPECT_NEAR(r.out().data<float>()[5], std::exp(-95.0), 1e-44);
  EXPECT_TRUE(std::isnan(r.out().data<float>()[2]));
  EXPECT_EQ(r.out().data<float>()[3], 1.0f);
}

TEST(Elementwise, WhereBroadcastsAnyDtype) {
  Tensor c = random_tensor<bool>({3, 1, 5}, 51);
  Tensor xf = random_tensor<float>({4, 5}, 52), yf = random_tensor<float>({1}, 53);
  OpRun r = run_op("Where", {}, {c, xf, yf});
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  Shape out = {3, 4, 5};
  ASSERT_EQ(r.out().shape(), out);
  auto sc = ref_strides(c.shape(), out), sx = ref_strides(xf.shape(), out), sy = ref_strides(yf.shape(), out);
  for (int64_t i = 0; i < 60; ++i) {
    float e = c.data<bool>()[ref_offset(i, out, sc)] ? xf.data<float>()[ref_offset(i, out, sx)]
                                                      : yf.data<float>()[ref_offset(i, out, sy)];
    ASSERT_EQ(r.out().data<float>()[i], e) << i;
  }
  // Same shapes (vector select), int64, bool and a large tensor.
  for (Shape s : {Shape{6, 7}, Shape{5, 40000}}) {
    Tensor cc = random_tensor<bool>(s, 54), xi = random_tensor<int64_t>(s, 55, -9, 9), yi = random_tensor<int64_t>(s, 56, -9, 9);
    r = run_op("Where", {}, {cc, xi, yi}, 16, 4);
    ASSERT_TRUE(r.status.ok());
    for (int64_t i = 0; i < cc.numel(); ++i)
      ASSERT_EQ(r.out().data<int64_t>()[i], cc.data<bool>()[i] ? xi.data<int64_t>()[i] : yi.data<int64_t>()[i]);
  }
  Tensor xb = random_tensor<bool>({2, 3}, 57), yb = random_tensor<bool>({3}, 58), cb = random_tensor<bool>({2, 1}, 59);
  r = run_op("Where", {}, {cb, xb, yb});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().dtype(), DataType::kBool);
  EXPECT_EQ(run_op("Where", {}, {xf, xf, yf}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Where", {}, {c, xf, Tensor::from_vector<int64_t>({1}, {1})}).status.code(),
            StatusCode::kInvalidArgument);
}

TEST(Elementwise, CastMatrix) {
  Tensor f = Tensor::from_vector<float>({8}, {1.9f, -1.9f, 0.5f, -0.5f, 300.7f, -300.2f, 0.0f, 127.0f});
  auto cast = [](const Tensor& t, int64_t to) { return run_op("Cast", attrs_of({{"to", a_int(to)}}), {t}); };
  OpRun r = cast(f, 7);  // INT64: truncation toward zero
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(as_doubles<int64_t>(r.out()), (std::vector<double>{1, -1, 0, 0, 300, -300, 0, 127}));
  r = cast(f, 6);
  EXPECT_EQ(as_doubles<int32_t>(r.out()), (std::vector<double>{1, -1, 0, 0, 300, -300, 0, 127}));
  r = cast(f, 9);  // BOOL
  EXPECT_EQ(as_doubles<bool>(r.out()), (std::vector<double>{1, 1, 1, 1, 1, 1, 0, 1}));
  r = cast(f, 2);  // UINT8 wraps like ORT on x86
  EXPECT_EQ(as_doubles<uint8_t>(r.out()), (std::vector<double>{1, 255, 0, 0, 44, 212, 0, 127}));
  r = cast(f, 11);  // DOUBLE
  EXPECT_EQ(r.out().dtype(), DataType::kFloat64);
  EXPECT_DOUBLE_EQ(r.out().data<double>()[0], double(1.9f));
  Tensor i = Tensor::from_vector<int64_t>({4}, {-3, 0, 5, 1});
  r = cast(i, 1);
  EXPECT_EQ(as_doubles<float>(r.out()), (std::vector<double>{-3, 0, 5, 1}));
  r = cast(i, 9);
  EXPECT_EQ(as_doubles<bool>(r.out()), (std::vector<double>{1, 0, 1, 1}));
  r = cast(i, 3);
  EXPECT_EQ(as_doubles<int8_t>(r.out()), (std::vector<double>{-3, 0, 5, 1}));
  Tensor b = Tensor::from_vector<bool>({2}, {true, false});
  EXPECT_EQ(as_doubles<float>(cast(b, 1).out()), (std::vector<double>{1, 0}));
  EXPECT_EQ(as_doubles<int64_t>(cast(b, 7).out()), (std::vector<double>{1, 0}));
  // NaN and out of range do not trap.
  Tensor nan = Tensor::from_vector<float>({3}, {std::nanf(""), 1e30f, -1e30f});
  r = cast(nan, 7);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().data<int64_t>()[0], 0);
  EXPECT_EQ(r.out().data<int64_t>()[1], std::numeric_limits<int64_t>::max());
  // float16 round trip is exact for halves; float -> half rounds to nearest even.
  Tensor h = Tensor::from_vector<float>({7}, {1.0f, -2.5f, 65504.0f, 1e-7f, 0.1f, 1e6f, 6.1035156e-05f});
  r = cast(h, 10);
  ASSERT_TRUE(r.status.ok());
  ASSERT_EQ(r.out().dtype(), DataType::kFloat16);
  const uint16_t* hb = static_cast<const uint16_t*>(r.out().raw_data());
  EXPECT_EQ(hb[0], 0x3c00);
  EXPECT_EQ(hb[1], 0xc100);
  EXPECT_EQ(hb[2], 0x7bff);
  EXPECT_EQ(hb[3], 0x0002);  // subnormal: 1e-7 / 2^-24 = 1.68 -> 2
  EXPECT_EQ(hb[4], 0x2e66);
  EXPECT_EQ(hb[5], 0x7c00);
  EXPECT_EQ(hb[6], 0x0400);
  OpRun back = cast(r.out(), 1);
  ASSERT_TRUE(back.status.ok());
  EXPECT_EQ(back.out().data<float>()[1], -2.5f);
  EXPECT_NEAR(back.out().data<float>()[4], 0.1f, 1e-4);
  EXPECT_FLOAT_EQ(back.out().data<float>()[3], 2 * 5.9604645e-08f);
  // CastLike takes the dtype of its second input.
  r = run_op("CastLike", {}, {f, Tensor::from_vector<int32_t>({1}, {0})}, 15);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out().dtype(), DataType::kInt32);
  EXPECT_EQ(cast(f, 8).status.code(), StatusCode::kUnsupported);  // STRING
  EXPECT_FALSE(run_op("Cast", {}, {f}).status.ok());               // no 'to'
}

TEST(Elementwise, IdentityAndDropout) {
  Tensor x = random_tensor<float>({3, 4}, 61);
  OpRun r = run_op("Identity", {}, {x});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(std::memcmp(r.out().raw_data(), x.raw_data(), x.nbytes()), 0);
  Tensor xi = random_tensor<int64_t>({5}, 62);
  EXPECT_EQ(std::memcmp(run_op("Identity", {}, {xi}).out().raw_data(), xi.raw_data(), xi.nbytes()), 0);
  // Dropout: output = input, mask all true; ratio input ignored in inference.
  r = run_op("Dropout", {}, {x, Tensor::scalar<float>(0.3f)}, 13, 2, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(std::memcmp(r.out().raw_data(), x.raw_data(), x.nbytes()), 0);
  ASSERT_EQ(r.out(1).dtype(), DataType::kBool);
  for (int64_t i = 0; i < 12; ++i) EXPECT_TRUE(r.out(1).data<bool>()[i]);
  r = run_op("Dropout", attrs_of({{"ratio", a_float(0.5f)}}), {x}, 7, 2, 2);  // opset 7: mask of T
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out(1).dtype(), DataType::kFloat32);
  EXPECT_EQ(r.out(1).data<float>()[3], 1.0f);
  Tensor train = Tensor::scalar<bool>(true);
  EXPECT_EQ(run_op("Dropout", {}, {x, Tensor::scalar<float>(0.3f), train}, 13).status.code(), StatusCode::kUnsupported);
  EXPECT_EQ(run_op("Dropout", {}, {x, Tensor(), train}, 13, 2, 1, {2}).status.code(), StatusCode::kUnsupported);
  r = run_op("Dropout", {}, {x, Tensor(), Tensor::scalar<bool>(false)}, 13);
  EXPECT_TRUE(r.status.ok());
}

TEST(Elementwise, BadInputsFail) {
  Tensor a = random_tensor<float>({2, 3}, 71), b = random_tensor<float>({4, 3}, 72);
  for (const char* name : {"Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Min", "Max"}) {
    Status s = run_op(name, {}, {a, b}).status;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_NE(s.message().find("[2,3]"), std::string::npos) << s.message();
    if (name[0] != 'M') {
      EXPECT_FALSE(run_op(name, {}, {a}).status.ok()) << name;  // missing input
    }
  }
  Tensor i = random_tensor<int64_t>({2, 3}, 73);
  EXPECT_EQ(run_op("Add", {}, {a, i}).status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(run_op("Add", {}, {random_tensor<bool>({2}, 1), random_tensor<bool>({2}, 2)}).status.code(),
            StatusCode::kUnsupported);
  EXPECT_EQ(run_op("Add", attrs_of({{"broadcast", a_int(1)}}), {a, a}, 6).status.code(), StatusCode::kUnsupported);
  EXPECT_FALSE(run_op("Sqrt", {}, {}).status.ok());

  // compute() re-checks what infer() saw: a wrongly sized output is an error, not a crash.
  ir::Node node{"n", "Add", "", 13, {}, {}, {}, nullptr};
  auto op = OpRegistry::builtin().create(node);
  ASSERT_TRUE(op.ok());
  Tensor out = Tensor::zeros(DataType::kFloat32, {5, 5});
  KernelContext kctx({&a, &b}, {&out}, nullptr);
  EXPECT_FALSE((*op)->compute(kctx).ok());
  KernelContext kctx2({&a, nullptr}, {&out}, nullptr);
  EXPECT_FALSE((*op)->compute(kctx2).ok());
}

}  // namespace
}  // namespace top::ops

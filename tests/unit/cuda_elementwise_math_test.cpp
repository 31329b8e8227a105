// The GPU kernels' per-element math, checked without a GPU: the __host__ __device__
// functions of kernels/elementwise_math.h and kernels/reduce_math.h (what every thread
// of the elementwise and reduction kernels computes) run on the host and must agree with
// the CPU operators: exactly for integers, casts and comparisons, to float rounding for
// transcendental functions (the CPU uses its own vectorised approximations).
#ifdef TOP_WITH_CUDA

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "backend/cuda/op_index.h"
#include "kernels/elementwise_math.h"
#include "kernels/reduce_math.h"
#include "op_test_util.h"

namespace top {
namespace {

namespace tt = top::testing;
using kernels::BinaryKind;
using kernels::UnaryKind;

template <class T>
Tensor host_unary(UnaryKind k, const kernels::UnaryParams& p, const Tensor& x) {
  Tensor y = Tensor::zeros(x.dtype(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<T>()[i] = kernels::unary_value<T>(k, x.data<T>()[i], p);
  return y;
}

struct UnaryCase {
  const char* op;
  UnaryKind kind;
  double lo, hi;
  ir::Attributes attrs;
  kernels::UnaryParams params;
  int opset = 18;
};

kernels::UnaryParams params(float alpha, float beta = 0, float gamma = 0) {
  kernels::UnaryParams p;
  p.alpha = alpha;
  p.beta = beta;
  p.gamma = gamma;
  return p;
}

TEST(CudaElementwiseMath, FloatUnaryAndActivationsMatchCpu) {
  const std::vector<UnaryCase> cases = {
      {"Sqrt", UnaryKind::kSqrt, 0.01, 4, {}, {}},
      {"Exp", UnaryKind::kExp, -10, 10, {}, {}},
      {"Log", UnaryKind::kLog, 0.01, 10, {}, {}},
      {"Neg", UnaryKind::kNeg, -3, 3, {}, {}},
      {"Abs", UnaryKind::kAbs, -3, 3, {}, {}},
      {"Reciprocal", UnaryKind::kReciprocal, 0.5, 3, {}, {}},
      {"Floor", UnaryKind::kFloor, -3, 3, {}, {}},
      {"Ceil", UnaryKind::kCeil, -3, 3, {}, {}},
      {"Round", UnaryKind::kRound, -3, 3, {}, {}},
      {"Sign", UnaryKind::kSign, -3, 3, {}, {}},
      {"Erf", UnaryKind::kErf, -3, 3, {}, {}},
      {"Sin", UnaryKind::kSin, -3, 3, {}, {}},
      {"Cos", UnaryKind::kCos, -3, 3, {}, {}},
      {"Tan", UnaryKind::kTan, -1, 1, {}, {}},
      {"Atan", UnaryKind::kAtan, -3, 3, {}, {}},
      {"Asin", UnaryKind::kAsin, -0.99, 0.99, {}, {}},
      {"Acos", UnaryKind::kAcos, -0.99, 0.99, {}, {}},
      {"Sinh", UnaryKind::kSinh, -3, 3, {}, {}},
      {"Cosh", UnaryKind::kCosh, -3, 3, {}, {}},
      {"Asinh", UnaryKind::kAsinh, -3, 3, {}, {}},
      {"Acosh", UnaryKind::kAcosh, 1, 4, {}, {}},
      {"Atanh", UnaryKind::kAtanh, -0.95, 0.95, {}, {}},
      {"Relu", UnaryKind::kRelu, -3, 3, {}, {}},
      {"LeakyRelu", UnaryKind::kLeakyRelu, -3, 3, tt::attrs_of({{"alpha", tt::a_float(0.2f)}}), params(0.2f)},
      {"ThresholdedRelu", UnaryKind::kThresholdedRelu, -3, 3, {}, params(1.0f)},
      {"Elu", UnaryKind::kElu, -3, 3, {}, params(1.0f)},
      {"Celu", UnaryKind::kCelu, -3, 3, tt::attrs_of({{"alpha", tt::a_float(0.7f)}}), params(0.7f)},
      {"Selu", UnaryKind::kSelu, -3, 3, {}, params(1.67326319217681884765625f, 0, 1.05070102214813232421875f)},
      {"Sigmoid", UnaryKind::kSigmoid, -12, 12, {}, {}},
      {"HardSigmoid", UnaryKind::kHardSigmoid, -6, 6, {}, params(0.2f, 0.5f)},
      {"HardSwish", UnaryKind::kHardSwish, -6, 6, {}, {}},
      {"Tanh", UnaryKind::kTanh, -5, 5, {}, {}},
      {"Softplus", UnaryKind::kSoftplus, -20, 20, {}, {}},
      {"Softsign", UnaryKind::kSoftsign, -3, 3, {}, {}},
      {"Mish", UnaryKind::kMish, -5, 5, {}, {}},
      {"Shrink", UnaryKind::kShrink, -3, 3, tt::attrs_of({{"lambd", tt::a_float(0.7f)}, {"bias", tt::a_float(0.2f)}}),
       params(0.7f, 0.2f)},
  };
  uint32_t seed = 100;
  for (const UnaryCase& c : cases) {
    const Tensor x = tt::random_tensor<float>({257}, ++seed, c.lo, c.hi);
    tt::OpRun cpu = tt::run_op(c.op, c.attrs, {x}, c.opset);
    ASSERT_TRUE(cpu.status.ok()) << c.op << ": " << cpu.status.to_string();
    const Tensor gpu = host_unary<float>(c.kind, c.params, x);
    std::vector<float> ref(cpu.out().data<float>(), cpu.out().data<float>() + cpu.out().numel());
    EXPECT_LT(tt::rel_error(gpu, ref), 2e-6) << c.op;
    const Tensor xd = tt::random_tensor<double>({64}, ++seed, c.lo, c.hi);
    tt::OpRun cpud = tt::run_op(c.op, c.attrs, {xd}, c.opset);
    ASSERT_TRUE(cpud.status.ok()) << c.op << ": " << cpud.status.to_string();
    EXPECT_LT(tt::rel_err<double>(host_unary<double>(c.kind, c.params, xd), tt::as_doubles<double>(cpud.out())), 1e-12)
        << c.op << " (float64)";
  }
}

TEST(CudaElementwiseMath, NanAndInfinityFollowTheCpu) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const Tensor x = tt::f32({6}, {nan, inf, -inf, 0.0f, -0.0f, 1e30f});
  for (auto [op, kind, p] : std::vector<std::tuple<const char*, UnaryKind, kernels::UnaryParams>>{
           {"HardSigmoid", UnaryKind::kHardSigmoid, params(0.2f, 0.5f)},
           {"HardSwish", UnaryKind::kHardSwish, {}},
           {"Relu", UnaryKind::kRelu, {}},
           {"Sign", UnaryKind::kSign, {}},
           {"Sigmoid", UnaryKind::kSigmoid, {}},
           {"Abs", UnaryKind::kAbs, {}}}) {
    tt::OpRun cpu = tt::run_op(op, {}, {x}, 18);
    ASSERT_TRUE(cpu.status.ok()) << op;
    const Tensor gpu = host_unary<float>(kind, p, x);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const float a = gpu.data<float>()[i], b = cpu.out().data<float>()[i];
      EXPECT_TRUE((std::isnan(a) && std::isnan(b)) || a == b)
          << op << "(" << x.data<float>()[i] << "): " << a << " vs CPU " << b;
    }
  }
}

TEST(CudaElementwiseMath, IntegerUnaryMatchesCpuExactly) {
  const Tensor x = tt::random_tensor<int32_t>({100}, 7, -50, 50);
  for (auto [op, kind] : std::vector<std::pair<const char*, UnaryKind>>{{"Neg", UnaryKind::kNeg},
                                                                        {"Abs", UnaryKind::kAbs},
                                                                        {"Sign", UnaryKind::kSign},
                                                                        {"Relu", UnaryKind::kRelu}}) {
    tt::OpRun cpu = tt::run_op(op, {}, {x}, 18);
    ASSERT_TRUE(cpu.status.ok()) << op;
    EXPECT_TRUE(tt::same_bytes(host_unary<int32_t>(kind, {}, x), cpu.out())) << op;
  }
}

// out = f(a, b) elementwise (same shapes) with the kernels' per-element function.
template <class T, class TB = T, class R = T>
Tensor host_binary(BinaryKind k, const Tensor& a, const Tensor& b) {
  Tensor out = Tensor::zeros(dtype_of<R>(), a.shape());
  for (int64_t i = 0; i < a.numel(); ++i) {
    if constexpr (std::is_same_v<R, bool>)
      out.data<bool>()[i] = kernels::compare_value<T>(k, a.data<T>()[i], b.data<T>()[i]);
    else
      out.data<R>()[i] = kernels::arith_value<T, TB>(k, a.data<T>()[i], b.data<TB>()[i]);
  }
  return out;
}

TEST(CudaElementwiseMath, IntegerArithmeticMatchesCpuIncludingDivisionByZeroAndNegatives) {
  for (uint32_t seed : {1u, 2u}) {
    const Tensor a = tt::random_tensor<int64_t>({300}, seed, -20, 20);
    const Tensor b = tt::random_tensor<int64_t>({300}, seed + 10, -5, 5);  // zeros and -1 included
    for (auto [op, kind, attrs] : std::vector<std::tuple<const char*, BinaryKind, ir::Attributes>>{
             {"Add", BinaryKind::kAdd, {}},
             {"Sub", BinaryKind::kSub, {}},
             {"Mul", BinaryKind::kMul, {}},
             {"Div", BinaryKind::kDiv, {}},
             {"Mod", BinaryKind::kMod, {}},
             {"Mod", BinaryKind::kFmod, tt::attrs_of({{"fmod", tt::a_int(1)}})},
             {"Max", BinaryKind::kMax, {}},
             {"Min", BinaryKind::kMin, {}}}) {
      tt::OpRun cpu = tt::run_op(op, attrs, {a, b}, 13);
      ASSERT_TRUE(cpu.status.ok()) << op << ": " << cpu.status.to_string();
      EXPECT_TRUE(tt::same_bytes(host_binary<int64_t>(kind, a, b), cpu.out())) << op;
    }
    // Up to 20^12 < 2^53: the GPU's square-and-multiply must give pow's exact values.
    const Tensor e = tt::random_tensor<int64_t>({300}, seed + 20, 0, 12);
    tt::OpRun pow = tt::run_op("Pow", {}, {a, e}, 13);
    ASSERT_TRUE(pow.status.ok());
    EXPECT_TRUE(tt::same_bytes(host_binary<int64_t>(BinaryKind::kPow, a, e), pow.out()));
  }
}

TEST(CudaElementwiseMath, FloatArithmeticAndMixedPowMatchCpu) {
  const Tensor a = tt::random_tensor<float>({300}, 3, 0.1, 3);
  const Tensor b = tt::random_tensor<float>({300}, 4, -3, 3);
  for (auto [op, kind, attrs] : std::vector<std::tuple<const char*, BinaryKind, ir::Attributes>>{
           {"Div", BinaryKind::kDiv, {}},
           {"Mod", BinaryKind::kFmod, tt::attrs_of({{"fmod", tt::a_int(1)}})},
           {"Pow", BinaryKind::kPow, {}},
           {"PRelu", BinaryKind::kPRelu, {}}}) {
    tt::OpRun cpu = tt::run_op(op, attrs, {op == std::string("PRelu") ? b : a, b}, 13);
    ASSERT_TRUE(cpu.status.ok()) << op << ": " << cpu.status.to_string();
    const Tensor gpu = host_binary<float>(kind, op == std::string("PRelu") ? b : a, b);
    std::vector<float> ref(cpu.out().data<float>(), cpu.out().data<float>() + cpu.out().numel());
    EXPECT_LT(tt::rel_error(gpu, ref), 1e-6) << op;
  }
  const Tensor e = tt::random_tensor<int64_t>({300}, 5, -2, 3);
  tt::OpRun cpu = tt::run_op("Pow", {}, {a, e}, 13);
  ASSERT_TRUE(cpu.status.ok());
  std::vector<float> ref(cpu.out().data<float>(), cpu.out().data<float>() + cpu.out().numel());
  EXPECT_LT(tt::rel_error(host_binary<float, int64_t>(BinaryKind::kPow, a, e), ref), 1e-6);
}

TEST(CudaElementwiseMath, ComparisonsMatchCpu) {
  const Tensor a = tt::random_tensor<int32_t>({200}, 6, -3, 3);
  const Tensor b = tt::random_tensor<int32_t>({200}, 7, -3, 3);
  for (auto [op, kind] :
       std::vector<std::pair<const char*, BinaryKind>>{{"Equal", BinaryKind::kEqual},
                                                       {"Less", BinaryKind::kLess},
                                                       {"Greater", BinaryKind::kGreater},
                                                       {"LessOrEqual", BinaryKind::kLessOrEqual},
                                                       {"GreaterOrEqual", BinaryKind::kGreaterOrEqual}}) {
    tt::OpRun cpu = tt::run_op(op, {}, {a, b}, 13);
    ASSERT_TRUE(cpu.status.ok()) << op;
    EXPECT_TRUE(tt::same_bytes(host_binary<int32_t, int32_t, bool>(kind, a, b), cpu.out())) << op;
  }
}

// Values every cast must handle: fractions, negatives, out-of-range magnitudes, NaN
// (floats); integers spanning the 8-bit ranges and beyond (others).
template <class From>
Tensor cast_source() {
  if constexpr (std::is_floating_point_v<From>) {
    const std::vector<double> v = {std::nan(""), 0.0,    1.0,     -1.0,     2.5, -2.5, 0.7,  -0.7,  127.9,
                                   200.0,        -129.0, 40000.0, -70000.5, 3e9, -3e9, 1e19, -1e19, 65504.0};
    Tensor t = Tensor::zeros(dtype_of<From>(), {static_cast<int64_t>(v.size())});
    for (size_t i = 0; i < v.size(); ++i) t.data<From>()[i] = static_cast<From>(v[i]);
    return t;
  } else {
    return tt::random_tensor<From>({64}, 9, -300, 300);
  }
}

template <class From, class To>
Tensor host_cast(const Tensor& x) {
  Tensor y = Tensor::zeros(dtype_of<To>(), x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) y.data<To>()[i] = kernels::convert_value<To, From>(x.data<From>()[i]);
  return y;
}

template <class From, class To>
void expect_cast_matches(int64_t onnx_to) {
  const Tensor x = cast_source<From>();
  tt::OpRun cpu = tt::run_op("Cast", tt::attrs_of({{"to", tt::a_int(onnx_to)}}), {x}, 13);
  ASSERT_TRUE(cpu.status.ok()) << cpu.status.to_string();
  EXPECT_TRUE(tt::same_bytes(host_cast<From, To>(x), cpu.out()))
      << dtype_name(dtype_of<From>()) << " -> " << dtype_name(dtype_of<To>());
}

TEST(CudaElementwiseMath, CastsTruncateSaturateAndWrapLikeCpu) {
  expect_cast_matches<float, int8_t>(3);
  expect_cast_matches<float, uint8_t>(2);
  expect_cast_matches<float, int16_t>(5);
  expect_cast_matches<float, int32_t>(6);
  expect_cast_matches<float, int64_t>(7);
  expect_cast_matches<float, bool>(9);
  expect_cast_matches<double, int32_t>(6);
  expect_cast_matches<double, int64_t>(7);
  expect_cast_matches<double, float>(1);
  expect_cast_matches<int64_t, int8_t>(3);
  expect_cast_matches<int64_t, float>(1);
  expect_cast_matches<int32_t, bool>(9);
  expect_cast_matches<int32_t, uint8_t>(2);
}

// Every reduction kind through the index space and the Reducer, against the CPU.
template <class T>
void expect_reduce_matches(const char* op, kernels::ReduceKind kind, const Tensor& x, std::vector<int64_t> axes) {
  const ir::Attributes attrs = tt::attrs_of({{"axes", tt::a_ints(axes)}, {"keepdims", tt::a_int(1)}});
  // Opset 11: axes are an attribute for every Reduce* (ReduceSum takes them as an input
  // from 13, the others from 18).
  tt::OpRun cpu = tt::run_op(op, attrs, {x}, 11);
  ASSERT_TRUE(cpu.status.ok()) << op << ": " << cpu.status.to_string();
  ir::Node node;
  node.name = "n0";
  node.op_type = op;
  node.opset = 11;
  node.attrs = attrs;
  cuda::PrepareContext ctx;
  ctx.node = &node;
  ctx.attrs = &node.attrs;
  ctx.inputs = {ops::ValueInfo{x.dtype(), x.shape(), &x}};
  ctx.outputs = {ops::ValueInfo{cpu.out().dtype(), cpu.out().shape(), nullptr}};
  Result<kernels::ReduceIndex> ix = cuda::reduce_index(ctx, std::string(op) == "ReduceSum" ? 13 : 18);
  ASSERT_TRUE(ix.ok()) << ix.status().to_string();
  const kernels::Reducer<T> r{kind};
  Tensor y = Tensor::zeros(x.dtype(), cpu.out().shape());
  for (int64_t o = 0; o < ix->out_count; ++o) {
    int64_t base;
    kernels::strided_offsets(ix->kept, o, &base);
    auto at = [&](int64_t c) {
      int64_t off;
      kernels::strided_offsets(ix->reduced, c, &off);
      return x.data<T>()[base + off];
    };
    if (kind == kernels::ReduceKind::kLogSumExp) {  // the kernels' two passes
      const kernels::Reducer<T> mx{kernels::ReduceKind::kMax};
      T m = mx.init();
      for (int64_t c = 0; c < ix->reduce_count; ++c) m = mx(m, at(c));
      m = std::isfinite(static_cast<double>(m)) ? m : T(0);
      T s = 0;
      for (int64_t c = 0; c < ix->reduce_count; ++c) s += static_cast<T>(std::exp(at(c) - m));
      y.data<T>()[o] = r.finalize(s, ix->reduce_count) + m;
      continue;
    }
    T acc = r.init();
    for (int64_t c = 0; c < ix->reduce_count; ++c) acc = r(acc, r.map(at(c)));
    y.data<T>()[o] = r.finalize(acc, ix->reduce_count);
  }
  if constexpr (std::is_integral_v<T>) {
    EXPECT_TRUE(tt::same_bytes(y, cpu.out())) << op;
  } else {
    EXPECT_LT(tt::rel_err<T>(y, tt::as_doubles<T>(cpu.out())), 1e-5) << op;
  }
}

TEST(CudaElementwiseMath, EveryReductionKindMatchesCpu) {
  using K = kernels::ReduceKind;
  const Tensor xf = tt::random_tensor<float>({3, 4, 5}, 21, 0.1, 2);
  const Tensor xi = tt::random_tensor<int32_t>({3, 4, 5}, 22, -9, 9);
  for (auto [op, kind] : std::vector<std::pair<const char*, K>>{{"ReduceSum", K::kSum},
                                                                {"ReduceMean", K::kMean},
                                                                {"ReduceMax", K::kMax},
                                                                {"ReduceMin", K::kMin},
                                                                {"ReduceProd", K::kProd},
                                                                {"ReduceL1", K::kL1},
                                                                {"ReduceL2", K::kL2},
                                                                {"ReduceSumSquare", K::kSumSquare},
                                                                {"ReduceLogSum", K::kLogSum},
                                                                {"ReduceLogSumExp", K::kLogSumExp}}) {
    expect_reduce_matches<float>(op, kind, xf, {0, 2});
    expect_reduce_matches<float>(op, kind, xf, {1});
    if (kind != K::kL2 && kind != K::kLogSum && kind != K::kLogSumExp && kind != K::kProd)
      expect_reduce_matches<int32_t>(op, kind, xi, {-1});
  }
}

}  // namespace
}  // namespace top

#endif  // TOP_WITH_CUDA

// NaN-propagating max/min and the clamp-like activation formulas built on them. One
// definition for the CPU operators (Relu/HardSigmoid/... in ops/activation.cpp, the
// fused Conv/Gemm epilogue in ops/conv_util.cpp, MaxPool, ReduceMax/Min, Max/Min) and
// the GPU kernels (kernels/conv_epilogue.cu, pool.cu, reduce_math.h, elementwise_math.h).
//
// NaN in, NaN out, as ONNX Runtime's Relu, Clip, LeakyRelu, HardSigmoid, Max/Min and
// ReduceMax/Min (and numpy.maximum, PyTorch's max_pool) do. The obvious spellings drop
// it: `v > 0 ? v : 0`, `if (v > m) m = v`, std::max(0.f, v), fmaxf and _mm_max_ps all
// turn a NaN into the other operand. ONNX Runtime's MaxPool keeps or drops a NaN
// depending on where it sits in the window; here a window with a NaN always gives NaN.
#pragma once

#include "host_device.h"

namespace top::ops {

// max(acc, v) / min(acc, v) where a NaN in either argument wins. Written for reductions
// (acc is the running value): a NaN acc is sticky, a NaN v takes over. Integers never
// compare unequal to themselves, so for them these are the plain max/min.
template <class T>
TOP_HD T max_nan(T acc, T v) {
  return (v > acc || v != v) ? v : acc;
}
template <class T>
TOP_HD T min_nan(T acc, T v) {
  return (v < acc || v != v) ? v : acc;
}

template <class T>
TOP_HD T relu_value(T v) {
  return v < T(0) ? T(0) : v;
}

template <class T>
TOP_HD T leaky_relu_value(T v, T alpha) {
  return v < T(0) ? v * alpha : v;
}

// min(max(v, lo), hi) keeping a NaN v; lo > hi gives hi everywhere, as the spec says.
template <class T>
TOP_HD T clip_value(T v, T lo, T hi) {
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

template <class T>
TOP_HD T hard_sigmoid_value(T v, T alpha, T beta) {
  return min_nan(T(1), max_nan(T(0), alpha * v + beta));
}

// Shrink-9: x + bias below -lambd, x - bias above lambd, 0 between (NaN passes).
template <class T>
TOP_HD T shrink_value(T v, T lambd, T bias) {
  return v < -lambd ? v + bias : (v > lambd ? v - bias : (v != v ? v : T(0)));
}

// HardSwish(x) = x * HardSigmoid(x) with alpha = 1/6, beta = 1/2.
template <class T>
TOP_HD T hard_swish_value(T v) {
  return v * hard_sigmoid_value(v, T(1.0 / 6.0), T(0.5));
}

}  // namespace top::ops

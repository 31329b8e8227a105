// The integer arithmetic of MatMulInteger, QLinearMatMul, ConvInteger and QLinearConv
// for one output element: the definition both the CPU kernels
// (src/ops/quantized_linear.cpp) and the CUDA kernels (kernels/quantized_linear.cu) run,
// so the backends agree bit for bit. Products of (value - zero point) sum in int64 and
// wrap to int32 as the operators' int32 accumulators do; requantisation multiplies in
// float32 by in_scale * w_scale / y_scale, rounds half to even and saturates (NaN to
// the low end).
//
// Only the standard library is included, so that nvcc compiles this too.
#pragma once

#include <math.h>
#include <stdint.h>

#include "host_device.h"

namespace top::ops {

// sum_i (a[i * a_step] - za) * (b[i * b_step] - zb) over i < k.
template <class TA, class TB>
TOP_HD int32_t qdot(const TA* a, int64_t a_step, int32_t za, const TB* b, int64_t b_step, int32_t zb, int64_t k) {
  int64_t acc = 0;
  for (int64_t i = 0; i < k; ++i)
    acc += static_cast<int64_t>(static_cast<int32_t>(a[i * a_step]) - za) *
           static_cast<int64_t>(static_cast<int32_t>(b[i * b_step]) - zb);
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc)));
}

// round_half_even(acc * in_scale * w_scale / y_scale) + y_zero, saturated to TY
// (uint8 or int8).
template <class TY>
TOP_HD TY qrequantize(int32_t acc, float in_scale, float w_scale, float y_scale, int32_t y_zero) {
  const float lo = sizeof(TY) == 1 && static_cast<TY>(-1) < 0 ? -128.0f : 0.0f;
  const float hi = lo < 0 ? 127.0f : 255.0f;
  float v = rintf(static_cast<float>(acc) * (in_scale * w_scale / y_scale)) + static_cast<float>(y_zero);
  v = !(v >= lo) ? lo : (v > hi ? hi : v);  // NaN (a NaN scale) saturates low, never converts
  return static_cast<TY>(static_cast<int32_t>(v));
}

// A convolution's geometry with spatial dims padded to three (leading dims of 1).
struct QConvGeometry {
  int64_t channels = 0, out_channels = 0, group = 1;
  int64_t in[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, out[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, dilation[3] = {1, 1, 1}, pad[3] = {0, 0, 0};  // pad: the begin side
};

// The accumulator of output element (n, m, o0, o1, o2): padding contributes nothing
// (the spec pads x with its zero point). w is [M, C / group, k0, k1, k2].
template <class TX, class TW>
TOP_HD int32_t qconv_acc(const QConvGeometry& g, const TX* x, int32_t xz, const TW* w, int32_t wz, int64_t n,
                         int64_t m, int64_t o0, int64_t o1, int64_t o2) {
  const int64_t cg = g.channels / g.group;
  const int64_t first_c = (m / (g.out_channels / g.group)) * cg;
  const int64_t plane = g.in[0] * g.in[1] * g.in[2];
  const int64_t ksize = g.kernel[0] * g.kernel[1] * g.kernel[2];
  int64_t acc = 0;
  for (int64_t c = 0; c < cg; ++c) {
    const TX* xc = x + (n * g.channels + first_c + c) * plane;
    const TW* wc = w + (m * cg + c) * ksize;
    for (int64_t k0 = 0; k0 < g.kernel[0]; ++k0) {
      const int64_t i0 = o0 * g.stride[0] - g.pad[0] + k0 * g.dilation[0];
      if (i0 < 0 || i0 >= g.in[0]) continue;
      for (int64_t k1 = 0; k1 < g.kernel[1]; ++k1) {
        const int64_t i1 = o1 * g.stride[1] - g.pad[1] + k1 * g.dilation[1];
        if (i1 < 0 || i1 >= g.in[1]) continue;
        for (int64_t k2 = 0; k2 < g.kernel[2]; ++k2) {
          const int64_t i2 = o2 * g.stride[2] - g.pad[2] + k2 * g.dilation[2];
          if (i2 < 0 || i2 >= g.in[2]) continue;
          acc += static_cast<int64_t>(static_cast<int32_t>(xc[(i0 * g.in[1] + i1) * g.in[2] + i2]) - xz) *
                 static_cast<int64_t>(static_cast<int32_t>(wc[(k0 * g.kernel[1] + k1) * g.kernel[2] + k2]) - wz);
        }
      }
    }
  }
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(acc)));
}

}  // namespace top::ops

// Per-element coordinate math of Pad and Resize, shared by the CPU operators
// (ops/tensor.cpp, ops/resize.cpp build their tables with it) and the GPU kernels
// (kernels/index_math.h calls it per output element): one definition of how a padded
// border or a resized coordinate maps back to the input. Coordinates are computed in
// float the way ONNX Runtime computes them, so that nearest-mode ties round the same.
#pragma once

#include <math.h>

#include <cstdint>

#include "host_device.h"

namespace top::ops {

// ---- Pad ------------------------------------------------------------------------------

enum class PadMode : int { kConstant = 0, kReflect = 1, kEdge = 2, kWrap = 3 };

// Source coordinate of coordinate i (maybe outside [0, n)) of a padded dim of n input
// elements; -1 when it reads the constant value.
TOP_HD int64_t pad_source_coord(PadMode mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kEdge:
      return i < 0 ? 0 : n - 1;
    case PadMode::kWrap:
      return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      const int64_t m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case PadMode::kConstant:
      break;
  }
  return -1;
}

// ---- Resize -----------------------------------------------------------------------------

enum class ResizeMode : int { kNearest = 0, kLinear = 1, kCubic = 2 };
enum class ResizeCoord : int {
  kHalfPixel = 0,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNearest,
  kTfCropAndResize
};
enum class ResizeNearest : int { kSimple = 0, kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

// How a resize samples (attributes of the node).
struct ResizeSampling {
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
};

// One axis of a resize: sizes, the input's element stride, scale and roi.
struct ResizeAxis {
  int64_t in = 1, out = 1;
  int64_t in_stride = 1;
  float scale = 1.0f;
  float roi_start = 0.0f, roi_end = 1.0f;
};

// Input coordinate of output coordinate x.
TOP_HD float resize_original_coordinate(ResizeCoord c, float x, float scale, float len_resized, float len_original,
                                        float roi_start, float roi_end) {
  switch (c) {
    case ResizeCoord::kAsymmetric:
      return x / scale;
    case ResizeCoord::kPytorchHalfPixel:
      return len_resized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case ResizeCoord::kTfHalfPixelForNearest:
      return (x + 0.5f) / scale;
    case ResizeCoord::kAlignCorners:
      return len_resized == 1 ? 0.0f : x * (len_original - 1) / (len_resized - 1);
    case ResizeCoord::kTfCropAndResize: {
      double orig = len_resized > 1 ? roi_start * (len_original - 1) +
                                          (x * (roi_end - roi_start) * (len_original - 1)) / (len_resized - 1)
                                    : 0.5 * (roi_start + roi_end) * (len_original - 1);
      return static_cast<float>(orig);
    }
    case ResizeCoord::kHalfPixelSymmetric: {
      float output_width = scale * len_original;
      float adjustment = len_resized / output_width;
      float center = len_original / 2;
      float offset = center * (1 - adjustment);
      return static_cast<float>(offset + (x + 0.5) / scale - 0.5);
    }
    case ResizeCoord::kHalfPixel:
      break;
  }
  return ((x + 0.5f) / scale) - 0.5f;
}

TOP_HD int64_t resize_nearest_pixel(ResizeNearest m, float x, bool downsample) {
  switch (m) {
    case ResizeNearest::kSimple:
      return downsample ? static_cast<int64_t>(ceilf(x)) : static_cast<int64_t>(x);
    case ResizeNearest::kRoundPreferCeil:
      return static_cast<int64_t>(roundf(x));
    case ResizeNearest::kFloor:
      return static_cast<int64_t>(floorf(x));
    case ResizeNearest::kCeil:
      return static_cast<int64_t>(ceilf(x));
    case ResizeNearest::kRoundPreferFloor:
      break;
  }
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(floorf(x));
  return static_cast<int64_t>(roundf(x));
}

TOP_HD void resize_cubic_coeffs(float s, float a, float* w) {
  s = fabsf(s);
  w[0] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
  w[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
  w[2] = ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1;
  w[3] = ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a;
}

// The taps of output coordinate o on axis `a`: input offsets (index * in_stride) and
// weights; returns the tap count (1 for nearest or an identity axis, 2 linear, 4
// cubic). *outside: tf_crop_and_resize sampled outside the input (the extrapolation
// value). An axis with scale exactly 1 is an identity, as in ONNX Runtime.
TOP_HD int resize_axis_taps(const ResizeSampling& s, const ResizeAxis& a, int64_t o, int64_t* off, float* w,
                            bool* outside) {
  const int64_t n_in = a.in;
  *outside = false;
  if (s.mode == ResizeMode::kNearest) {
    w[0] = 1.0f;
    if (a.scale == 1.0f) {  // identity axis, even when the sizes differ
      off[0] = (o < n_in - 1 ? o : n_in - 1) * a.in_stride;
      return 1;
    }
    const float c = resize_original_coordinate(s.coord, static_cast<float>(o), a.scale, static_cast<float>(a.out),
                                               static_cast<float>(n_in), a.roi_start, a.roi_end);
    if (s.coord == ResizeCoord::kTfCropAndResize && (c < 0 || c > static_cast<float>(n_in - 1))) {
      *outside = true;
      off[0] = 0;
      return 1;
    }
    int64_t i = resize_nearest_pixel(s.nearest, c, a.scale < 1);
    i = i < 0 ? 0 : (i > n_in - 1 ? n_in - 1 : i);
    off[0] = i * a.in_stride;
    return 1;
  }
  if (a.scale == 1.0f && n_in == a.out) {  // inactive axis
    off[0] = o * a.in_stride;
    w[0] = 1.0f;
    return 1;
  }
  const float c = a.scale == 1.0f
                      ? static_cast<float>(o)
                      : resize_original_coordinate(s.coord, static_cast<float>(o), a.scale, static_cast<float>(a.out),
                                                   static_cast<float>(n_in), a.roi_start, a.roi_end);
  if (s.coord == ResizeCoord::kTfCropAndResize && (c < 0 || c > static_cast<float>(n_in - 1))) *outside = true;
  if (s.mode == ResizeMode::kLinear) {
    const float v = fmaxf(0.0f, fminf(c, static_cast<float>(n_in - 1)));
    int64_t i0 = static_cast<int64_t>(v);
    i0 = i0 < n_in - 1 ? i0 : n_in - 1;
    const int64_t i1 = i0 + 1 < n_in - 1 ? i0 + 1 : n_in - 1;
    float w0 = fabsf(v - static_cast<float>(i1));
    float w1 = fabsf(v - static_cast<float>(i0));
    if (i0 == i1) w0 = w1 = 0.5f;
    off[0] = i0 * a.in_stride;
    off[1] = i1 * a.in_stride;
    w[0] = w0;
    w[1] = w1;
    return 2;
  }
  const int64_t base = static_cast<int64_t>(floorf(c));
  float cw[4];
  resize_cubic_coeffs(c - static_cast<float>(base), s.cubic_a, cw);
  float sum = 1.0f;
  if (s.exclude_outside) {
    sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t i = base - 1 + k;
      if (i < 0 || i >= n_in) cw[k] = 0.0f;
      sum += cw[k];
    }
  }
  for (int k = 0; k < 4; ++k) {
    int64_t i = base - 1 + k;
    i = i < 0 ? 0 : (i > n_in - 1 ? n_in - 1 : i);
    off[k] = i * a.in_stride;
    w[k] = sum != 0.0f ? cw[k] / sum : 0.0f;
  }
  return 4;
}

}  // namespace top::ops

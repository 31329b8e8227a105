// GridSample-16 (PyTorch's grid_sample) for one output element: the definition both
// the CPU kernel (src/ops/resize.cpp) and the CUDA kernel (kernels/resize.cu) run, so
// the backends agree to the last bit of the formula. Float math in double.
#pragma once

#include <math.h>
#include <cstdint>

#include "host_device.h"

namespace top::ops {

enum class GridMode : int { kBilinear = 0, kNearest = 1, kBicubic = 2 };
enum class GridPadding : int { kZeros = 0, kBorder = 1, kReflection = 2 };

// Grid coordinate in [-1, 1] to a pixel coordinate along a dim of `size`.
TOP_HD double grid_unnormalize(double g, int64_t size, bool align_corners) {
  return align_corners ? (g + 1) / 2 * static_cast<double>(size - 1) : ((g + 1) * static_cast<double>(size) - 1) / 2;
}

// Reflects x into [twice_low / 2, twice_high / 2] (bounds given doubled, so that half
// pixels are integers).
TOP_HD double grid_reflect(double x, double twice_low, double twice_high) {
  if (twice_low == twice_high) return 0;
  const double lo = twice_low / 2, span = (twice_high - twice_low) / 2;
  x = fabs(x - lo);
  const double extra = fmod(x, span);
  const int64_t flips = static_cast<int64_t>(floor(x / span));
  return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

// The padding mode applied to a coordinate: clamped (border) or reflected then clamped.
TOP_HD double grid_pad_coordinate(double x, int64_t size, GridPadding pad, bool align_corners) {
  const double hi = static_cast<double>(size - 1);
  if (pad == GridPadding::kReflection) {
    x = align_corners ? grid_reflect(x, 0, 2 * hi) : grid_reflect(x, -1, 2 * static_cast<double>(size) - 1);
  }
  if (pad != GridPadding::kZeros) x = x < 0 ? 0 : (x > hi ? hi : x);
  return x;
}

template <class T>
TOP_HD double grid_pixel(const T* plane, int64_t h, int64_t w, int64_t y, int64_t x) {
  return y >= 0 && y < h && x >= 0 && x < w ? static_cast<double>(plane[y * w + x]) : 0.0;
}

TOP_HD double grid_cubic1(double x) {  // |x| <= 1, A = -0.75
  const double a = -0.75;
  return ((a + 2) * x - (a + 3)) * x * x + 1;
}
TOP_HD double grid_cubic2(double x) {  // 1 < |x| < 2
  const double a = -0.75;
  return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

// The sampled value of one [h, w] plane at grid point (gx, gy).
template <class T>
TOP_HD double grid_sample_at(const T* plane, int64_t h, int64_t w, double gx, double gy, GridMode mode,
                             GridPadding pad, bool align_corners) {
  double x = grid_unnormalize(gx, w, align_corners), y = grid_unnormalize(gy, h, align_corners);
  if (x != x || y != y) return 0;  // NaN grid points read nothing
  // Far outside every plane (or infinite): clamped to where int64 coordinates stay exact;
  // such points read padding either way.
  const double far = 1e15;
  x = x < -far ? -far : (x > far ? far : x);
  y = y < -far ? -far : (y > far ? far : y);
  if (mode == GridMode::kBicubic) {  // padding applies to each of the 16 taps
    const double x0 = floor(x), y0 = floor(y), tx = x - x0, ty = y - y0;
    const double wx[4] = {grid_cubic2(tx + 1), grid_cubic1(tx), grid_cubic1(1 - tx), grid_cubic2(2 - tx)};
    const double wy[4] = {grid_cubic2(ty + 1), grid_cubic1(ty), grid_cubic1(1 - ty), grid_cubic2(2 - ty)};
    double acc = 0;
    for (int i = 0; i < 4; ++i) {
      double row = 0;
      for (int j = 0; j < 4; ++j) {
        const double px = grid_pad_coordinate(x0 - 1 + j, w, pad, align_corners);
        const double py = grid_pad_coordinate(y0 - 1 + i, h, pad, align_corners);
        row += wx[j] * grid_pixel(plane, h, w, static_cast<int64_t>(py), static_cast<int64_t>(px));
      }
      acc += wy[i] * row;
    }
    return acc;
  }
  x = grid_pad_coordinate(x, w, pad, align_corners);
  y = grid_pad_coordinate(y, h, pad, align_corners);
  if (mode == GridMode::kNearest) {
    return grid_pixel(plane, h, w, static_cast<int64_t>(nearbyint(y)), static_cast<int64_t>(nearbyint(x)));
  }
  const double x0 = floor(x), y0 = floor(y), tx = x - x0, ty = y - y0;
  const int64_t ix = static_cast<int64_t>(x0), iy = static_cast<int64_t>(y0);
  return (1 - ty) * ((1 - tx) * grid_pixel(plane, h, w, iy, ix) + tx * grid_pixel(plane, h, w, iy, ix + 1)) +
         ty * ((1 - tx) * grid_pixel(plane, h, w, iy + 1, ix) + tx * grid_pixel(plane, h, w, iy + 1, ix + 1));
}

}  // namespace top::ops

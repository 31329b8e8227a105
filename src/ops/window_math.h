// HannWindow, HammingWindow and BlackmanWindow (opset 17) for one element: the
// definition the CPU kernel (src/ops/signal.cpp) and the CUDA kernel
// (kernels/signal.cu) share. Cosine sums a0 - a1 cos(2 pi n / N') + a2 cos(4 pi n / N')
// in double, N' = size when periodic, else size - 1.
//
// Only the standard library is included, so that nvcc compiles this too.
#pragma once

#include <math.h>
#include <stdint.h>

#include "host_device.h"

namespace top::ops {

enum class WindowKind : int { kHann = 0, kHamming = 1, kBlackman = 2 };

TOP_HD double window_value(WindowKind kind, int64_t n, int64_t size, bool periodic) {
  const double pi = 3.14159265358979323846;
  const double span = static_cast<double>(periodic ? size : size - 1);
  const double x = span > 0 ? 2.0 * pi * static_cast<double>(n) / span : 0.0;
  switch (kind) {
    case WindowKind::kHann:
      return 0.5 - 0.5 * cos(x);
    case WindowKind::kHamming:
      return 25.0 / 46.0 - (21.0 / 46.0) * cos(x);
    case WindowKind::kBlackman:
      return 0.42 - 0.5 * cos(x) + 0.08 * cos(2.0 * x);
  }
  return 0.0;
}

}  // namespace top::ops

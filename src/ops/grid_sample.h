// GridSample-16's attributes and shape rule, shared by the CPU kernel
// (src/ops/resize.cpp) and the CUDA factory (src/backend/cuda/ops_tensor.cpp); the
// per-element math is ops/grid_sample_math.h.
#pragma once

#include <string>

#include "ir/attributes.h"
#include "ops/grid_sample_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

struct GridSampleAttrs {
  GridMode mode = GridMode::kBilinear;
  GridPadding padding = GridPadding::kZeros;
  bool align_corners = false;
};

inline Result<GridSampleAttrs> parse_grid_sample(const ir::Attributes& a, const std::string& p) {
  GridSampleAttrs g;
  const std::string mode = a.get_string("mode", "bilinear"), pad = a.get_string("padding_mode", "zeros");
  if (mode == "bilinear") g.mode = GridMode::kBilinear;
  else if (mode == "nearest") g.mode = GridMode::kNearest;
  else if (mode == "bicubic") g.mode = GridMode::kBicubic;
  else return InvalidArgument(p + "mode must be bilinear, nearest or bicubic, got '" + mode + "'");
  if (pad == "zeros") g.padding = GridPadding::kZeros;
  else if (pad == "border") g.padding = GridPadding::kBorder;
  else if (pad == "reflection") g.padding = GridPadding::kReflection;
  else return InvalidArgument(p + "padding_mode must be zeros, border or reflection, got '" + pad + "'");
  g.align_corners = a.get_int("align_corners", 0) != 0;
  return g;
}

// X [N, C, H, W] and grid [N, H_out, W_out, 2] give Y [N, C, H_out, W_out].
inline Result<Shape> grid_sample_shape(const Shape& x, const Shape& grid, const std::string& p) {
  if (x.size() != 4) return InvalidArgument(p + "X must be [N, C, H, W] (4-D), got " + shape_str(x));
  if (grid.size() != 4 || grid[3] != 2 || grid[0] != x[0])
    return InvalidArgument(p + "grid must be [N, H_out, W_out, 2] with X's N, got " + shape_str(grid));
  return Shape{x[0], x[1], grid[1], grid[2]};
}

}  // namespace top::ops

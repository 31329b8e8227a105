// Resize / Upsample: nearest (any element type) and n-linear / n-cubic interpolation
// (float32, float64). Each thread computes its output element's taps on every axis with
// ops::resize_axis_taps (src/ops/coord_math.h), so no tables live in device memory.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/index_math.h"
#include "top/tensor.h"

namespace top::kernels {

// `p.axes[d]` describe the input and output dims (row-major; in_stride set); n output
// elements. `extrapolation` is the value of samples outside the input
// (tf_crop_and_resize), already in the tensor's dtype (its low esize bytes).
cudaError_t resize_nearest(size_t esize, const void* x, void* y, const ResizeParams& p, int64_t n,
                           uint64_t extrapolation, cudaStream_t stream);
cudaError_t resize_interpolate(DataType dt, const void* x, void* y, const ResizeParams& p, int64_t n,
                               double extrapolation, cudaStream_t stream);

// GridSample over x [n, c, h, w] with grid [n, h_out, w_out, 2]: one thread per output
// element, the math of src/ops/grid_sample_math.h (mode, padding: its enums as ints).
cudaError_t grid_sample(DataType dt, const void* x, const void* grid, void* y, int64_t n, int64_t c, int64_t h,
                        int64_t w, int64_t h_out, int64_t w_out, int mode, int padding, bool align_corners,
                        cudaStream_t stream);

}  // namespace top::kernels

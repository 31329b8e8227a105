// Max and average pooling over up to 3 spatial dims (float32, NCHW/NCDHW), one thread
// per output element. Semantics of the CPU kernel (src/ops/pool.cpp): asymmetric pads,
// ceil_mode (through the output size), dilations, count_include_pad counting the taps
// inside the padded input only, NaN-ignoring max, MaxPool's row-major Indices.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace top::kernels {

struct PoolGeometry {
  // Unused leading spatial dims are 1 (kernel 1, stride 1, dilation 1, pads 0).
  int64_t in[3], out[3], kernel[3], stride[3], dilation[3], pad_begin[3], pad_end[3];
};

// y: planes x out; indices (MaxPool only, may be null): flat input index of each max.
cudaError_t max_pool(const float* x, float* y, int64_t* indices, int64_t planes, const PoolGeometry& g,
                     cudaStream_t stream);
cudaError_t average_pool(const float* x, float* y, int64_t planes, const PoolGeometry& g, bool count_include_pad,
                         cudaStream_t stream);

}  // namespace top::kernels

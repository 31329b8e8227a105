// ScatterElements and ScatterND on the device (semantics: src/ops/scatter.cpp). `out`
// already holds a copy of data; these write the updates into it. With add, duplicate
// indices accumulate (atomics); with none, one of the duplicates wins.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/copy.h"
#include "kernels/index_math.h"
#include "top/tensor.h"

namespace top::kernels {

// out[base(i) + k(i) * axis_stride] (=|+=) updates[i], base from `index` (the indices'
// dims, out's strides with the axis' stride 0), k = indices[i] (negative from the end;
// out of range skipped: the CPU kernel reports it).
cudaError_t scatter_elements(DataType dt, void* out, const void* indices, bool indices_int64, const void* updates,
                             const StridedIndex<1>& index, int64_t axis_dim, int64_t axis_stride, bool add,
                             cudaStream_t stream);

// Slice s of the updates to where GatherND (same GatherNdIndex) would read slice s.
cudaError_t scatter_nd(DataType dt, void* out, const int64_t* indices, const void* updates, const GatherNdIndex& index,
                       bool add, cudaStream_t stream);

}  // namespace top::kernels

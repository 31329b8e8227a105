// Data movement kernels (dtype-agnostic: elements of 1, 2, 4 or 8 bytes): strided
// copies (Slice, Transpose, Tile, Expand, Concat, Split), Gather, GatherElements, Pad.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "kernels/index_math.h"

namespace top::kernels {

// dst[off1] = src[off0] for every element of the index space (operands {src, dst}).
// A space that both operands walk densely becomes one cudaMemcpyAsync.
cudaError_t strided_copy(size_t esize, const void* src, void* dst, const StridedIndex<2>& index, cudaStream_t stream);

// Gather along an axis: data viewed as [outer, axis_dim, inner], output as
// [outer, num_indices, inner]. Negative indices count from the end; an index out of
// range reads element 0 of the axis (the CPU kernel reports an error there; a kernel
// cannot, so it must at least never read out of bounds).
cudaError_t gather(size_t esize, const void* data, const void* indices, bool indices_int64, void* out, int64_t outer,
                   int64_t axis_dim, int64_t num_indices, int64_t inner, cudaStream_t stream);

// GatherElements: out[i] = data[base(i) + k(i) * axis_stride], base from `index`
// (dims of the indices, data strides with the axis' stride 0); k = indices[i].
cudaError_t gather_elements(size_t esize, const void* data, const void* indices, bool indices_int64, void* out,
                            const StridedIndex<1>& index, int64_t axis_dim, int64_t axis_stride, cudaStream_t stream);

// GatherND (addressing: src/ops/gather_nd.h): slice s of slice_elems elements comes
// from data[(s / slices_per_batch) * batch_stride + sum_t c_t * strides[t]], c_t the
// t-th of indices[s * k ...] (int64, negative counts from the end; out of range reads
// 0: the CPU kernel reports it, a kernel cannot).
constexpr int kMaxGatherNdCoords = 8;
struct GatherNdIndex {
  int k = 0;
  int64_t dims[kMaxGatherNdCoords] = {};
  int64_t strides[kMaxGatherNdCoords] = {};
  int64_t slice_elems = 1, slices = 0, slices_per_batch = 1, batch_stride = 0;
};
cudaError_t gather_nd(size_t esize, const void* data, const int64_t* indices, void* out, const GatherNdIndex& index,
                      cudaStream_t stream);

// Pad: out[i] = data[pad_source_offset(i)], or the constant: *value_device when
// non-null (Pad's constant_value input, esize bytes), else the bytes of value_host.
cudaError_t pad(size_t esize, const void* data, void* out, const PadIndex& index, int64_t n, uint64_t value_host,
                const void* value_device, cudaStream_t stream);

}  // namespace top::kernels

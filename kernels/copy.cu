#include "kernels/copy.h"
#include "kernels/launch_util.cuh"

namespace top::kernels {
namespace {

template <class E>
__global__ void strided_copy_kernel(const E* src, E* dst, StridedIndex<2> index, int64_t n) {
  TOP_GRID_LOOP(i, n) {
    int64_t off[2];
    strided_offsets(index, i, off);
    dst[off[1]] = src[off[0]];
  }
}

template <class E, class I>
__global__ void gather_kernel(const E* data, const I* indices, E* out, int64_t outer, int64_t axis_dim,
                              int64_t num_indices, int64_t inner) {
  const int64_t n = outer * num_indices * inner;
  TOP_GRID_LOOP(i, n) {
    const int64_t c = i % inner;
    const int64_t j = (i / inner) % num_indices;
    const int64_t o = i / (inner * num_indices);
    int64_t k = static_cast<int64_t>(indices[j]);
    if (k < 0) k += axis_dim;
    if (k < 0 || k >= axis_dim) k = 0;
    out[i] = data[(o * axis_dim + k) * inner + c];
  }
}

template <class E, class I>
__global__ void gather_elements_kernel(const E* data, const I* indices, E* out, StridedIndex<1> index, int64_t n,
                                       int64_t axis_dim, int64_t axis_stride) {
  TOP_GRID_LOOP(i, n) {
    int64_t base;
    strided_offsets(index, i, &base);
    int64_t k = static_cast<int64_t>(indices[i]);
    if (k < 0) k += axis_dim;
    if (k < 0 || k >= axis_dim) k = 0;
    out[i] = data[base + k * axis_stride];
  }
}

template <class E>
__global__ void gather_nd_kernel(const E* data, const int64_t* indices, E* out, GatherNdIndex g) {
  const int64_t n = g.slices * g.slice_elems;
  TOP_GRID_LOOP(i, n) {
    const int64_t s = i / g.slice_elems, j = i % g.slice_elems;
    int64_t off = g.slices_per_batch ? (s / g.slices_per_batch) * g.batch_stride : 0;
    for (int t = 0; t < g.k; ++t) {
      int64_t c = indices[s * g.k + t];
      if (c < 0) c += g.dims[t];
      if (c < 0 || c >= g.dims[t]) c = 0;
      off += c * g.strides[t];
    }
    out[i] = data[off + j];
  }
}

template <class E>
__global__ void pad_kernel(const E* data, E* out, PadIndex index, int64_t n, E value, const E* value_device) {
  const E fill = value_device ? *value_device : value;
  TOP_GRID_LOOP(i, n) {
    const int64_t off = pad_source_offset(index, i);
    out[i] = off < 0 ? fill : data[off];
  }
}

}  // namespace

cudaError_t strided_copy(size_t esize, const void* src, void* dst, const StridedIndex<2>& index, cudaStream_t stream) {
  const int64_t n = strided_numel(index);
  if (n == 0) return cudaSuccess;
  if (strided_is_dense(index)) {
    return cudaMemcpyAsync(static_cast<char*>(dst) + index.offsets[1] * static_cast<int64_t>(esize),
                           static_cast<const char*>(src) + index.offsets[0] * static_cast<int64_t>(esize),
                           static_cast<size_t>(n) * esize, cudaMemcpyDeviceToDevice, stream);
  }
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    strided_copy_kernel<E>
        <<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst), index, n);
    return cudaGetLastError();
  });
}

// Calls f(E{}, I{}) with E the element bits of `esize` and I the index type.
template <class F>
cudaError_t with_element_and_index(size_t esize, bool indices_int64, F&& f) {
  return with_element_bits(esize, [&](auto e) {
    return indices_int64 ? f(e, int64_t{}) : f(e, int32_t{});
  });
}

cudaError_t gather(size_t esize, const void* data, const void* indices, bool indices_int64, void* out, int64_t outer,
                   int64_t axis_dim, int64_t num_indices, int64_t inner, cudaStream_t stream) {
  const int64_t n = outer * num_indices * inner;
  if (n == 0) return cudaSuccess;
  return with_element_and_index(esize, indices_int64, [&](auto e, auto i) {
    using E = decltype(e);
    using I = decltype(i);
    gather_kernel<E, I><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(data), static_cast<const I*>(indices),
                                                              static_cast<E*>(out), outer, axis_dim, num_indices, inner);
    return cudaGetLastError();
  });
}

cudaError_t gather_elements(size_t esize, const void* data, const void* indices, bool indices_int64, void* out,
                            const StridedIndex<1>& index, int64_t axis_dim, int64_t axis_stride, cudaStream_t stream) {
  const int64_t n = strided_numel(index);
  if (n == 0) return cudaSuccess;
  return with_element_and_index(esize, indices_int64, [&](auto e, auto i) {
    using E = decltype(e);
    using I = decltype(i);
    gather_elements_kernel<E, I><<<grid_for(n), kThreads, 0, stream>>>(
        static_cast<const E*>(data), static_cast<const I*>(indices), static_cast<E*>(out), index, n, axis_dim,
        axis_stride);
    return cudaGetLastError();
  });
}

cudaError_t gather_nd(size_t esize, const void* data, const int64_t* indices, void* out, const GatherNdIndex& index,
                      cudaStream_t stream) {
  const int64_t n = index.slices * index.slice_elems;
  if (n == 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    gather_nd_kernel<E><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(data), indices,
                                                               static_cast<E*>(out), index);
    return cudaGetLastError();
  });
}

cudaError_t pad(size_t esize, const void* data, void* out, const PadIndex& index, int64_t n, uint64_t value_host,
                const void* value_device, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  return with_element_bits(esize, [&](auto e) {
    using E = decltype(e);
    E value;
    memcpy(&value, &value_host, sizeof(E));  // little-endian: the low bytes hold the element
    pad_kernel<E><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(data), static_cast<E*>(out), index, n,
                                                        value, static_cast<const E*>(value_device));
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

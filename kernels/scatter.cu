#include <type_traits>

#include "kernels/launch_util.cuh"
#include "kernels/scatter.h"

namespace top::kernels {
namespace {

template <class T>
__device__ void store(T* p, T v, bool add) {
  if (!add) {
    *p = v;
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));  // wraps as int64
  } else {
    atomicAdd(p, v);  // float, double, int32
  }
}

template <class T, class I>
__global__ void scatter_elements_kernel(T* out, const I* indices, const T* updates, StridedIndex<1> index, int64_t n,
                                        int64_t axis_dim, int64_t axis_stride, bool add) {
  TOP_GRID_LOOP(i, n) {
    int64_t base;
    strided_offsets(index, i, &base);
    int64_t k = static_cast<int64_t>(indices[i]);
    if (k < 0) k += axis_dim;
    if (k < 0 || k >= axis_dim) continue;
    store(out + base + k * axis_stride, updates[i], add);
  }
}

template <class T>
__global__ void scatter_nd_kernel(T* out, const int64_t* indices, const T* updates, GatherNdIndex g, bool add) {
  const int64_t n = g.slices * g.slice_elems;
  TOP_GRID_LOOP(i, n) {
    const int64_t s = i / g.slice_elems, j = i % g.slice_elems;
    int64_t off = 0;
    bool inside = true;
    for (int t = 0; t < g.k; ++t) {
      int64_t c = indices[s * g.k + t];
      if (c < 0) c += g.dims[t];
      inside = inside && c >= 0 && c < g.dims[t];
      off += c * g.strides[t];
    }
    if (inside) store(out + off + j, updates[i], add);
  }
}

}  // namespace

cudaError_t scatter_elements(DataType dt, void* out, const void* indices, bool indices_int64, const void* updates,
                             const StridedIndex<1>& index, int64_t axis_dim, int64_t axis_stride, bool add,
                             cudaStream_t stream) {
  const int64_t n = strided_numel(index);
  if (n == 0) return cudaSuccess;
  return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    if (indices_int64)
      scatter_elements_kernel<T, int64_t><<<grid_for(n), kThreads, 0, stream>>>(
          static_cast<T*>(out), static_cast<const int64_t*>(indices), static_cast<const T*>(updates), index, n,
          axis_dim, axis_stride, add);
    else
      scatter_elements_kernel<T, int32_t><<<grid_for(n), kThreads, 0, stream>>>(
          static_cast<T*>(out), static_cast<const int32_t*>(indices), static_cast<const T*>(updates), index, n,
          axis_dim, axis_stride, add);
    return cudaGetLastError();
  });
}

cudaError_t scatter_nd(DataType dt, void* out, const int64_t* indices, const void* updates, const GatherNdIndex& index,
                       bool add, cudaStream_t stream) {
  const int64_t n = index.slices * index.slice_elems;
  if (n == 0) return cudaSuccess;
  return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    scatter_nd_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(static_cast<T*>(out), indices,
                                                                static_cast<const T*>(updates), index, add);
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

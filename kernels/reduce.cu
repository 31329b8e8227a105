#include <limits>
#include <type_traits>

#include "kernels/launch_util.cuh"
#include "kernels/reduce.h"
#include "kernels/reduce_math.h"

namespace top::kernels {
namespace {

template <class T>
__device__ __forceinline__ T element(const T* x, const ReduceIndex& ix, int64_t base, int64_t c) {
  int64_t off;
  strided_offsets(ix.reduced, c, &off);
  return x[base + off];
}

// LogSumExp = log(sum(exp(x - m))) + m, m the max (0 when not finite, like the CPU).
template <class T>
__device__ __forceinline__ T lse_shift(T m) {
  if constexpr (std::is_floating_point_v<T>) return isfinite(m) ? m : T(0);
  return m;
}
template <class T>
__device__ __forceinline__ T exp_shifted(T v, T m) {
  if constexpr (std::is_floating_point_v<T>) return exp(v - m);
  return v;
}

// One thread per output: short reductions.
template <class T>
__global__ void reduce_thread_kernel(Reducer<T> r, const T* x, T* y, ReduceIndex ix) {
  TOP_GRID_LOOP(o, ix.out_count) {
    int64_t base;
    strided_offsets(ix.kept, o, &base);
    if (r.kind == ReduceKind::kLogSumExp) {
      const Reducer<T> mx{ReduceKind::kMax};
      T m = mx.init();
      for (int64_t c = 0; c < ix.reduce_count; ++c) m = mx(m, element(x, ix, base, c));
      m = lse_shift(m);
      T s = 0;
      for (int64_t c = 0; c < ix.reduce_count; ++c) s += exp_shifted(element(x, ix, base, c), m);
      y[o] = r.finalize(s, ix.reduce_count) + m;
      continue;
    }
    T acc = r.init();
    for (int64_t c = 0; c < ix.reduce_count; ++c) acc = r(acc, r.map(element(x, ix, base, c)));
    y[o] = r.finalize(acc, ix.reduce_count);
  }
}

// One block per output: long reductions.
template <class T>
__global__ void reduce_block_kernel(Reducer<T> r, const T* x, T* y, ReduceIndex ix) {
  for (int64_t o = blockIdx.x; o < ix.out_count; o += gridDim.x) {
    int64_t base;
    strided_offsets(ix.kept, o, &base);
    if (r.kind == ReduceKind::kLogSumExp) {
      const Reducer<T> mx{ReduceKind::kMax};
      T m = mx.init();
      for (int64_t c = threadIdx.x; c < ix.reduce_count; c += blockDim.x) m = mx(m, element(x, ix, base, c));
      m = lse_shift(block_reduce(m, mx));
      T s = 0;
      for (int64_t c = threadIdx.x; c < ix.reduce_count; c += blockDim.x) s += exp_shifted(element(x, ix, base, c), m);
      s = block_reduce(s, Reducer<T>{ReduceKind::kSum});
      if (threadIdx.x == 0) y[o] = r.finalize(s, ix.reduce_count) + m;
      continue;
    }
    T acc = r.init();
    for (int64_t c = threadIdx.x; c < ix.reduce_count; c += blockDim.x) acc = r(acc, r.map(element(x, ix, base, c)));
    acc = block_reduce(acc, r);
    if (threadIdx.x == 0) y[o] = r.finalize(acc, ix.reduce_count);
  }
}

template <class T>
__global__ void arg_kernel(bool max, bool last, const T* x, int64_t* y, int64_t outer, int64_t d, int64_t inner) {
  TOP_GRID_LOOP(t, outer * inner) {
    const int64_t o = t / inner, j = t % inner;
    const T* xc = x + o * d * inner + j;
    T best = xc[0];
    int64_t at = 0;
    for (int64_t k = 1; k < d; ++k) {
      const T v = xc[k * inner];
      const bool better = max ? (last ? v >= best : v > best) : (last ? v <= best : v < best);
      if (better) {
        best = v;
        at = k;
      }
    }
    y[t] = at;
  }
}

bool float_only(ReduceKind k) {
  return k == ReduceKind::kL2 || k == ReduceKind::kLogSum || k == ReduceKind::kLogSumExp;
}

}  // namespace

cudaError_t reduce(ReduceKind kind, DataType dt, const void* x, void* y, const ReduceIndex& index,
                   cudaStream_t stream) {
  if (index.out_count <= 0) return cudaSuccess;
  if (float_only(kind) && dt != DataType::kFloat32 && dt != DataType::kFloat64) return cudaErrorInvalidValue;
  return dispatch_dtype<float, double, int32_t, int64_t>(dt, [&](auto t) {
    using T = decltype(t);
    const Reducer<T> r{kind};
    if (index.reduce_count >= 128) {
      const unsigned blocks = static_cast<unsigned>(index.out_count < 65535 ? index.out_count : 65535);
      reduce_block_kernel<T><<<blocks, kThreads, 0, stream>>>(r, static_cast<const T*>(x), static_cast<T*>(y), index);
    } else {
      reduce_thread_kernel<T>
          <<<grid_for(index.out_count), kThreads, 0, stream>>>(r, static_cast<const T*>(x), static_cast<T*>(y), index);
    }
    return cudaGetLastError();
  });
}

cudaError_t arg_reduce(bool max, bool select_last, DataType dt, const void* x, int64_t* y, int64_t outer, int64_t d,
                       int64_t inner, cudaStream_t stream) {
  if (outer * inner == 0) return cudaSuccess;
  if (d <= 0) return cudaErrorInvalidValue;
  return dispatch_dtype<float, double, int32_t, int64_t, int8_t, uint8_t>(dt, [&](auto t) {
    using T = decltype(t);
    arg_kernel<T><<<grid_for(outer * inner), kThreads, 0, stream>>>(max, select_last, static_cast<const T*>(x), y,
                                                                    outer, d, inner);
    return cudaGetLastError();
  });
}

}  // namespace top::kernels

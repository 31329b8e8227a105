// Launch helpers shared by the .cu files of kernels/ (device code only).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "top/tensor.h"

namespace top::kernels {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n elements (capped: each thread loops).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < (int64_t{1} << 20) ? (blocks > 0 ? blocks : 1) : (int64_t{1} << 20));
}

// for (int64_t i = global thread; i < n; i += grid size)
#define TOP_GRID_LOOP(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(blockDim.x) * gridDim.x)

// Element i of `planes` dense planes of dims[0] x dims[1] x dims[2]: its plane and
// coordinates (NCDHW-style kernels with unused leading spatial dims of 1).
struct PlaneCoord {
  int64_t plane, d, h, w;
};
__device__ __forceinline__ PlaneCoord plane_coord(int64_t i, const int64_t dims[3]) {
  const int64_t plane_size = dims[0] * dims[1] * dims[2];
  PlaneCoord c;
  c.plane = i / plane_size;
  int64_t r = i % plane_size;
  c.w = r % dims[2];
  r /= dims[2];
  c.h = r % dims[1];
  c.d = r / dims[1];
  return c;
}

// Calls f(E{}) with E the unsigned integer of `esize` bytes (1, 2, 4 or 8):
// dtype-agnostic kernels move elements as these.
template <class F>
cudaError_t with_element_bits(size_t esize, F&& f) {
  switch (esize) {
    case 1:
      return f(uint8_t{});
    case 2:
      return f(uint16_t{});
    case 4:
      return f(uint32_t{});
    case 8:
      return f(uint64_t{});
    default:
      return cudaErrorInvalidValue;
  }
}

// Calls f(T{}) for the C++ type T of `dt` among Ts; cudaErrorInvalidValue otherwise
// (the op factories check dtypes first, so this is a programming error, not a user one).
template <class... Ts, class F>
cudaError_t dispatch_dtype(DataType dt, F&& f) {
  cudaError_t e = cudaErrorInvalidValue;
  bool done = false;
  ((!done && dt == dtype_of<Ts>() ? (e = f(Ts{}), done = true) : false), ...);
  return e;
}

// Combines v over the block with f (associative); every thread gets the result.
// blockDim.x must be a multiple of 32 and at most 1024. Contains __syncthreads():
// call it from every thread of the block.
template <class T, class F>
__device__ T block_reduce(T v, F f) {
  __shared__ __align__(16) unsigned char raw[32 * sizeof(T)];
  T* part = reinterpret_cast<T*>(raw);
  for (int s = 16; s > 0; s >>= 1) v = f(v, __shfl_xor_sync(0xffffffffu, v, s));
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  __syncthreads();  // `part` may still be read by a previous call
  if (lane == 0) part[warp] = v;
  __syncthreads();
  v = part[0];
  for (int w = 1; w < warps; ++w) v = f(v, part[w]);
  return v;
}

}  // namespace top::kernels

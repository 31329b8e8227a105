// TOP_HD marks the few scalar and index functions that the CPU operators and the GPU
// kernels (kernels/*.cu) share: __host__ __device__ under nvcc, plain inline for the
// host compiler. Headers using it include only the standard library, so that nvcc can
// compile them too (they are reached as "src/ops/..." from kernels/).
#pragma once

#if defined(__CUDACC__)
#define TOP_HD __host__ __device__ __forceinline__
#else
#define TOP_HD inline
#endif

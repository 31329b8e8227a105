// Single-precision GEMM for the CPU kernels (Conv, ConvTranspose, MatMul, Gemm).
//
// OpenBLAS does the arithmetic, always single-threaded: the runtime's own thread pool
// (KernelContext::parallel_for) owns all parallelism, so several streams can run
// kernels at once without OpenBLAS spawning threads behind their back.
//
//   // C[M,N] = A[M,K] * B[K,N] (row-major), split across ctx's threads
//   top::ops::sgemm(ctx, false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
//
// Thread safety: both functions are reentrant; distinct C buffers may be written from
// distinct threads concurrently.
#pragma once

#include <cstdint>
#include <functional>

namespace top::ops {

class KernelContext;

// Row-major C = alpha * op(A) * op(B) + beta * C on the calling thread only.
// op(A) is M x K (A is K x M when trans_a), op(B) is K x N (B is N x K when trans_b).
void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Called on each finished output block C[r0:r1, c0:c1] while it is still in cache
// (bias-free activations, fused residual adds, ...).
using GemmEpilogue = std::function<void(int64_t r0, int64_t r1, int64_t c0, int64_t c1)>;

// Same contract, with the output split into row or column blocks across ctx's threads
// (each block is one single-threaded BLAS call, then `epilogue` if given). Small
// problems stay on one thread.
void sgemm(const KernelContext& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const GemmEpilogue* epilogue = nullptr);

}  // namespace top::ops

#include "ops/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <mutex>

#include "ops/op.h"

namespace top::ops {
namespace {

// OpenBLAS must never start its own threads: the runtime's pool (and, later, several
// concurrent streams) decide how many cores one kernel uses.
void ensure_single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

// Below this many multiply-adds a second thread costs more than it saves.
constexpr int64_t kMinParallelMacs = int64_t{1} << 16;
// Output blocks handed to one thread are multiples of these (SIMD/kernel friendly).
constexpr int64_t kColBlock = 16;
constexpr int64_t kRowBlock = 8;

}  // namespace

void sgemm_serial(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.0f) {
    // BLAS implementations disagree on k == 0; the result is just beta * C.
    for (int64_t i = 0; i < m; ++i) {
      float* row = c + i * ldc;
      if (beta == 0.0f) {
        std::fill(row, row + n, 0.0f);
      } else if (beta != 1.0f) {
        for (int64_t j = 0; j < n; ++j) row[j] *= beta;
      }
    }
    return;
  }
  ensure_single_threaded_blas();
  const auto bi = [](int64_t v) { return static_cast<blasint>(v); };
  if (m == 1 || n == 1) {
    // Matrix-vector products: GEMM would pack the whole matrix for one row or column.
    if (beta == 0.0f) {  // never let garbage (NaN) in C leak through 0 * C
      for (int64_t i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    }
    if (m == 1) {
      // c[0, :] = alpha * op(B)^T * op(A)[0, :] + beta * c
      const int64_t inc_a = trans_a ? lda : 1;
      if (trans_b)
        cblas_sgemv(CblasRowMajor, CblasNoTrans, bi(n), bi(k), alpha, b, bi(ldb), a, bi(inc_a), beta, c, 1);
      else
        cblas_sgemv(CblasRowMajor, CblasTrans, bi(k), bi(n), alpha, b, bi(ldb), a, bi(inc_a), beta, c, 1);
    } else {
      // c[:, 0] = alpha * op(A) * op(B)[:, 0] + beta * c
      const int64_t inc_b = trans_b ? 1 : ldb;
      if (trans_a)
        cblas_sgemv(CblasRowMajor, CblasTrans, bi(k), bi(m), alpha, a, bi(lda), b, bi(inc_b), beta, c, bi(ldc));
      else
        cblas_sgemv(CblasRowMajor, CblasNoTrans, bi(m), bi(k), alpha, a, bi(lda), b, bi(inc_b), beta, c, bi(ldc));
    }
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
              static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), alpha, a,
              static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

void sgemm(const KernelContext& ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc,
           const GemmEpilogue* epilogue) {
  if (m <= 0 || n <= 0) return;
  const int threads = ctx.num_threads();
  const int64_t macs = m * n * std::max<int64_t>(k, 1);
  if (threads <= 1 || macs < 2 * kMinParallelMacs) {
    sgemm_serial(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (epilogue) (*epilogue)(0, m, 0, n);
    return;
  }
  // Split the longer output side; both threads then share (and each pack) the other
  // operand, which is the cheaper duplication.
  const bool split_cols = n >= m && n >= 2 * kColBlock;
  if (split_cols) {
    const int64_t blocks = (n + kColBlock - 1) / kColBlock;
    const int64_t block_macs = m * kColBlock * std::max<int64_t>(k, 1);
    const int64_t grain = std::max<int64_t>(1, kMinParallelMacs / std::max<int64_t>(block_macs, 1));
    ctx.parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
      const int64_t j0 = b0 * kColBlock, j1 = std::min(n, b1 * kColBlock);
      const float* bj = trans_b ? b + j0 * ldb : b + j0;
      sgemm_serial(trans_a, trans_b, m, j1 - j0, k, alpha, a, lda, bj, ldb, beta, c + j0, ldc);
      if (epilogue) (*epilogue)(0, m, j0, j1);
    });
  } else {
    const int64_t blocks = (m + kRowBlock - 1) / kRowBlock;
    const int64_t block_macs = kRowBlock * n * std::max<int64_t>(k, 1);
    const int64_t grain = std::max<int64_t>(1, kMinParallelMacs / std::max<int64_t>(block_macs, 1));
    ctx.parallel_for(blocks, grain, [&](int64_t b0, int64_t b1) {
      const int64_t i0 = b0 * kRowBlock, i1 = std::min(m, b1 * kRowBlock);
      const float* ai = trans_a ? a + i0 : a + i0 * lda;
      sgemm_serial(trans_a, trans_b, i1 - i0, n, k, alpha, ai, lda, b, ldb, beta, c + i0 * ldc, ldc);
      if (epilogue) (*epilogue)(i0, i1, 0, n);
    });
  }
}

}  // namespace top::ops

// Gemm and MatMul on the GPU (float32) through cuBLAS.
//
// cuBLAS is column-major; a row-major matrix is its transpose in column-major, so
// row-major C = op(A) op(B) is computed as column-major C^T = op(B)^T op(A)^T: swap
// the operands and M/N, keep the transpose flags. Compute type is CUBLAS_COMPUTE_32F
// (no TF32) unless CudaBackendOptions::allow_tf32: results then match the CPU reference
// to float32 rounding.
#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/fused_epilogue.h"
#include "kernels/conv_epilogue.h"
#include "ops/broadcast.h"
#include "ops/conv_util.h"

namespace top::cuda {

namespace {

// One row-major GEMM (or `batch` of them at fixed element strides):
// C = alpha * op(A) op(B) + beta * C, op(A) m x k, op(B) k x n, C m x n with ld n.
struct RowMajorGemm {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0, lda = 0, ldb = 0;
  int batch = 1;
  long long stride_a = 0, stride_b = 0, stride_c = 0;
  bool tf32 = false;

  Status run(cublasHandle_t h, float alpha, const float* a, const float* b, float beta, float* c) const {
    TOP_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        h, trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, trans_a ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, &alpha, b, CUDA_R_32F,
        ldb, stride_b, a, CUDA_R_32F, lda, stride_a, &beta, c, CUDA_R_32F, n, stride_c, batch,
        tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return Status::Ok();
  }
};

bool fits_int(int64_t v) { return v >= 0 && v <= INT_MAX; }

class GemmOp final : public CudaOp {
 public:
  RowMajorGemm gemm;
  float alpha = 1.0f, beta = 1.0f;
  bool has_c = false;
  int64_t c_stride_m = 0, c_stride_n = 0;
  kernels::Epilogue epi;

  Status launch(const LaunchContext& ctx) const override {
    const float* a = ctx.inputs[0]->as<float>();
    const float* b = ctx.inputs[1]->as<float>();
    float* y = ctx.outputs[0]->as<float>();
    const int64_t mn = int64_t(gemm.m) * gemm.n;
    if (mn == 0) return Status::Ok();
    float gemm_beta = 0.0f;
    if (has_c) {  // Y = beta * C, then the GEMM accumulates onto it
      TOP_CUDA_CHECK(kernels::broadcast_matrix(y, ctx.inputs[2]->as<float>(), gemm.m, gemm.n, c_stride_m, c_stride_n,
                                               beta, ctx.stream()));
      gemm_beta = 1.0f;
    } else if (gemm.k == 0) {
      TOP_CUDA_CHECK(cudaMemsetAsync(y, 0, static_cast<size_t>(mn) * sizeof(float), ctx.stream()));
    }
    if (gemm.k > 0) TOP_RETURN_IF_ERROR(gemm.run(ctx.resources->cublas, alpha, a, b, gemm_beta, y));
    TOP_CUDA_CHECK(kernels::bias_residual_activation(y, nullptr, 1, 1, nullptr, mn, epi, ctx.stream()));
    return Status::Ok();
  }
};

Result<std::unique_ptr<CudaOp>> make_gemm(const PrepareContext& ctx) {
  for (size_t i = 0; i < 3; ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32)
      return ctx.unsupported("only float32 is supported");
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.unsupported("needs inputs A and B");
  const Shape& as = ctx.inputs[0].shape;
  const Shape& bs = ctx.inputs[1].shape;
  if (as.size() != 2 || bs.size() != 2) return ctx.unsupported("A and B must be 2-D");
  auto op = std::make_unique<GemmOp>();
  RowMajorGemm& g = op->gemm;
  g.trans_a = ctx.attrs->get_int("transA", 0) != 0;
  g.trans_b = ctx.attrs->get_int("transB", 0) != 0;
  op->alpha = ctx.attrs->get_float("alpha", 1.0f);
  op->beta = ctx.attrs->get_float("beta", 1.0f);
  ops::FusedActivation act;
  TOP_RETURN_IF_ERROR(ops::parse_fused_activation(*ctx.attrs, "Gemm", act));
  op->epi = to_epilogue(act);
  const int64_t m = g.trans_a ? as[1] : as[0], k = g.trans_a ? as[0] : as[1], n = g.trans_b ? bs[0] : bs[1];
  if (!fits_int(m) || !fits_int(n) || !fits_int(k) || !fits_int(as[1]) || !fits_int(bs[1]))
    return ctx.unsupported("dimensions beyond cuBLAS's 32-bit range");
  g.m = static_cast<int>(m);
  g.n = static_cast<int>(n);
  g.k = static_cast<int>(k);
  g.lda = static_cast<int>(as[1]);  // row length of A as stored
  g.ldb = static_cast<int>(bs[1]);
  g.tf32 = ctx.allow_tf32;
  if (ctx.has_input(2) && op->beta != 0.0f && shape_numel(ctx.inputs[2].shape) > 0) {
    const Shape& cs = ctx.inputs[2].shape;
    const int64_t cm = cs.size() == 2 ? cs[0] : 1, cn = cs.empty() ? 1 : cs.back();
    op->has_c = true;
    op->c_stride_m = cm == 1 ? 0 : cn;
    op->c_stride_n = cn == 1 ? 0 : 1;
  }
  return std::unique_ptr<CudaOp>(std::move(op));
}

// MatMul with numpy semantics: 1-D operands promoted, batch dims broadcast.
class MatMulOp final : public CudaOp {
 public:
  RowMajorGemm gemm;
  // Per output batch, element offsets of A and B when the batches are not one strided
  // call (general broadcasting): one cuBLAS call each.
  std::vector<int64_t> a_off, b_off;
  int64_t m = 0, n = 0, k = 0;

  Status launch(const LaunchContext& ctx) const override {
    const float* a = ctx.inputs[0]->as<float>();
    const float* b = ctx.inputs[1]->as<float>();
    float* y = ctx.outputs[0]->as<float>();
    const int64_t total = ctx.outputs[0]->numel();
    if (total == 0) return Status::Ok();
    if (k == 0) {
      TOP_CUDA_CHECK(cudaMemsetAsync(y, 0, static_cast<size_t>(total) * sizeof(float), ctx.stream()));
      return Status::Ok();
    }
    cublasHandle_t h = ctx.resources->cublas;
    if (a_off.empty()) return gemm.run(h, 1.0f, a, b, 0.0f, y);
    for (size_t i = 0; i < a_off.size(); ++i)
      TOP_RETURN_IF_ERROR(gemm.run(h, 1.0f, a + a_off[i], b + b_off[i], 0.0f, y + static_cast<int64_t>(i) * m * n));
    return Status::Ok();
  }
};

// Batch offsets (in matrices) of one operand for each output batch index.
std::vector<int64_t> batch_offsets(const Shape& operand_batch, const Shape& batch) {
  const std::vector<int64_t> strides = ops::broadcast_strides(operand_batch, batch);
  const int64_t nb = shape_numel(batch);
  std::vector<int64_t> off(static_cast<size_t>(nb), 0);
  std::vector<int64_t> idx(batch.size(), 0);
  for (int64_t i = 0; i < nb; ++i) {
    for (size_t j = 0; j < idx.size(); ++j) off[static_cast<size_t>(i)] += idx[j] * strides[j];
    for (int64_t j = static_cast<int64_t>(idx.size()) - 1; j >= 0; --j) {
      if (++idx[j] < batch[j]) break;
      idx[j] = 0;
    }
  }
  return off;
}

// The common stride of `off` (off[i] == i * stride), or -1.
int64_t uniform_stride(const std::vector<int64_t>& off) {
  const int64_t s = off.size() > 1 ? off[1] - off[0] : 0;
  for (size_t i = 0; i < off.size(); ++i)
    if (off[i] != static_cast<int64_t>(i) * s) return -1;
  return s;
}

Result<std::unique_ptr<CudaOp>> make_matmul(const PrepareContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.unsupported("needs inputs A and B");
  if (ctx.inputs[0].dtype != DataType::kFloat32 || ctx.inputs[1].dtype != DataType::kFloat32)
    return ctx.unsupported(std::string("only float32 is supported, got ") + dtype_name(ctx.inputs[0].dtype));
  const Shape& as = ctx.inputs[0].shape;
  const Shape& bs = ctx.inputs[1].shape;
  if (as.empty() || bs.empty()) return ctx.unsupported("operands must have rank >= 1");
  auto op = std::make_unique<MatMulOp>();
  op->k = as.back();
  op->m = as.size() >= 2 ? as[as.size() - 2] : 1;
  op->n = bs.size() >= 2 ? bs.back() : 1;
  const Shape a_batch(as.begin(), as.end() - std::min<size_t>(as.size(), 2));
  const Shape b_batch(bs.begin(), bs.end() - std::min<size_t>(bs.size(), 2));
  auto batch = ops::broadcast_shapes({a_batch, b_batch});
  if (!batch.ok())
    return ctx.unsupported("batch dims of A " + shape_str(as) + " and B " + shape_str(bs) + " do not broadcast");
  const int64_t nb = shape_numel(*batch);
  if (!fits_int(op->m * std::max<int64_t>(nb, 1)) || !fits_int(op->n) || !fits_int(op->k) || !fits_int(nb))
    return ctx.unsupported("dimensions beyond cuBLAS's 32-bit range");
  RowMajorGemm& g = op->gemm;
  g.n = static_cast<int>(op->n);
  g.k = static_cast<int>(op->k);
  g.lda = g.k;
  g.ldb = g.n;
  g.tf32 = ctx.allow_tf32;
  g.m = static_cast<int>(op->m);
  if (shape_numel(b_batch) == 1 && shape_numel(a_batch) == nb) {
    g.m = static_cast<int>(op->m * nb);  // one B for every batch: fold the batch into M
    return std::unique_ptr<CudaOp>(std::move(op));
  }
  std::vector<int64_t> a_off = batch_offsets(a_batch, *batch), b_off = batch_offsets(b_batch, *batch);
  const int64_t sa = uniform_stride(a_off), sb = uniform_stride(b_off);
  if (sa >= 0 && sb >= 0) {
    g.batch = static_cast<int>(nb);
    g.stride_a = sa * op->m * op->k;
    g.stride_b = sb * op->k * op->n;
    g.stride_c = op->m * op->n;
    return std::unique_ptr<CudaOp>(std::move(op));
  }
  for (size_t i = 0; i < a_off.size(); ++i) {
    op->a_off.push_back(a_off[i] * op->m * op->k);
    op->b_off.push_back(b_off[i] * op->k * op->n);
  }
  return std::unique_ptr<CudaOp>(std::move(op));
}

}  // namespace

void register_cuda_gemm_ops(CudaOpRegistry& r) {
  r.add("Gemm", make_gemm);
  r.add("MatMul", make_matmul);
}

}  // namespace top::cuda

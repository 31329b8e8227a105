// MatMul (numpy semantics: 1-D operands, broadcast batch dims) and Gemm.
//
// float32 goes through the parallel sgemm (gemm.h); when only A carries batch dims
// they fold into M so the whole product is one GEMM. Other dtypes (int32, int64,
// float64) take a plain loop: they appear in shape arithmetic, not in hot paths.
#include <algorithm>
#include <string>
#include <vector>

#include "ops/broadcast.h"
#include "ops/conv_util.h"
#include "ops/families.h"
#include "ops/gemm.h"
#include "ops/matmul_dims.h"
#include "ops/op.h"

namespace top::ops {
namespace {

bool matmul_dtype_ok(DataType t) {
  return t == DataType::kFloat32 || t == DataType::kFloat64 || t == DataType::kInt32 || t == DataType::kInt64;
}

template <class T>
void naive_matmul(const T* a, const T* b, T* c, int64_t m, int64_t n, int64_t k) {
  for (int64_t i = 0; i < m; ++i) {
    T* ci = c + i * n;
    std::fill(ci, ci + n, T(0));
    for (int64_t p = 0; p < k; ++p) {
      const T av = a[i * k + p];
      const T* bp = b + p * n;
      for (int64_t j = 0; j < n; ++j) ci[j] += av * bp[j];
    }
  }
}

class MatMulOp final : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("MatMul: needs inputs A and B");
    const DataType t = ctx.input_dtype(0);
    if (t != ctx.input_dtype(1))
      return InvalidArgument(std::string("MatMul: A is ") + dtype_name(t) + " but B is " + dtype_name(ctx.input_dtype(1)));
    if (!matmul_dtype_ok(t)) return Unsupported(std::string("MatMul: dtype ") + dtype_name(t) + " is not supported");
    TOP_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(ctx.input_shape(0), ctx.input_shape(1)));
    ctx.set_output(0, t, d.out);
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& at = ctx.input(0);
    const Tensor& bt = ctx.input(1);
    Tensor& ct = ctx.output(0);
    if (at.dtype() != bt.dtype() || ct.dtype() != at.dtype() || !matmul_dtype_ok(at.dtype()))
      return InvalidArgument("MatMul: dtypes of A, B and Y differ or are unsupported");
    TOP_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(at.shape(), bt.shape()));
    if (ct.shape() != d.out)
      return InvalidArgument("MatMul: output buffer " + shape_str(ct.shape()) + " is not " + shape_str(d.out));
    if (ct.numel() == 0) return Status::Ok();
    switch (at.dtype()) {
      case DataType::kFloat32: return compute_f32(ctx, d, at.data<float>(), bt.data<float>(), ct.data<float>());
      case DataType::kFloat64: return compute_naive(ctx, d, at.data<double>(), bt.data<double>(), ct.data<double>());
      case DataType::kInt32: return compute_naive(ctx, d, at.data<int32_t>(), bt.data<int32_t>(), ct.data<int32_t>());
      case DataType::kInt64: return compute_naive(ctx, d, at.data<int64_t>(), bt.data<int64_t>(), ct.data<int64_t>());
      default: break;
    }
    return Unsupported("MatMul: unsupported dtype");
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (!ctx.has_input(0) || !ctx.has_input(1)) return c;
    Result<MatMulDims> d = matmul_dims(ctx.input_shape(0), ctx.input_shape(1));
    if (!d.ok()) return c;
    c.flops = 2.0 * static_cast<double>(std::max<int64_t>(shape_numel(d->batch), 0)) * static_cast<double>(d->m) *
              static_cast<double>(d->n) * static_cast<double>(d->k);
    return c;
  }

 private:
  static Status compute_f32(const KernelContext& ctx, const MatMulDims& d, const float* a, const float* b, float* c) {
    const int64_t nb = shape_numel(d.batch), m = d.m, n = d.n, k = d.k;
    const int64_t a_count = shape_numel(d.a_batch), b_count = shape_numel(d.b_batch);
    if (b_count == 1 && a_count == nb) {
      // B is one matrix shared by every batch: fold the batch into M.
      sgemm(ctx, false, false, nb * m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
      return Status::Ok();
    }
    std::vector<int64_t> a_off, b_off;
    batch_offsets(d, a_off, b_off);
    const int threads = ctx.num_threads();
    if (threads > 1 && nb >= threads) {
      ctx.parallel_for(nb, std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(m * n * k, 1)),
                       [&](int64_t lo, int64_t hi) {
                         for (int64_t i = lo; i < hi; ++i)
                           sgemm_serial(false, false, m, n, k, 1.0f, a + a_off[i] * m * k, k, b + b_off[i] * k * n, n,
                                        0.0f, c + i * m * n, n);
                       });
    } else {
      for (int64_t i = 0; i < nb; ++i)
        sgemm(ctx, false, false, m, n, k, 1.0f, a + a_off[i] * m * k, k, b + b_off[i] * k * n, n, 0.0f,
              c + i * m * n, n);
    }
    return Status::Ok();
  }

  template <class T>
  static Status compute_naive(const KernelContext& ctx, const MatMulDims& d, const T* a, const T* b, T* c) {
    const int64_t nb = shape_numel(d.batch), m = d.m, n = d.n, k = d.k;
    std::vector<int64_t> a_off, b_off;
    batch_offsets(d, a_off, b_off);
    ctx.parallel_for(nb, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) naive_matmul(a + a_off[i] * m * k, b + b_off[i] * k * n, c + i * m * n, m, n, k);
    });
    return Status::Ok();
  }
};

class GemmOp final : public Op {
 public:
  Status init(const ir::Attributes& attrs, int opset) override {
    trans_a_ = attrs.get_int("transA", 0) != 0;
    trans_b_ = attrs.get_int("transB", 0) != 0;
    alpha_ = attrs.get_float("alpha", 1.0f);
    beta_ = attrs.get_float("beta", 1.0f);
    return parse_fused_activation(attrs, "Gemm", act_);
  }

  Status infer(InferContext& ctx) const override {
    if (!ctx.has_input(0) || !ctx.has_input(1)) return InvalidArgument("Gemm: needs inputs A and B");
    for (size_t i = 0; i < 3; ++i)
      if (ctx.has_input(i) && ctx.input_dtype(i) != DataType::kFloat32)
        return Unsupported("Gemm: input " + std::to_string(i) + " has dtype " + dtype_name(ctx.input_dtype(i)) +
                           "; only float32 is supported");
    int64_t m, n, k;
    TOP_RETURN_IF_ERROR(dims(ctx.input_shape(0), ctx.input_shape(1), ctx.has_input(2) ? &ctx.input_shape(2) : nullptr,
                             m, n, k));
    ctx.set_output(0, DataType::kFloat32, {m, n});
    return Status::Ok();
  }

  Status compute(const KernelContext& ctx) const override {
    const Tensor& at = ctx.input(0);
    const Tensor& bt = ctx.input(1);
    const Tensor* ct = ctx.has_input(2) ? &ctx.input(2) : nullptr;
    Tensor& yt = ctx.output(0);
    if (at.dtype() != DataType::kFloat32 || bt.dtype() != DataType::kFloat32 ||
        (ct && ct->dtype() != DataType::kFloat32))
      return Unsupported("Gemm: only float32 is supported");
    int64_t m, n, k;
    TOP_RETURN_IF_ERROR(dims(at.shape(), bt.shape(), ct ? &ct->shape() : nullptr, m, n, k));
    if (yt.numel() != m * n)
      return InvalidArgument("Gemm: output buffer " + shape_str(yt.shape()) + " is not [" + std::to_string(m) + "," +
                             std::to_string(n) + "]");
    if (yt.numel() == 0) return Status::Ok();
    float* y = yt.data<float>();
    float gemm_beta = 0.0f;
    if (ct && beta_ != 0.0f && ct->numel() > 0) {
      // Y = beta * C (broadcast), then the GEMM accumulates onto it.
      const Shape& cs = ct->shape();
      const float* c = ct->data<float>();
      const int64_t cm = cs.size() == 2 ? cs[0] : 1;
      const int64_t cn = cs.empty() ? 1 : cs.back();
      ctx.parallel_for(m, std::max<int64_t>(1, 16384 / n), [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i) {
          const float* crow = c + (cm == 1 ? 0 : i) * cn;
          float* yrow = y + i * n;
          if (cn == 1) {
            std::fill(yrow, yrow + n, beta_ * crow[0]);
          } else {
            for (int64_t j = 0; j < n; ++j) yrow[j] = beta_ * crow[j];
          }
        }
      });
      gemm_beta = 1.0f;
    }
    const GemmEpilogue epi = [&](int64_t r0, int64_t r1, int64_t c0, int64_t c1) {
      for (int64_t r = r0; r < r1; ++r) act_.apply(y + r * n + c0, c1 - c0);
    };
    sgemm(ctx, trans_a_, trans_b_, m, n, k, alpha_, at.data<float>(), trans_a_ ? m : k, bt.data<float>(),
          trans_b_ ? k : n, gemm_beta, y, n, act_.active() ? &epi : nullptr);
    return Status::Ok();
  }

  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    int64_t m, n, k;
    if (!ctx.has_input(0) || !ctx.has_input(1) ||
        !dims(ctx.input_shape(0), ctx.input_shape(1), nullptr, m, n, k).ok())
      return c;
    c.flops = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
    return c;
  }

 private:
  Status dims(const Shape& a, const Shape& b, const Shape* c, int64_t& m, int64_t& n, int64_t& k) const {
    if (a.size() != 2 || b.size() != 2)
      return InvalidArgument("Gemm: A " + shape_str(a) + " and B " + shape_str(b) + " must both be 2-D");
    m = trans_a_ ? a[1] : a[0];
    k = trans_a_ ? a[0] : a[1];
    const int64_t kb = trans_b_ ? b[1] : b[0];
    n = trans_b_ ? b[0] : b[1];
    if (k >= 0 && kb >= 0 && k != kb)
      return InvalidArgument("Gemm: inner dims differ: op(A) is " + std::to_string(m) + "x" + std::to_string(k) +
                             ", op(B) is " + std::to_string(kb) + "x" + std::to_string(n) + " (A " + shape_str(a) +
                             ", B " + shape_str(b) + ", transA=" + std::to_string(trans_a_) +
                             ", transB=" + std::to_string(trans_b_) + ")");
    if (k < 0) k = kb;
    if (c) {
      const Shape& cs = *c;
      bool ok = cs.size() <= 2;
      if (ok && !cs.empty() && cs.back() >= 0 && n >= 0) ok = cs.back() == n || cs.back() == 1;
      if (ok && cs.size() == 2 && cs[0] >= 0 && m >= 0) ok = cs[0] == m || cs[0] == 1;
      if (!ok)
        return InvalidArgument("Gemm: C " + shape_str(cs) + " does not broadcast to [" + std::to_string(m) + "," +
                               std::to_string(n) + "]");
    }
    return Status::Ok();
  }

  bool trans_a_ = false, trans_b_ = false;
  float alpha_ = 1.0f, beta_ = 1.0f;
  FusedActivation act_;  // set only by a graph optimiser (see conv_util.h)
};

}  // namespace

void register_matmul_ops(OpRegistry& r) {
  r.add("MatMul", 1, [] { return std::make_unique<MatMulOp>(); });
  r.add("Gemm", 1, [] { return std::make_unique<GemmOp>(); });
}

}  // namespace top::ops

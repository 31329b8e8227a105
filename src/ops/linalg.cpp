// Det-11 on the CPU: determinants of the [M, M] matrices in the last two dims, by LU
// decomposition with partial pivoting in double. No GPU kernel yet (CPU-only list in
// tests/unit/cuda_registry_test.cpp).
#include <cmath>
#include <vector>

#include "ops/elementwise_kernels.h"
#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {
namespace {

double determinant(std::vector<double>& a, int64_t m) {
  double det = 1;
  for (int64_t c = 0; c < m; ++c) {
    int64_t pivot = c;
    for (int64_t r = c + 1; r < m; ++r)
      if (std::fabs(a[r * m + c]) > std::fabs(a[pivot * m + c])) pivot = r;
    if (a[pivot * m + c] == 0) return 0;
    if (pivot != c) {
      for (int64_t k = 0; k < m; ++k) std::swap(a[c * m + k], a[pivot * m + k]);
      det = -det;
    }
    det *= a[c * m + c];
    for (int64_t r = c + 1; r < m; ++r) {
      const double f = a[r * m + c] / a[c * m + c];
      for (int64_t k = c; k < m; ++k) a[r * m + k] -= f * a[c * m + k];
    }
  }
  return det;
}

class DetOp final : public Op {
 public:
  Status infer(InferContext& ctx) const override {
    const std::string p = node_prefix("Det", ctx);
    TOP_RETURN_IF_ERROR(require_inputs(ctx, 1, "Det"));
    const Shape& x = ctx.input_shape(0);
    if (!ew::dtype_in<float, double>(ctx.input_dtype(0))) return Unsupported(p + "float and double are supported");
    if (x.size() < 2 || x[x.size() - 1] != x[x.size() - 2])
      return InvalidArgument(p + "X " + shape_str(x) + " must be [..., M, M]");
    ctx.set_output(0, ctx.input_dtype(0), Shape(x.begin(), x.end() - 2));
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const int r = static_cast<int>(x.rank());
    if (r < 2 || x.dim(r - 1) != x.dim(r - 2)) return InvalidArgument("Det: X must be [..., M, M]");
    const int64_t m = x.dim(r - 1), count = ctx.output(0).numel();
    return ew::dispatch<float, double>(x.dtype(), "Det", [&](auto tag) -> Status {
      using T = typename decltype(tag)::type;
      const T* src = x.data<T>();
      T* dst = ctx.output(0).data<T>();
      ctx.parallel_for(count, 1, [&](int64_t b, int64_t e) {
        std::vector<double> a(static_cast<size_t>(m * m));
        for (int64_t i = b; i < e; ++i) {
          for (int64_t k = 0; k < m * m; ++k) a[static_cast<size_t>(k)] = src[i * m * m + k];
          dst[i] = static_cast<T>(determinant(a, m));
        }
      });
      return Status::Ok();
    });
  }
};

}  // namespace

void register_linalg_ops(OpRegistry& r) { r.add("Det", 11, [] { return std::make_unique<DetOp>(); }); }

}  // namespace top::ops

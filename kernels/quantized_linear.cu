#include <type_traits>

#include "kernels/launch_util.cuh"
#include "kernels/quantized_linear.h"

namespace top::kernels {
namespace {

template <class T>
__device__ int32_t zero_at(const void* zp, int64_t count, int64_t i) {
  return zp == nullptr ? 0 : static_cast<int32_t>(static_cast<const T*>(zp)[count == 1 ? 0 : i]);
}

// Writes the accumulator of element e, with channel c, as y_type TY.
template <class TY>
__device__ void store(const QLinearArgs& q, int64_t e, int64_t c, int32_t acc) {
  if constexpr (std::is_same_v<TY, int32_t>) {
    static_cast<int32_t*>(q.y)[e] = acc;
  } else {
    if (q.bias != nullptr) acc = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(q.bias[c]));
    static_cast<TY*>(q.y)[e] = ops::qrequantize<TY>(acc, q.a_scale[0], q.b_scale[q.b_scale_count == 1 ? 0 : c],
                                                    q.y_scale[0], zero_at<TY>(q.y_zero, 1, 0));
  }
}

template <class TA, class TB, class TY>
__global__ void qmatmul_kernel(QLinearArgs q, int64_t batch, int64_t m, int64_t n, int64_t k, int64_t a_stride,
                               int64_t b_stride) {
  TOP_GRID_LOOP(e, batch * m * n) {
    const int64_t j = e % n, i = (e / n) % m, bi = e / (m * n);
    const TA* a = static_cast<const TA*>(q.a) + bi * a_stride + i * k;
    const TB* b = static_cast<const TB*>(q.b) + bi * b_stride + j;
    const int32_t acc = ops::qdot(a, 1, zero_at<TA>(q.a_zero, q.a_zero_count, i), b, n,
                                  zero_at<TB>(q.b_zero, q.b_zero_count, j), k);
    store<TY>(q, e, j, acc);
  }
}

template <class TA, class TB, class TY>
__global__ void qconv_kernel(QLinearArgs q, ops::QConvGeometry g, int64_t batch) {
  const int64_t per_map = g.out[0] * g.out[1] * g.out[2];
  TOP_GRID_LOOP(e, batch * g.out_channels * per_map) {
    const int64_t map = e / per_map, r = e % per_map;
    const int64_t n = map / g.out_channels, oc = map % g.out_channels;
    const int64_t o2 = r % g.out[2], o1 = (r / g.out[2]) % g.out[1], o0 = r / (g.out[2] * g.out[1]);
    const int32_t acc = ops::qconv_acc(g, static_cast<const TA*>(q.a), zero_at<TA>(q.a_zero, 1, 0),
                                       static_cast<const TB*>(q.b), zero_at<TB>(q.b_zero, q.b_zero_count, oc), n, oc,
                                       o0, o1, o2);
    store<TY>(q, e, oc, acc);
  }
}

// fn(TA{}, TB{}, TY{}) for the argument dtypes; false when one is not supported.
template <class Fn>
bool dispatch(const QLinearArgs& q, Fn&& fn) {
  auto with_y = [&](auto a, auto b) {
    if (q.y_type == DataType::kInt32) return fn(a, b, int32_t{}), true;
    if (q.y_type == DataType::kUint8) return fn(a, b, uint8_t{}), true;
    if (q.y_type == DataType::kInt8) return fn(a, b, int8_t{}), true;
    return false;
  };
  auto with_b = [&](auto a) {
    if (q.b_type == DataType::kUint8) return with_y(a, uint8_t{});
    if (q.b_type == DataType::kInt8) return with_y(a, int8_t{});
    return false;
  };
  if (q.a_type == DataType::kUint8) return with_b(uint8_t{});
  if (q.a_type == DataType::kInt8) return with_b(int8_t{});
  return false;
}

}  // namespace

cudaError_t qlinear_matmul(const QLinearArgs& q, int64_t batch, int64_t m, int64_t n, int64_t k,
                           int64_t a_batch_stride, int64_t b_batch_stride, cudaStream_t stream) {
  const int64_t total = batch * m * n;
  if (total == 0) return cudaSuccess;
  const bool ok = dispatch(q, [&](auto a, auto b, auto y) {
    qmatmul_kernel<decltype(a), decltype(b), decltype(y)>
        <<<grid_for(total), kThreads, 0, stream>>>(q, batch, m, n, k, a_batch_stride, b_batch_stride);
  });
  return ok ? cudaGetLastError() : cudaErrorInvalidValue;
}

cudaError_t qlinear_conv(const QLinearArgs& q, const ops::QConvGeometry& g, int64_t batch, cudaStream_t stream) {
  const int64_t total = batch * g.out_channels * g.out[0] * g.out[1] * g.out[2];
  if (total == 0) return cudaSuccess;
  const bool ok = dispatch(q, [&](auto a, auto b, auto y) {
    qconv_kernel<decltype(a), decltype(b), decltype(y)><<<grid_for(total), kThreads, 0, stream>>>(q, g, batch);
  });
  return ok ? cudaGetLastError() : cudaErrorInvalidValue;
}

}  // namespace top::kernels

#include "kernels/launch_util.cuh"
#include "kernels/norm.h"

namespace top::kernels {
namespace {

__global__ void batch_norm_kernel(const float* x, const float* scale, const float* bias, const float* mean,
                                  const float* var, float* y, int64_t total, int64_t c, int64_t plane, float eps) {
  TOP_GRID_LOOP(i, total) {
    const int64_t ch = (i / plane) % c;
    const float a = scale[ch] / sqrtf(var[ch] + eps);
    const float b = bias[ch] - mean[ch] * a;
    y[i] = x[i] * a + b;
  }
}

template <class T>
struct Sum {
  __device__ T operator()(T a, T b) const { return a + b; }
};

// One block per row: the mean (accumulated in double, like the CPU), then the variance
// of the centred values, then the output.
__global__ void layer_norm_kernel(const float* x, const float* scale, const float* bias, float* y, float* mean_out,
                                  float* inv_out, int64_t rows, int64_t cols, StridedIndex<2> params, float eps,
                                  bool dense_params) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * cols;
    float* yr = y + r * cols;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) sum += xr[j];
    sum = block_reduce(sum, Sum<double>{});
    const float mean = static_cast<float>(sum / static_cast<double>(cols));
    float sq = 0;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      const float d = xr[j] - mean;
      sq += d * d;
    }
    sq = block_reduce(sq, Sum<float>{});
    const float inv = 1.0f / sqrtf(sq / static_cast<float>(cols) + eps);
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
      int64_t off[2] = {j, j};
      if (!dense_params) strided_offsets(params, j, off);
      const float v = (xr[j] - mean) * inv * scale[off[0]];
      yr[j] = bias ? v + bias[off[1]] : v;
    }
    if (threadIdx.x == 0) {
      if (mean_out) mean_out[r] = mean;
      if (inv_out) inv_out[r] = inv;
    }
  }
}

__global__ void instance_norm_kernel(const float* x, const float* scale, const float* bias, float* y, int64_t rows,
                                     int64_t c, int64_t plane, float eps) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const float* xr = x + r * plane;
    float* yr = y + r * plane;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < plane; j += blockDim.x) sum += xr[j];
    sum = block_reduce(sum, Sum<double>{});
    const float mean = static_cast<float>(sum / static_cast<double>(plane));
    double sq = 0;
    for (int64_t j = threadIdx.x; j < plane; j += blockDim.x) {
      const double d = static_cast<double>(xr[j]) - mean;
      sq += d * d;
    }
    sq = block_reduce(sq, Sum<double>{});
    const float inv = static_cast<float>(1.0 / sqrt(sq / static_cast<double>(plane) + eps));
    const float a = scale[r % c] * inv, b = bias[r % c] - mean * a;
    for (int64_t j = threadIdx.x; j < plane; j += blockDim.x) yr[j] = xr[j] * a + b;
  }
}

__global__ void lrn_kernel(const float* x, float* y, int64_t total, int64_t c, int64_t plane, int64_t before,
                           int64_t after, float alpha_over_size, float beta, float bias) {
  TOP_GRID_LOOP(e, total) {
    const int64_t i = e % plane, ch = (e / plane) % c, n = e / (plane * c);
    const int64_t lo = ch - before < 0 ? 0 : ch - before, hi = ch + after > c - 1 ? c - 1 : ch + after;
    double sq = 0;
    for (int64_t k = lo; k <= hi; ++k) {
      const double v = x[(n * c + k) * plane + i];
      sq += v * v;
    }
    y[e] = static_cast<float>(x[e] / pow(static_cast<double>(bias) + static_cast<double>(alpha_over_size) * sq,
                                         static_cast<double>(beta)));
  }
}

}  // namespace

cudaError_t lrn(const float* x, float* y, int64_t n, int64_t c, int64_t plane, int64_t before, int64_t after,
                float alpha_over_size, float beta, float bias, cudaStream_t stream) {
  const int64_t total = n * c * plane;
  if (total <= 0) return cudaSuccess;
  lrn_kernel<<<grid_for(total), kThreads, 0, stream>>>(x, y, total, c, plane, before, after, alpha_over_size, beta,
                                                       bias);
  return cudaGetLastError();
}

cudaError_t instance_norm(const float* x, const float* scale, const float* bias, float* y, int64_t rows, int64_t c,
                          int64_t plane, float epsilon, cudaStream_t stream) {
  if (rows <= 0 || plane <= 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>(rows < (int64_t{1} << 16) ? rows : (int64_t{1} << 16));
  instance_norm_kernel<<<blocks, kThreads, 0, stream>>>(x, scale, bias, y, rows, c, plane, epsilon);
  return cudaGetLastError();
}

cudaError_t batch_norm(const float* x, const float* scale, const float* bias, const float* mean, const float* var,
                       float* y, int64_t n, int64_t c, int64_t plane, float epsilon, cudaStream_t stream) {
  const int64_t total = n * c * plane;
  if (total <= 0) return cudaSuccess;
  batch_norm_kernel<<<grid_for(total), kThreads, 0, stream>>>(x, scale, bias, mean, var, y, total, c, plane, epsilon);
  return cudaGetLastError();
}

cudaError_t layer_norm(const float* x, const float* scale, const float* bias, float* y, float* mean_out,
                       float* inv_std_out, int64_t rows, int64_t cols, const StridedIndex<2>& params, float epsilon,
                       cudaStream_t stream) {
  if (rows <= 0 || cols <= 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>(rows < 65535 ? rows : 65535);
  layer_norm_kernel<<<blocks, kThreads, 0, stream>>>(x, scale, bias, y, mean_out, inv_std_out, rows, cols, params,
                                                     epsilon, strided_is_dense(params));
  return cudaGetLastError();
}

}  // namespace top::kernels

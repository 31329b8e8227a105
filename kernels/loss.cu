#include "kernels/launch_util.cuh"
#include "kernels/loss.h"

namespace top::kernels {
namespace {

struct AddDouble {
  __device__ double operator()(double a, double b) const { return a + b; }
};

// The loss and the weight of target element e (both 0 when it is ignored).
template <class T, class I>
__device__ void element(const T* lp, const I* target, const T* weight, int64_t e, int64_t c, int64_t inner,
                        bool has_ignore, int64_t ignore, double* loss, double* w) {
  const int64_t t = static_cast<int64_t>(target[e]);
  *loss = 0;
  *w = 0;
  if ((has_ignore && t == ignore) || t < 0 || t >= c) return;
  *w = weight ? static_cast<double>(weight[t]) : 1.0;
  *loss = -static_cast<double>(lp[((e / inner) * c + t) * inner + e % inner]) * *w;
}

template <class T, class I>
__global__ void nll_none_kernel(const T* lp, const I* target, const T* weight, T* out, int64_t count, int64_t c,
                                int64_t inner, bool has_ignore, int64_t ignore) {
  TOP_GRID_LOOP(e, count) {
    double loss, w;
    element(lp, target, weight, e, c, inner, has_ignore, ignore, &loss, &w);
    out[e] = static_cast<T>(loss);
  }
}

template <class T, class I>
__global__ void nll_reduce_kernel(const T* lp, const I* target, const T* weight, T* out, int64_t count, int64_t c,
                                  int64_t inner, bool has_ignore, int64_t ignore, bool mean) {
  double sum = 0, wsum = 0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    double loss, w;
    element(lp, target, weight, e, c, inner, has_ignore, ignore, &loss, &w);
    sum += loss;
    wsum += w;
  }
  sum = block_reduce(sum, AddDouble{});
  wsum = block_reduce(wsum, AddDouble{});
  if (threadIdx.x == 0) out[0] = static_cast<T>(mean ? sum / wsum : sum);
}

}  // namespace

cudaError_t nll_loss(DataType dt, const void* log_prob, const void* target, bool target_int64, const void* weight,
                     void* out, int64_t n, int64_t c, int64_t inner, bool has_ignore, int64_t ignore_index,
                     int reduction, cudaStream_t stream) {
  const int64_t count = n * inner;
  return dispatch_dtype<float, double>(dt, [&](auto t) {
    using T = decltype(t);
    auto run = [&](auto index_tag) {
      using I = decltype(index_tag);
      const T* lp = static_cast<const T*>(log_prob);
      const I* tg = static_cast<const I*>(target);
      const T* w = static_cast<const T*>(weight);
      T* o = static_cast<T*>(out);
      if (reduction == 0) {
        if (count > 0)
          nll_none_kernel<T, I><<<grid_for(count), kThreads, 0, stream>>>(lp, tg, w, o, count, c, inner, has_ignore,
                                                                          ignore_index);
      } else {
        nll_reduce_kernel<T, I><<<1, kThreads, 0, stream>>>(lp, tg, w, o, count, c, inner, has_ignore, ignore_index,
                                                             reduction == 2);
      }
      return cudaGetLastError();
    };
    return target_int64 ? run(int64_t{}) : run(int32_t{});
  });
}

}  // namespace top::kernels

#include "kernels/recurrent.h"

namespace top::kernels {
namespace {

// The GPU's Units: the block's threads stride over the hidden units; sync() is the
// block barrier between the phases of a step. (Host-device so that rnn_sequence, a
// host-device template, may call them; only device code ever does.)
struct BlockUnits {
  template <class Fn>
  __host__ __device__ void for_units(int64_t n, Fn&& fn) {
#if defined(__CUDA_ARCH__)
    for (int64_t j = threadIdx.x; j < n; j += blockDim.x) fn(j);
#else
    (void)n;
    (void)fn;
#endif
  }
  __host__ __device__ void sync() {
#if defined(__CUDA_ARCH__)
    __syncthreads();
#endif
  }
};

__global__ void recurrent_kernel(ops::RnnProblem q, float* scratch) {
  const int64_t seq_index = blockIdx.x;  // d * batch + b
  BlockUnits units;
  ops::rnn_sequence(q, seq_index / q.batch, seq_index % q.batch,
                    scratch + seq_index * ops::rnn_scratch_floats(q.hidden), units);
}

}  // namespace

cudaError_t recurrent(const ops::RnnProblem& q, float* scratch, cudaStream_t stream) {
  const int64_t sequences = q.dirs * q.batch;
  if (sequences == 0) return cudaSuccess;
  const int threads = q.hidden >= 256 ? 256 : static_cast<int>((q.hidden + 31) / 32 * 32);
  recurrent_kernel<<<static_cast<unsigned>(sequences), threads, 0, stream>>>(q, scratch);
  return cudaGetLastError();
}

}  // namespace top::kernels

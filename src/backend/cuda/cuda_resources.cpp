#include "backend/cuda/cuda_resources.h"

#include <string>

#include "backend/cuda/cuda_check.h"

namespace top::cuda {

Result<Stream> Stream::create() {
  cudaStream_t s = nullptr;
  TOP_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return Stream(s);
}

Result<Event> Event::create() {
  cudaEvent_t e = nullptr;
  TOP_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return Event(e);
}

Result<CudnnHandle> CudnnHandle::create(cudaStream_t stream) {
  cudnnHandle_t h = nullptr;
  TOP_CUDNN_CHECK(cudnnCreate(&h));
  CudnnHandle owner(h);  // destroys h if binding fails
  TOP_CUDNN_CHECK(cudnnSetStream(h, stream));
  return owner;
}

Result<CublasHandle> CublasHandle::create(cudaStream_t stream) {
  cublasHandle_t h = nullptr;
  TOP_CUBLAS_CHECK(cublasCreate(&h));
  CublasHandle owner(h);
  TOP_CUBLAS_CHECK(cublasSetStream(h, stream));
  TOP_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  return owner;
}

Result<GraphExec> GraphExec::instantiate(cudaGraph_t graph) {
  cudaGraphExec_t e = nullptr;
  TOP_CUDA_CHECK(cudaGraphInstantiate(&e, graph, 0));
  return GraphExec(e);
}

Result<DeviceBuffer> DeviceBuffer::create(size_t bytes) {
  DeviceBuffer b;
  if (bytes == 0) return b;
  TOP_CUDA_CHECK(cudaMalloc(&b.p_, bytes));
  b.bytes_ = bytes;
  return b;
}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = std::exchange(o.p_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void DeviceBuffer::reset() {
  if (p_) cudaFree(p_);
  p_ = nullptr;
  bytes_ = 0;
}

Result<PinnedBuffer> PinnedBuffer::create(size_t bytes) {
  PinnedBuffer b;
  if (bytes == 0) return b;
  TOP_CUDA_CHECK(cudaMallocHost(&b.p_, bytes));
  b.bytes_ = bytes;
  return b;
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& o) noexcept {
  if (this != &o) {
    reset();
    p_ = std::exchange(o.p_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

void PinnedBuffer::reset() {
  if (p_) cudaFreeHost(p_);
  p_ = nullptr;
  bytes_ = 0;
}

}  // namespace top::cuda

#include "backend/cuda/cuda_resources.h"

#include <string>

#include "backend/cuda/cuda_check.h"

namespace top::cuda {

Result<Stream> create_stream() {
  cudaStream_t s = nullptr;
  TOP_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  return Stream(s);
}

Result<Event> create_event() {
  cudaEvent_t e = nullptr;
  TOP_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
  return Event(e);
}

Result<CudnnHandle> create_cudnn(cudaStream_t stream) {
  cudnnHandle_t h = nullptr;
  TOP_CUDNN_CHECK(cudnnCreate(&h));
  CudnnHandle owner(h);  // destroys h if binding fails
  TOP_CUDNN_CHECK(cudnnSetStream(h, stream));
  return owner;
}

Result<CublasHandle> create_cublas(cudaStream_t stream) {
  cublasHandle_t h = nullptr;
  TOP_CUBLAS_CHECK(cublasCreate(&h));
  CublasHandle owner(h);
  TOP_CUBLAS_CHECK(cublasSetStream(h, stream));
  TOP_CUBLAS_CHECK(cublasSetMathMode(h, CUBLAS_DEFAULT_MATH));
  return owner;
}

Result<GraphExec> instantiate_graph(cudaGraph_t graph) {
  cudaGraphExec_t e = nullptr;
  TOP_CUDA_CHECK(cudaGraphInstantiate(&e, graph, 0));
  return GraphExec(e);
}

template <class Memory>
Result<Buffer<Memory>> Buffer<Memory>::create(size_t bytes) {
  if (bytes == 0) return Buffer();
  void* p = nullptr;
  TOP_CUDA_CHECK(Memory::allocate(&p, bytes));
  return Buffer(Allocation{p, bytes});
}

template class Buffer<DeviceMemory>;
template class Buffer<PinnedMemory>;

}  // namespace top::cuda

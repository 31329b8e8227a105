// RAII owners of CUDA objects: every stream, event, library handle and buffer the CUDA
// backend holds is one of these. Move-only; the destructor releases (errors on release
// are ignored: there is nobody to tell, and the context may already be gone at exit).
// Creation returns a Result, so a missing device or exhausted memory is an error value.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstddef>
#include <utility>

#include "top/status.h"

namespace top::cuda {

// The one RAII pattern of every owner below: move-only, releases on destruction and on
// reset(). `H` is the raw handle (a pointer, or a small struct compared with ==; the
// value-initialised H means "nothing owned"); `Derived::destroy(h)` releases it.
template <class H, class Derived>
class UniqueHandle {
 public:
  UniqueHandle() = default;
  UniqueHandle(const UniqueHandle&) = delete;
  UniqueHandle& operator=(const UniqueHandle&) = delete;
  UniqueHandle(UniqueHandle&& o) noexcept : h_(std::exchange(o.h_, H{})) {}
  UniqueHandle& operator=(UniqueHandle&& o) noexcept {
    if (this != &o) {
      reset();
      h_ = std::exchange(o.h_, H{});
    }
    return *this;
  }
  ~UniqueHandle() { reset(); }
  H get() const { return h_; }
  explicit operator bool() const { return !(h_ == H{}); }
  void reset() {
    if (!(h_ == H{})) Derived::destroy(h_);
    h_ = H{};
  }

 protected:
  explicit UniqueHandle(H h) : h_(h) {}
  H h_{};
};

// A block of memory and its size: the handle of the buffer owners.
struct Allocation {
  void* p = nullptr;
  size_t bytes = 0;
  bool operator==(const Allocation& o) const { return p == o.p && bytes == o.bytes; }
};

// A library or runtime handle released by `Destroy` (whose status is ignored, above).
template <class H, class R, R (*Destroy)(H)>
class OwnedHandle : public UniqueHandle<H, OwnedHandle<H, R, Destroy>> {
 public:
  OwnedHandle() = default;
  explicit OwnedHandle(H h) : UniqueHandle<H, OwnedHandle>(h) {}  // takes ownership
  static void destroy(H h) { Destroy(h); }
};

using Stream = OwnedHandle<cudaStream_t, cudaError_t, cudaStreamDestroy>;
using Event = OwnedHandle<cudaEvent_t, cudaError_t, cudaEventDestroy>;
using CudnnHandle = OwnedHandle<cudnnHandle_t, cudnnStatus_t, cudnnDestroy>;
using CublasHandle = OwnedHandle<cublasHandle_t, cublasStatus_t, cublasDestroy>;
using CudaGraph = OwnedHandle<cudaGraph_t, cudaError_t, cudaGraphDestroy>;  // from cudaStreamEndCapture
using GraphExec = OwnedHandle<cudaGraphExec_t, cudaError_t, cudaGraphExecDestroy>;

// A non-blocking stream (no implicit sync with the legacy default stream).
Result<Stream> create_stream();
// Timing disabled: these events only order streams (cheaper record/wait).
Result<Event> create_event();
// Library handles bound to `stream`. cuBLAS keeps CUBLAS_DEFAULT_MATH: no TF32, so
// results agree with the CPU reference (ops pick compute types explicitly anyway).
Result<CudnnHandle> create_cudnn(cudaStream_t stream);
Result<CublasHandle> create_cublas(cudaStream_t stream);
Result<GraphExec> instantiate_graph(cudaGraph_t graph);

// Where a Buffer's memory comes from.
struct DeviceMemory {  // cudaMalloc: long-lived device buffers (workspaces, weights)
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMalloc(p, bytes); }
  static void free(void* p) { cudaFree(p); }
};
struct PinnedMemory {  // page-locked host memory: staging for asynchronous copies
  static cudaError_t allocate(void** p, size_t bytes) { return cudaMallocHost(p, bytes); }
  static void free(void* p) { cudaFreeHost(p); }
};

// An owned block of `Memory` (short-lived device buffers come from DevicePool instead).
template <class Memory>
class Buffer : public UniqueHandle<Allocation, Buffer<Memory>> {
 public:
  Buffer() = default;
  // Empty for 0 bytes; OutOfMemory when the allocation fails for lack of memory.
  static Result<Buffer> create(size_t bytes);
  static void destroy(const Allocation& a) { Memory::free(a.p); }
  void* get() const { return this->h_.p; }
  size_t size() const { return this->h_.bytes; }

 private:
  explicit Buffer(Allocation a) : UniqueHandle<Allocation, Buffer<Memory>>(a) {}
};

using DeviceBuffer = Buffer<DeviceMemory>;
using PinnedBuffer = Buffer<PinnedMemory>;

}  // namespace top::cuda

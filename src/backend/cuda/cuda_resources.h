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

// Shared move semantics: a handle, and a deleter that runs when the handle is set.
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
  explicit operator bool() const { return h_ != H{}; }
  void reset() {
    if (h_ != H{}) Derived::destroy(h_);
    h_ = H{};
  }

 protected:
  explicit UniqueHandle(H h) : h_(h) {}
  H h_{};
};

// A non-blocking stream (no implicit sync with the legacy default stream).
class Stream : public UniqueHandle<cudaStream_t, Stream> {
 public:
  Stream() = default;
  static Result<Stream> create();
  static void destroy(cudaStream_t s) { cudaStreamDestroy(s); }

 private:
  using UniqueHandle::UniqueHandle;
};

// Timing disabled: these events only order streams (cheaper record/wait).
class Event : public UniqueHandle<cudaEvent_t, Event> {
 public:
  Event() = default;
  static Result<Event> create();
  static void destroy(cudaEvent_t e) { cudaEventDestroy(e); }

 private:
  using UniqueHandle::UniqueHandle;
};

// A cuDNN handle bound to one stream.
class CudnnHandle : public UniqueHandle<cudnnHandle_t, CudnnHandle> {
 public:
  CudnnHandle() = default;
  static Result<CudnnHandle> create(cudaStream_t stream);
  static void destroy(cudnnHandle_t h) { cudnnDestroy(h); }

 private:
  using UniqueHandle::UniqueHandle;
};

// A cuBLAS handle bound to one stream. Math mode is CUBLAS_DEFAULT_MATH: no TF32, so
// results agree with the CPU reference (ops pick compute types explicitly anyway).
class CublasHandle : public UniqueHandle<cublasHandle_t, CublasHandle> {
 public:
  CublasHandle() = default;
  static Result<CublasHandle> create(cudaStream_t stream);
  static void destroy(cublasHandle_t h) { cublasDestroy(h); }

 private:
  using UniqueHandle::UniqueHandle;
};

// A captured CUDA graph, and its executable instantiation.
class CudaGraph : public UniqueHandle<cudaGraph_t, CudaGraph> {
 public:
  CudaGraph() = default;
  static CudaGraph adopt(cudaGraph_t g) { return CudaGraph(g); }  // from cudaStreamEndCapture
  static void destroy(cudaGraph_t g) { cudaGraphDestroy(g); }

 private:
  using UniqueHandle::UniqueHandle;
};

class GraphExec : public UniqueHandle<cudaGraphExec_t, GraphExec> {
 public:
  GraphExec() = default;
  static Result<GraphExec> instantiate(cudaGraph_t graph);
  static void destroy(cudaGraphExec_t g) { cudaGraphExecDestroy(g); }

 private:
  using UniqueHandle::UniqueHandle;
};

// Device memory straight from cudaMalloc (long-lived buffers: workspaces, weights;
// short-lived ones come from DevicePool).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  static Result<DeviceBuffer> create(size_t bytes);
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  ~DeviceBuffer() { reset(); }
  void* get() const { return p_; }
  size_t size() const { return bytes_; }
  void reset();

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

// Page-locked host memory: the staging area for asynchronous host<->device copies.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  static Result<PinnedBuffer> create(size_t bytes);
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;
  PinnedBuffer(PinnedBuffer&& o) noexcept : p_(std::exchange(o.p_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}
  PinnedBuffer& operator=(PinnedBuffer&& o) noexcept;
  ~PinnedBuffer() { reset(); }
  void* get() const { return p_; }
  size_t size() const { return bytes_; }
  void reset();

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace top::cuda

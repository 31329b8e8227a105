// Every CUDA, cuDNN and cuBLAS call is checked and turned into a Status that names the
// call, file and line. cudaErrorMemoryAllocation / CUDNN_STATUS_ALLOC_FAILED /
// CUBLAS_STATUS_ALLOC_FAILED become OutOfMemory (an error of the task that asked, not a
// crash); a missing device or driver becomes Unavailable.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "top/status.h"

namespace top::cuda {

Status cuda_status(cudaError_t e, const char* call, const char* file, int line);
Status cudnn_status(cudnnStatus_t e, const char* call, const char* file, int line);
Status cublas_status(cublasStatus_t e, const char* call, const char* file, int line);

}  // namespace top::cuda

#define TOP_CUDA_CHECK(call)                                                              \
  do {                                                                                    \
    cudaError_t top_cuda_e_ = (call);                                                     \
    if (top_cuda_e_ != cudaSuccess) return ::top::cuda::cuda_status(top_cuda_e_, #call, __FILE__, __LINE__); \
  } while (0)

#define TOP_CUDNN_CHECK(call)                                                             \
  do {                                                                                    \
    cudnnStatus_t top_cudnn_e_ = (call);                                                  \
    if (top_cudnn_e_ != CUDNN_STATUS_SUCCESS)                                             \
      return ::top::cuda::cudnn_status(top_cudnn_e_, #call, __FILE__, __LINE__);         \
  } while (0)

#define TOP_CUBLAS_CHECK(call)                                                            \
  do {                                                                                    \
    cublasStatus_t top_cublas_e_ = (call);                                                \
    if (top_cublas_e_ != CUBLAS_STATUS_SUCCESS)                                           \
      return ::top::cuda::cublas_status(top_cublas_e_, #call, __FILE__, __LINE__);        \
  } while (0)

// After a kernel launch from kernels/ (launch errors are reported lazily by CUDA).
#define TOP_CUDA_CHECK_LAUNCH(what) TOP_CUDA_CHECK(cudaGetLastError())

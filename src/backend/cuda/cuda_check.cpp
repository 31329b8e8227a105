#include "backend/cuda/cuda_check.h"

#include <string>

namespace top::cuda {

namespace {

std::string where(const char* call, const char* file, int line) {
  std::string f = file;
  auto slash = f.rfind("/src/");
  if (slash != std::string::npos) f = f.substr(slash + 1);
  return std::string(call) + " (" + f + ":" + std::to_string(line) + ")";
}

}  // namespace

Status cuda_status(cudaError_t e, const char* call, const char* file, int line) {
  // A failed call also leaves its error as the thread's "last error"; reset it, or the
  // next kernel launch check (cudaGetLastError) would report this failure as its own,
  // e.g. after an OutOfMemory the caller recovered from. Sticky errors stay regardless.
  cudaGetLastError();
  std::string msg = where(call, file, line) + " failed: " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e);
  switch (e) {
    case cudaErrorMemoryAllocation:
      return Status(StatusCode::kOutOfMemory, msg);
    case cudaErrorNoDevice:
    case cudaErrorInsufficientDriver:
    case cudaErrorInvalidDevice:
    case cudaErrorDevicesUnavailable:
      return Status(StatusCode::kUnavailable, msg);
    default:
      return Status(StatusCode::kInternal, msg);
  }
}

Status cudnn_status(cudnnStatus_t e, const char* call, const char* file, int line) {
  std::string msg = where(call, file, line) + " failed: " + cudnnGetErrorString(e);
  if (e == CUDNN_STATUS_ALLOC_FAILED) return Status(StatusCode::kOutOfMemory, msg);
  if (e == CUDNN_STATUS_NOT_SUPPORTED) return Status(StatusCode::kUnsupported, msg);
  return Status(StatusCode::kInternal, msg);
}

Status cublas_status(cublasStatus_t e, const char* call, const char* file, int line) {
  std::string msg = where(call, file, line) + " failed: " + cublasGetStatusName(e) + ": " + cublasGetStatusString(e);
  if (e == CUBLAS_STATUS_ALLOC_FAILED) return Status(StatusCode::kOutOfMemory, msg);
  if (e == CUBLAS_STATUS_NOT_SUPPORTED) return Status(StatusCode::kUnsupported, msg);
  return Status(StatusCode::kInternal, msg);
}

}  // namespace top::cuda

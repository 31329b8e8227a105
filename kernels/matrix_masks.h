// Trilu and EyeLike on the device (semantics: src/ops/matrix_masks.cpp).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

namespace top::kernels {

// Trilu over `matrices` matrices of rows x cols elements of esize bytes: keeps the
// elements with col - row >= k (upper) or <= k (lower), zeroes the rest. k is
// *k_device when non-null (the node's k input on the device), else k_host.
cudaError_t trilu(size_t esize, const void* src, void* dst, int64_t matrices, int64_t rows, int64_t cols, bool upper,
                  int64_t k_host, const int64_t* k_device, cudaStream_t stream);

// EyeLike: rows x cols elements of esize bytes, `one` (esize bytes of the element 1)
// where col - row == k, zero elsewhere.
cudaError_t eye_like(size_t esize, void* dst, int64_t rows, int64_t cols, int64_t k, uint64_t one, cudaStream_t stream);

}  // namespace top::kernels

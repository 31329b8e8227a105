#include "backend/cuda/device_pool.h"

#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "backend/cuda/cuda_check.h"

namespace top::cuda {

namespace {

constexpr size_t kSmallGranule = 512;              // up to 1 MiB: powers of two from 512 B
constexpr size_t kLargeGranule = size_t(2) << 20;  // above 1 MiB: multiples of 2 MiB

}  // namespace

size_t DevicePool::size_class(size_t bytes) {
  if (bytes == 0) return 0;
  if (bytes > (size_t(1) << 20)) return (bytes + kLargeGranule - 1) / kLargeGranule * kLargeGranule;
  size_t c = kSmallGranule;
  while (c < bytes) c <<= 1;
  return c;
}

DevicePool::~DevicePool() {
  std::lock_guard<std::mutex> lock(mu_);
  trim_locked();
}

Result<void*> DevicePool::allocate(size_t bytes) {
  const size_t cls = size_class(bytes);
  if (cls == 0) return static_cast<void*>(nullptr);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = free_.find(cls);
  if (it != free_.end() && !it->second.empty()) {
    void* p = it->second.back();
    it->second.pop_back();
    in_use_[p] = cls;
    stats_.in_use_bytes += cls;
    stats_.reuses++;
    return p;
  }
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, cls);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear the sticky-free error state of the runtime
    trim_locked();
    e = cudaMalloc(&p, cls);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    Status st = cuda_status(e, "cudaMalloc", __FILE__, __LINE__);
    if (e == cudaErrorMemoryAllocation)
      return OutOfMemory("device memory pool: cannot allocate " + std::to_string(cls) + " bytes (" +
                         std::to_string(stats_.in_use_bytes) + " bytes in use): " + st.message());
    return st;
  }
  in_use_[p] = cls;
  stats_.held_bytes += cls;
  stats_.in_use_bytes += cls;
  stats_.peak_held_bytes = std::max(stats_.peak_held_bytes, stats_.held_bytes);
  stats_.device_allocations++;
  return p;
}

void DevicePool::release(void* p) {
  if (!p) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = in_use_.find(p);
  if (it == in_use_.end()) return;  // not ours: ignoring beats corrupting the free lists
  free_[it->second].push_back(p);
  stats_.in_use_bytes -= it->second;
  in_use_.erase(it);
}

void DevicePool::trim() {
  std::lock_guard<std::mutex> lock(mu_);
  trim_locked();
}

void DevicePool::trim_locked() {
  for (auto& [cls, blocks] : free_) {
    for (void* p : blocks) {
      cudaFree(p);
      stats_.held_bytes -= cls;
    }
    blocks.clear();
  }
  free_.clear();
}

DevicePoolStats DevicePool::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Result<PoolBlock> PoolBlock::allocate(DevicePool& pool, size_t bytes) {
  TOP_ASSIGN_OR_RETURN(void* p, pool.allocate(bytes));
  if (p == nullptr) return PoolBlock();  // 0 bytes
  return PoolBlock(PoolAllocation{&pool, p, bytes});
}

}  // namespace top::cuda

// DevicePool: a thread-safe caching allocator for device memory.
//
// cudaMalloc/cudaFree are slow and cudaFree synchronises the whole device, so buffers
// that come and go with tasks (activation arenas, input and output buffers) are kept
// on free lists by size class and handed out again. A miss calls cudaMalloc; when the
// device is full, every cached block is freed and the allocation retried once before
// the caller gets OutOfMemory. Blocks go back to the pool only when no queued GPU work
// uses them any more (callers synchronise first): the pool does not track streams.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include "backend/cuda/cuda_resources.h"
#include "top/status.h"

namespace top::cuda {

struct DevicePoolStats {
  size_t held_bytes = 0;    // everything obtained from cudaMalloc and not yet freed
  size_t in_use_bytes = 0;  // handed out and not yet returned
  size_t peak_held_bytes = 0;
  int64_t device_allocations = 0;  // cudaMalloc calls (misses)
  int64_t reuses = 0;              // requests served from the free lists
};

class DevicePool {
 public:
  DevicePool() = default;
  DevicePool(const DevicePool&) = delete;
  DevicePool& operator=(const DevicePool&) = delete;
  ~DevicePool();  // frees every cached block (blocks still handed out are leaked to the driver's teardown)

  // At least `bytes` (rounded up to the size class); null for 0 bytes.
  Result<void*> allocate(size_t bytes);
  // Returns a block from allocate(); null is ignored.
  void release(void* p);
  // Frees every cached (unused) block back to the driver.
  void trim();
  DevicePoolStats stats() const;

  // The size class `bytes` is rounded to (exposed for tests).
  static size_t size_class(size_t bytes);

 private:
  void trim_locked();

  mutable std::mutex mu_;
  std::map<size_t, std::vector<void*>> free_;    // size class -> cached blocks
  std::unordered_map<void*, size_t> in_use_;     // block -> size class
  DevicePoolStats stats_;
};

// A block of a DevicePool and its pool.
struct PoolAllocation {
  DevicePool* pool = nullptr;
  void* p = nullptr;
  size_t bytes = 0;
  bool operator==(const PoolAllocation& o) const { return pool == o.pool && p == o.p && bytes == o.bytes; }
};

// A block of a DevicePool, returned on destruction.
class PoolBlock : public UniqueHandle<PoolAllocation, PoolBlock> {
 public:
  PoolBlock() = default;
  static Result<PoolBlock> allocate(DevicePool& pool, size_t bytes);
  static void destroy(const PoolAllocation& a) { a.pool->release(a.p); }
  void* get() const { return h_.p; }
  size_t size() const { return h_.bytes; }

 private:
  using UniqueHandle::UniqueHandle;
};

}  // namespace top::cuda

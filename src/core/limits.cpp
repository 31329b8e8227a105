#include "top/limits.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>

namespace top {

namespace {

std::atomic<size_t> g_limit{0};  // 0: the default

size_t default_limit() {
  static const size_t bytes = [] {
    // A strict parse: a malformed value is ignored rather than read as a prefix.
    if (const char* env = std::getenv("TOP_MAX_ALLOCATION_BYTES")) {
      errno = 0;
      char* end = nullptr;
      unsigned long long v = std::strtoull(env, &end, 10);
      if (errno == 0 && end != env && *end == '\0' && env[0] != '-' && v > 0) return static_cast<size_t>(v);
    }
    return physical_memory_bytes() / 2;
  }();
  return bytes;
}

}  // namespace

size_t physical_memory_bytes() {
  static const size_t bytes = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<size_t>(pages) * static_cast<size_t>(page) : size_t(64) << 30;
  }();
  return bytes;
}

size_t max_allocation_bytes() {
  size_t v = g_limit.load(std::memory_order_relaxed);
  return v ? v : default_limit();
}

void set_max_allocation_bytes(size_t bytes) { g_limit.store(bytes, std::memory_order_relaxed); }

Result<size_t> checked_tensor_bytes(DataType dtype, const Shape& shape, const std::string& what) {
  if (dtype == DataType::kUndefined) return InvalidArgument(what + " has no element type");
  size_t bytes = dtype_size(dtype);
  bool zero = false;
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument(what + " has a negative dimension " + shape_str(shape));
    if (d == 0) zero = true;
  }
  if (zero) return size_t(0);
  for (int64_t d : shape) {
    if (__builtin_mul_overflow(bytes, static_cast<size_t>(d), &bytes))
      return InvalidArgument(what + " of shape " + shape_str(shape) + " has more elements than fit in 64 bits");
  }
  if (bytes > static_cast<size_t>(INT64_MAX))
    return InvalidArgument(what + " of shape " + shape_str(shape) + " has more elements than fit in 64 bits");
  if (bytes > max_allocation_bytes())
    return OutOfMemory(what + " of shape " + shape_str(shape) + " needs " + std::to_string(bytes) +
                       " bytes, over the allocation limit of " + std::to_string(max_allocation_bytes()) +
                       " bytes (top::set_max_allocation_bytes, TOP_MAX_ALLOCATION_BYTES)");
  return bytes;
}

}  // namespace top

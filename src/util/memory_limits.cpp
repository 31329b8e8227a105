#include "util/memory_limits.h"

#include <unistd.h>

#include <algorithm>

namespace top {

double physical_memory_bytes() {
  static const double bytes = [] {
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 64.0 * (1ull << 30);
  }();
  return bytes;
}

double max_allocation_bytes() { return std::min(physical_memory_bytes() / 2, 64.0 * (1ull << 30)); }

}  // namespace top

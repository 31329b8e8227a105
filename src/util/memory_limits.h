// Limits that turn absurd allocation requests (corrupt models, hostile inputs) into
// errors before the OOM killer sees them.
#pragma once

#include <cstddef>

namespace top {

// Physical memory of this machine in bytes (64 GiB when it cannot be read).
double physical_memory_bytes();
// The largest single tensor or arena we agree to allocate: half the physical memory.
double max_allocation_bytes();

}  // namespace top

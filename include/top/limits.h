// Limits: the sizes this library refuses, so that a hostile or corrupt model file, .npy
// header or caller-chosen shape ends in a Status instead of an allocation bomb.
//
// Every allocation whose size comes from outside (a tensor's declared shape, an arena,
// a batch size) is checked against max_allocation_bytes() *before* anything is
// allocated or zeroed, with overflow-safe arithmetic.
//
//   top::set_max_allocation_bytes(size_t(8) << 30);   // refuse tensors over 8 GiB
//
// The default is half of this machine's physical memory; the environment variable
// TOP_MAX_ALLOCATION_BYTES (a plain decimal byte count), read once, overrides it.
//
// Thread safety: the limit is an atomic; set it before loading models.
#pragma once

#include <cstddef>

#include "top/status.h"
#include "top/tensor.h"

namespace top {

// Physical memory of this machine in bytes (64 GiB when it cannot be read).
size_t physical_memory_bytes();
// The largest single tensor or arena the library agrees to allocate.
size_t max_allocation_bytes();
// Sets that limit; 0 restores the default.
void set_max_allocation_bytes(size_t bytes);

// Bytes of a dense tensor of `shape` and `dtype`: InvalidArgument for a negative
// dimension, an undefined dtype or a product that overflows; OutOfMemory when it
// exceeds max_allocation_bytes(). `what` names the tensor in the message.
Result<size_t> checked_tensor_bytes(DataType dtype, const Shape& shape, const std::string& what = "tensor");

}  // namespace top

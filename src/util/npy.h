// Reading and writing NumPy .npy files (format 1.0 written; 1.0/2.0/3.0 read; C order,
// little-endian), the exchange format of `toprt run` and of the test reference data.
//
// The reader treats every byte as hostile: the header is parsed strictly (the three
// keys of the format and nothing else, whole-token integers, no negative or overflowing
// dimensions), and the size the header declares is checked against the bytes actually
// there and against top::max_allocation_bytes() before anything is allocated, so a
// 100-byte file declaring 10 GB is refused at once. Nothing throws.
#pragma once

#include <cstddef>
#include <string>

#include "top/status.h"
#include "top/tensor.h"

namespace top::npy {

// What a header says: element type, shape, and the offset of the first data byte.
struct Header {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  size_t data_offset = 0;
};

// The header at the start of `data` (only its first bytes are needed: the magic, the
// length field and the header itself). `what` names the source in messages.
Result<Header> parse_header(const void* data, size_t size, const std::string& what = ".npy buffer");

// A whole .npy image in memory: the header, then exactly the bytes it declares.
Result<Tensor> parse(const void* data, size_t size, const std::string& what = ".npy buffer");

// A .npy file. Only regular files are read (a FIFO or device is refused without
// blocking); the data must be exactly as long as the header declares.
Result<Tensor> load(const std::string& path);

// Writes `t` (a defined tensor of a dtype listed above) in format 1.0.
Status save(const std::string& path, const Tensor& t);

// File-name form of a tensor name: characters outside [A-Za-z0-9_.-] become '_'.
std::string file_stem(const std::string& tensor_name);

}  // namespace top::npy

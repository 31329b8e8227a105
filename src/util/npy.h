// Reading and writing NumPy .npy files (format 1.0/2.0, C order, little-endian),
// the exchange format of `toprt run` and of the test reference data.
#pragma once

#include <string>

#include "top/status.h"
#include "top/tensor.h"

namespace top::npy {

Result<Tensor> load(const std::string& path);
Status save(const std::string& path, const Tensor& t);

// File-name form of a tensor name: characters outside [A-Za-z0-9_.-] become '_'.
std::string file_stem(const std::string& tensor_name);

}  // namespace top::npy

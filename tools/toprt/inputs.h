// Input tensors for `toprt`: loaded from .npy files or generated at random from the
// model's declared input types, with symbolic dims set from --batch / --dim.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "top/model.h"

namespace toprt {

struct InputSpec {
  std::map<std::string, std::string> files;  // input name -> .npy path
  int64_t batch = 1;
  std::map<std::string, int64_t> dims;       // symbolic dim name -> value
  uint64_t seed = 0;
};

// The concrete shape of a declared input: symbolic dims from `dims`, dim 0 from
// `batch`, any other unknown dim 1.
top::Shape concrete_shape(const top::TensorInfo& info, const InputSpec& spec);

top::Result<std::vector<top::Tensor>> make_inputs(const top::Model& model, const InputSpec& spec);

// "name=value" -> (name, value); InvalidArgument when there is no '='.
top::Result<std::pair<std::string, std::string>> split_assignment(const std::string& s);

}  // namespace toprt

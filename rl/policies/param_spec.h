// The name and shape of one network parameter: what a checkpoint stores, what the
// Torch modules of rl/nets register and what the plain forward passes of rl/policies
// index, in one agreed order per network.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace top::rl {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t size() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace top::rl

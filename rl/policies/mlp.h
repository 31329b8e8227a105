// A small multi-layer perceptron, forward pass in plain C++: the actors of the learned
// launcher and scheduler (rl/policies/top_agents.h). relu between layers, none after the
// last. Parameters "<prefix>.l<i>.w" [out, in] and "<prefix>.l<i>.b" [out], in layer
// order (mlp_parameter_specs); rl/nets' Torch actor registers exactly these.
//
// Thread safety: forward() is const and allocation-free given the caller's scratch; one
// Mlp may be shared by threads that each bring their own scratch.
#pragma once

#include <string>
#include <vector>

#include "rl/policies/param_spec.h"
#include "top/status.h"

namespace top::rl {

// sizes = {inputs, hidden..., outputs}, at least two entries.
std::vector<ParamSpec> mlp_parameter_specs(const std::string& prefix, const std::vector<int>& sizes);

class Mlp {
 public:
  // `params` in mlp_parameter_specs(prefix, sizes) order, each of its size.
  static Result<Mlp> create(std::vector<int> sizes, std::vector<std::vector<float>> params);
  int inputs() const { return sizes_.front(); }
  int outputs() const { return sizes_.back(); }
  const std::vector<int>& sizes() const { return sizes_; }
  const std::vector<std::vector<float>>& params() const { return params_; }
  // out[0..outputs) from in[0..inputs); `scratch` grows as needed.
  void forward(const float* in, float* out, std::vector<float>& scratch) const;

 private:
  std::vector<int> sizes_;
  std::vector<std::vector<float>> params_;      // mlp_parameter_specs order
  std::vector<std::vector<float>> transposed_;  // per layer, its weight as [in][out]
};

}  // namespace top::rl

// The GPG policy network as a torch::nn::Module, for training: the same parameters
// (names, shapes, order: rl::gpg_parameter_specs) and the same arithmetic as the
// Torch-free forward pass in rl/policies/gpg_network.h, which is what runs after
// training. Rollouts happen there (fast, thread-parallel); here the recorded decisions
// are replayed in one batched pass to get their log-probabilities with gradients.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "rl/policies/gpg_network.h"

namespace top::rl {

class GpgNetImpl : public torch::nn::Module {
 public:
  explicit GpgNetImpl(const GpgDims& dims, uint64_t seed);

  struct Encoded {
    torch::Tensor h;      // [N, hidden]
    torch::Tensor graph;  // [2 * hidden]
    torch::Tensor proj;   // [N + 1, head]; row N: close
  };
  Encoded encode(const GraphFeatures& f);

  struct Replayed {
    torch::Tensor log_prob;  // [decisions]: of the chosen candidate
    torch::Tensor entropy;   // [decisions]
  };
  Replayed replay(const Encoded& e, const std::vector<Decision>& decisions);

  // The parameters as plain vectors (gpg_parameter_specs order), and back.
  std::vector<std::vector<float>> export_params() const;
  void import_params(const std::vector<std::vector<float>>& params);
  // A Torch-free network with the current parameters.
  Result<GpgNetwork> snapshot() const;
  const GpgDims& dims() const { return dims_; }

 private:
  GpgDims dims_;
  std::vector<torch::Tensor> params_;  // gpg_parameter_specs order
};
TORCH_MODULE(GpgNet);

}  // namespace top::rl

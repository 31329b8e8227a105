// The Torch side of the learned launcher and scheduler, for MADDPG training
// (rl/train/maddpg_trainer.h): the actors as modules with the parameters of
// rl/policies/mlp.h (names, shapes, order, arithmetic), and the centralised critics.
//
// Batches are padded to kPadModels models with a mask [B, kPadModels] (1 = a model).
// Critic (one per agent, as MADDPG has it; both see everything):
//   x_m  = [actor context_m ; launch one-hot_m ; schedule one-hot_m]
//   e_m  = relu(W2 relu(W1 x_m + b1) + b2)                       shared across models
//   Q    = w4 . relu(W3 [masked mean_m e_m ; masked max_m e_m] + b3) + b4
// so it takes any number of models and is invariant to their order.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "rl/policies/mlp.h"
#include "rl/policies/top_agents.h"

namespace top::rl {

constexpr int kPadModels = 4;

// An MLP with Mlp's parameters (mlp_parameter_specs(prefix, sizes)).
class TorchMlpImpl : public torch::nn::Module {
 public:
  TorchMlpImpl(const std::string& prefix, std::vector<int> sizes, double last_layer_scale);
  torch::Tensor forward(torch::Tensor x);  // [..., inputs] -> [..., outputs]
  std::vector<std::vector<float>> export_params() const;
  void import_params(const std::vector<std::vector<float>>& params);
  const std::vector<int>& sizes() const { return sizes_; }

 private:
  std::vector<int> sizes_;
  std::vector<torch::Tensor> params_;  // w0, b0, w1, b1, ...
};
TORCH_MODULE(TorchMlp);

class CriticImpl : public torch::nn::Module {
 public:
  CriticImpl(int per_model_inputs, int hidden);
  // x [B, kPadModels, per_model_inputs], mask [B, kPadModels] -> Q [B]
  torch::Tensor forward(torch::Tensor x, torch::Tensor mask);

 private:
  torch::nn::Linear l1_{nullptr}, l2_{nullptr}, l3_{nullptr}, l4_{nullptr};
};
TORCH_MODULE(Critic);

// Per head of `heads` (consecutive blocks of the last dim): a straight-through
// Gumbel-softmax sample (hard one-hot forward, soft gradient) or, with `greedy`, the
// argmax one-hot (no gradient).
torch::Tensor heads_one_hot(torch::Tensor logits, const std::vector<int>& heads, bool greedy, double tau = 1.0);

// Copies `from`'s parameters into `to` with weight `tau` (1 = hard copy).
void soft_update(torch::nn::Module& to, const torch::nn::Module& from, double tau);

}  // namespace top::rl

#include "rl/nets/agent_nets.h"

#include <cmath>

namespace top::rl {

TorchMlpImpl::TorchMlpImpl(const std::string& prefix, std::vector<int> sizes, double last_layer_scale)
    : sizes_(std::move(sizes)) {
  const std::vector<ParamSpec> specs = mlp_parameter_specs(prefix, sizes_);
  for (size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& s = specs[i];
    torch::Tensor t;
    if (s.shape.size() == 2) {
      double bound = 1.0 / std::sqrt(static_cast<double>(s.shape[1]));
      if (i + 2 == specs.size()) bound *= last_layer_scale;  // near-uniform first policy
      t = torch::empty(s.shape).uniform_(-bound, bound);
    } else {
      t = torch::zeros(s.shape);
    }
    std::string name = s.name;
    for (char& c : name)
      if (c == '.') c = '_';  // torch parameter names cannot hold dots
    params_.push_back(register_parameter(name, t));
  }
}

torch::Tensor TorchMlpImpl::forward(torch::Tensor x) {
  const size_t layers = params_.size() / 2;
  for (size_t l = 0; l < layers; ++l) {
    x = torch::matmul(x, params_[2 * l].t()) + params_[2 * l + 1];
    if (l + 1 < layers) x = torch::relu(x);
  }
  return x;
}

std::vector<std::vector<float>> TorchMlpImpl::export_params() const {
  std::vector<std::vector<float>> out;
  for (const torch::Tensor& p : params_) {
    torch::Tensor c = p.detach().contiguous();
    out.emplace_back(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

void TorchMlpImpl::import_params(const std::vector<std::vector<float>>& params) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size() && i < params.size(); ++i)
    params_[i].copy_(torch::from_blob(const_cast<float*>(params[i].data()), params_[i].sizes(), torch::kFloat32));
}

CriticImpl::CriticImpl(int per_model_inputs, int hidden) {
  l1_ = register_module("l1", torch::nn::Linear(per_model_inputs, hidden));
  l2_ = register_module("l2", torch::nn::Linear(hidden, hidden));
  l3_ = register_module("l3", torch::nn::Linear(2 * hidden, hidden));
  l4_ = register_module("l4", torch::nn::Linear(hidden, 1));
}

torch::Tensor CriticImpl::forward(torch::Tensor x, torch::Tensor mask) {
  auto e = torch::relu(l2_(torch::relu(l1_(x))));  // [B, M, H]
  auto m = mask.unsqueeze(-1);                       // [B, M, 1]
  auto mean = (e * m).sum(1) / m.sum(1).clamp_min(1);
  auto mx = std::get<0>((e + (m - 1) * 1e4).max(1));  // padded models never win the max
  return l4_(torch::relu(l3_(torch::cat({mean, mx}, -1)))).squeeze(-1);
}

torch::Tensor heads_one_hot(torch::Tensor logits, const std::vector<int>& heads, bool greedy, double tau) {
  std::vector<torch::Tensor> parts;
  int64_t off = 0;
  for (int n : heads) {
    auto h = logits.narrow(-1, off, n);
    if (greedy)
      parts.push_back(torch::one_hot(h.argmax(-1), n).to(torch::kFloat32));
    else
      parts.push_back(torch::nn::functional::gumbel_softmax(
          h, torch::nn::functional::GumbelSoftmaxFuncOptions().tau(tau).hard(true).dim(-1)));
    off += n;
  }
  return torch::cat(parts, -1);
}

void soft_update(torch::nn::Module& to, const torch::nn::Module& from, double tau) {
  torch::NoGradGuard no_grad;
  auto dst = to.parameters();
  auto src = from.parameters();
  for (size_t i = 0; i < dst.size() && i < src.size(); ++i) dst[i].mul_(1 - tau).add_(src[i], tau);
}

}  // namespace top::rl

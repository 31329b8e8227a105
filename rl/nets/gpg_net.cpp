#include "rl/nets/gpg_net.h"

#include <cmath>

namespace top::rl {

GpgNetImpl::GpgNetImpl(const GpgDims& dims, uint64_t seed) : dims_(dims) {
  torch::manual_seed(seed);
  const auto specs = gpg_parameter_specs(dims);
  const int hb = gpg_head_param(dims);
  for (size_t i = 0; i < specs.size(); ++i) {
    const ParamSpec& s = specs[i];
    torch::Tensor t;
    if (s.shape.size() == 2) {
      // Linear-layer initialisation: uniform in +-1/sqrt(fan-in).
      const double bound = 1.0 / std::sqrt(static_cast<double>(s.shape[1]));
      t = torch::empty(s.shape).uniform_(-bound, bound);
    } else if (static_cast<int>(i) == hb + 5) {
      // The output weights start small so the first policy is close to uniform and
      // exploration starts wide.
      t = torch::empty(s.shape).uniform_(-0.1, 0.1);
    } else {
      t = torch::zeros(s.shape);
    }
    params_.push_back(register_parameter(s.name, t));
  }
}

GpgNetImpl::Encoded GpgNetImpl::encode(const GraphFeatures& f) {
  const int64_t n = f.num_nodes, H = dims_.hidden;
  // Cloned so no tensor of the autograd graph points into `f`.
  auto node = torch::from_blob(const_cast<float*>(f.node.data()), {n, kOpFeatures}, torch::kFloat32).clone();
  auto dev = torch::from_blob(const_cast<float*>(f.device.data()), {1, kDeviceFeatures}, torch::kFloat32).clone();
  auto x = torch::cat({node, dev.expand({n, kDeviceFeatures})}, 1);
  auto h = torch::relu(torch::addmm(params_[1], x, params_[0].t()));
  std::vector<int64_t> src(f.edge_src.begin(), f.edge_src.end()), dst(f.edge_dst.begin(), f.edge_dst.end());
  auto s = torch::tensor(src, torch::kInt64), d = torch::tensor(dst, torch::kInt64);
  auto ones = torch::ones({static_cast<int64_t>(src.size()), 1});
  auto indeg = torch::zeros({n, 1}).index_add(0, d, ones).clamp_min(1);
  auto outdeg = torch::zeros({n, 1}).index_add(0, s, ones).clamp_min(1);
  for (int l = 0; l < dims_.layers; ++l) {
    const int b = gpg_layer_param(l);
    auto mp = torch::zeros({n, H}).index_add(0, d, h.index_select(0, s)) / indeg;
    auto ms = torch::zeros({n, H}).index_add(0, s, h.index_select(0, d)) / outdeg;
    auto a = torch::addmm(params_[b + 3], h, params_[b].t()) + mp.matmul(params_[b + 1].t()) +
             ms.matmul(params_[b + 2].t());
    h = h + torch::relu(a);
  }
  Encoded e;
  e.h = h;
  e.graph = torch::cat({h.mean(0), std::get<0>(h.max(0))});
  const int hb = gpg_head_param(dims_);
  auto common = params_[hb + 3] + params_[hb + 1].matmul(e.graph);
  auto proj = h.matmul(params_[hb].t()) + common;
  e.proj = torch::cat({proj, (params_[hb + 4] + common).unsqueeze(0)}, 0);
  return e;
}

GpgNetImpl::Replayed GpgNetImpl::replay(const Encoded& e, const std::vector<Decision>& decisions) {
  const int64_t n = e.proj.size(0) - 1;
  int64_t total = 0, widest = 1;
  for (const Decision& d : decisions) {
    total += static_cast<int64_t>(d.nodes.size());
    widest = std::max<int64_t>(widest, static_cast<int64_t>(d.nodes.size()));
  }
  std::vector<int64_t> rows, slots, chosen;
  std::vector<float> feats;
  rows.reserve(total);
  slots.reserve(total);
  feats.reserve(static_cast<size_t>(total) * kStepFeatures);
  for (size_t i = 0; i < decisions.size(); ++i) {
    const Decision& d = decisions[i];
    for (size_t c = 0; c < d.nodes.size(); ++c) {
      rows.push_back(d.nodes[c] == Candidate::kClose ? n : d.nodes[c]);
      slots.push_back(static_cast<int64_t>(i) * widest + static_cast<int64_t>(c));
    }
    feats.insert(feats.end(), d.features.begin(), d.features.end());
    chosen.push_back(d.chosen);
  }
  const int hb = gpg_head_param(dims_);
  // Cloned: autograd keeps `feat` for the backward pass, after `feats` is gone.
  auto feat = torch::from_blob(feats.data(), {total, kStepFeatures}, torch::kFloat32).clone();
  auto a = torch::relu(e.proj.index_select(0, torch::tensor(rows, torch::kInt64)) + feat.matmul(params_[hb + 2].t()));
  auto scores = a.matmul(params_[hb + 5]) + params_[hb + 6];
  const int64_t nd = static_cast<int64_t>(decisions.size());
  auto padded = torch::full({nd * widest}, -1e30f).index_put({torch::tensor(slots, torch::kInt64)}, scores);
  auto logp = torch::log_softmax(padded.view({nd, widest}), 1);
  auto mask = torch::zeros({nd * widest}).index_put_({torch::tensor(slots, torch::kInt64)}, torch::ones({total}));
  auto p = logp.exp() * mask.view({nd, widest});
  Replayed r;
  r.log_prob = logp.gather(1, torch::tensor(chosen, torch::kInt64).unsqueeze(1)).squeeze(1);
  r.entropy = -(p * logp).sum(1);
  return r;
}

std::vector<std::vector<float>> GpgNetImpl::export_params() const {
  std::vector<std::vector<float>> out;
  for (const auto& p : params_) {
    auto c = p.detach().contiguous();
    out.emplace_back(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

void GpgNetImpl::import_params(const std::vector<std::vector<float>>& params) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size() && i < params.size(); ++i) {
    auto src = torch::from_blob(const_cast<float*>(params[i].data()), params_[i].sizes(), torch::kFloat32);
    params_[i].copy_(src);
  }
}

Result<GpgNetwork> GpgNetImpl::snapshot() const { return GpgNetwork::create(dims_, export_params()); }

}  // namespace top::rl

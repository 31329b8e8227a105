#include "rl/policies/mlp.h"

#include <algorithm>

namespace top::rl {

std::vector<ParamSpec> mlp_parameter_specs(const std::string& prefix, const std::vector<int>& sizes) {
  std::vector<ParamSpec> out;
  for (size_t l = 0; l + 1 < sizes.size(); ++l) {
    const std::string base = prefix + ".l" + std::to_string(l);
    out.push_back({base + ".w", {sizes[l + 1], sizes[l]}});
    out.push_back({base + ".b", {sizes[l + 1]}});
  }
  return out;
}

Result<Mlp> Mlp::create(std::vector<int> sizes, std::vector<std::vector<float>> params) {
  if (sizes.size() < 2) return InvalidArgument("mlp: needs at least an input and an output size");
  for (int s : sizes)
    if (s < 1 || s > 4096) return InvalidArgument("mlp: layer size " + std::to_string(s) + " out of range [1, 4096]");
  const std::vector<ParamSpec> specs = mlp_parameter_specs("mlp", sizes);
  if (params.size() != specs.size())
    return InvalidArgument("mlp: " + std::to_string(params.size()) + " parameters, expected " +
                           std::to_string(specs.size()));
  for (size_t i = 0; i < specs.size(); ++i)
    if (static_cast<int64_t>(params[i].size()) != specs[i].size())
      return InvalidArgument("mlp: parameter " + std::to_string(i) + " has " + std::to_string(params[i].size()) +
                             " values, expected " + std::to_string(specs[i].size()));
  Mlp m;
  m.sizes_ = std::move(sizes);
  m.params_ = std::move(params);
  for (size_t l = 0; l + 1 < m.sizes_.size(); ++l) {
    const int n_in = m.sizes_[l], n_out = m.sizes_[l + 1];
    std::vector<float> t(static_cast<size_t>(n_in) * n_out);
    for (int o = 0; o < n_out; ++o)
      for (int i = 0; i < n_in; ++i) t[static_cast<size_t>(i) * n_out + o] = m.params_[2 * l][static_cast<size_t>(o) * n_in + i];
    m.transposed_.push_back(std::move(t));
  }
  return m;
}

void Mlp::forward(const float* in, float* out, std::vector<float>& scratch) const {
  int widest = 0;
  for (int s : sizes_) widest = std::max(widest, s);
  scratch.resize(2 * static_cast<size_t>(widest));
  float* a = scratch.data();
  float* b = scratch.data() + widest;
  std::copy(in, in + sizes_[0], a);
  const size_t layers = sizes_.size() - 1;
  for (size_t l = 0; l < layers; ++l) {
    const int n_in = sizes_[l], n_out = sizes_[l + 1];
    const float* wt = transposed_[l].data();  // [in][out]: the inner loop runs over outputs and vectorises
    float* dst = l + 1 == layers ? out : b;
    std::copy_n(params_[2 * l + 1].data(), n_out, dst);
    for (int i = 0; i < n_in; ++i) {
      const float x = a[i];
      const float* row = wt + static_cast<size_t>(i) * n_out;
      for (int o = 0; o < n_out; ++o) dst[o] += row[o] * x;
    }
    if (l + 1 != layers)
      for (int o = 0; o < n_out; ++o) dst[o] = std::max(dst[o], 0.0f);
    std::swap(a, b);
  }
}

}  // namespace top::rl

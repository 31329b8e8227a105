#include "rl/policies/gpg_network.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rl/features/fnv1a.h"

namespace top::rl {

namespace {

// y[o] += sum_i W[o][i] x[i]  (W row-major, out x in)
void mat_vec_add(const float* w, const float* x, int out, int in, float* y) {
  for (int o = 0; o < out; ++o) {
    const float* row = w + static_cast<size_t>(o) * in;
    float acc = 0;
    for (int i = 0; i < in; ++i) acc += row[i] * x[i];
    y[o] += acc;
  }
}

// The mean of the rows `ids` of h (width `w`) into out; zeros when ids is empty.
void mean_rows(const std::vector<float>& h, const std::vector<int>& ids, int w, float* out) {
  std::fill(out, out + w, 0.0f);
  if (ids.empty()) return;
  for (int id : ids) {
    const float* r = h.data() + static_cast<size_t>(id) * w;
    for (int i = 0; i < w; ++i) out[i] += r[i];
  }
  const float inv = 1.0f / static_cast<float>(ids.size());
  for (int i = 0; i < w; ++i) out[i] *= inv;
}

}  // namespace

std::vector<ParamSpec> gpg_parameter_specs(const GpgDims& d) {
  const int64_t H = d.hidden, D = d.head;
  std::vector<ParamSpec> p = {{"input_w", {H, kGpgInputs}}, {"input_b", {H}}};
  for (int l = 0; l < d.layers; ++l) {
    const std::string L = "layer" + std::to_string(l);
    p.push_back({L + "_self", {H, H}});
    p.push_back({L + "_pred", {H, H}});
    p.push_back({L + "_succ", {H, H}});
    p.push_back({L + "_b", {H}});
  }
  p.push_back({"head_node", {D, H}});
  p.push_back({"head_graph", {D, 2 * H}});
  p.push_back({"head_step", {D, kStepFeatures}});
  p.push_back({"head_b", {D}});
  p.push_back({"head_close", {D}});
  p.push_back({"out_w", {D}});
  p.push_back({"out_b", {1}});
  return p;
}

uint64_t gpg_schema_hash() {
  uint64_t h = fnv1a_field("gpg-v1", feature_schema_hash());
  h = fnv1a_field(std::to_string(kStepFeatures) + "/ready<=" + std::to_string(kMaxReadyCandidates), h);
  for (const auto& n : step_feature_names()) h = fnv1a_field(n, h);
  return h;
}

Result<GpgNetwork> GpgNetwork::create(const GpgDims& dims, std::vector<std::vector<float>> params) {
  if (dims.hidden < 1 || dims.hidden > 1024 || dims.head < 1 || dims.head > 1024 || dims.layers < 0 ||
      dims.layers > 16)
    return InvalidArgument("gpg network: dims hidden " + std::to_string(dims.hidden) + ", head " +
                           std::to_string(dims.head) + ", layers " + std::to_string(dims.layers) + " out of range");
  const auto specs = gpg_parameter_specs(dims);
  if (params.size() != specs.size())
    return InvalidArgument("gpg network: " + std::to_string(params.size()) + " parameter tensors, expected " +
                           std::to_string(specs.size()));
  for (size_t i = 0; i < specs.size(); ++i) {
    if (static_cast<int64_t>(params[i].size()) != specs[i].size())
      return InvalidArgument("gpg network: parameter '" + specs[i].name + "' has " + std::to_string(params[i].size()) +
                             " values, expected " + std::to_string(specs[i].size()));
    for (float v : params[i])
      if (!std::isfinite(v)) return InvalidArgument("gpg network: parameter '" + specs[i].name + "' is not finite");
  }
  GpgNetwork net;
  net.dims_ = dims;
  net.params_ = std::move(params);
  return net;
}

Result<GpgEmbedding> GpgNetwork::encode(const GraphFeatures& f) const {
  const int n = f.num_nodes, H = dims_.hidden, D = dims_.head;
  if (n < 0 || f.node.size() != static_cast<size_t>(n) * kOpFeatures || f.device.size() != kDeviceFeatures)
    return InvalidArgument("gpg network: graph features of inconsistent size");
  // Adjacency from the edge list (TaskGraph node ids).
  std::vector<std::vector<int>> preds(n), succs(n);
  for (size_t e = 0; e < f.edge_src.size(); ++e) {
    const int s = f.edge_src[e], t = f.edge_dst[e];
    if (s < 0 || s >= n || t < 0 || t >= n) return InvalidArgument("gpg network: edge out of range");
    preds[t].push_back(s);
    succs[s].push_back(t);
  }
  GpgEmbedding e;
  e.num_nodes = n;
  e.h.assign(static_cast<size_t>(n) * H, 0.0f);
  std::vector<float> x(kGpgInputs);
  for (int i = 0; i < n; ++i) {
    std::copy_n(f.node.begin() + static_cast<size_t>(i) * kOpFeatures, kOpFeatures, x.begin());
    std::copy(f.device.begin(), f.device.end(), x.begin() + kOpFeatures);
    float* hi = e.h.data() + static_cast<size_t>(i) * H;
    std::copy(params_[1].begin(), params_[1].end(), hi);
    mat_vec_add(params_[0].data(), x.data(), H, kGpgInputs, hi);
    for (int j = 0; j < H; ++j) hi[j] = std::max(0.0f, hi[j]);
  }
  std::vector<float> next(e.h.size()), mp(H), ms(H), a(H);
  for (int l = 0; l < dims_.layers; ++l) {
    const int b = gpg_layer_param(l);
    for (int i = 0; i < n; ++i) {
      const float* hi = e.h.data() + static_cast<size_t>(i) * H;
      mean_rows(e.h, preds[i], H, mp.data());
      mean_rows(e.h, succs[i], H, ms.data());
      std::copy(params_[b + 3].begin(), params_[b + 3].end(), a.begin());
      mat_vec_add(params_[b].data(), hi, H, H, a.data());
      mat_vec_add(params_[b + 1].data(), mp.data(), H, H, a.data());
      mat_vec_add(params_[b + 2].data(), ms.data(), H, H, a.data());
      float* out = next.data() + static_cast<size_t>(i) * H;
      for (int j = 0; j < H; ++j) out[j] = hi[j] + std::max(0.0f, a[j]);
    }
    e.h.swap(next);
  }
  e.graph.assign(2 * H, 0.0f);
  if (n > 0) std::fill(e.graph.begin() + H, e.graph.end(), -std::numeric_limits<float>::infinity());
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < H; ++j) {
      const float v = e.h[static_cast<size_t>(i) * H + j];
      e.graph[j] += v / static_cast<float>(n);
      e.graph[H + j] = std::max(e.graph[H + j], v);
    }
  // Per-graph part of the scorer: W_graph graph + b, then + W_node h_u (or + v_close).
  const int hb = gpg_head_param(dims_);
  std::vector<float> common(params_[hb + 3]);
  mat_vec_add(params_[hb + 1].data(), e.graph.data(), D, 2 * H, common.data());
  e.proj.resize(static_cast<size_t>(n + 1) * D);
  for (int i = 0; i < n; ++i) {
    float* p = e.proj.data() + static_cast<size_t>(i) * D;
    std::copy(common.begin(), common.end(), p);
    mat_vec_add(params_[hb].data(), e.h.data() + static_cast<size_t>(i) * H, D, H, p);
  }
  float* pc = e.proj.data() + static_cast<size_t>(n) * D;
  for (int j = 0; j < D; ++j) pc[j] = common[j] + params_[hb + 4][j];
  return e;
}

double GpgNetwork::score(const GpgEmbedding& e, const Candidate& c) const {
  const int D = dims_.head;
  const int hb = gpg_head_param(dims_);
  const int row = c.node == Candidate::kClose ? e.num_nodes : c.node;
  const float* p = e.proj.data() + static_cast<size_t>(row) * D;
  const float* ws = params_[hb + 2].data();
  const float* wo = params_[hb + 5].data();
  double s = params_[hb + 6][0];
  for (int o = 0; o < D; ++o) {
    float a = p[o];
    const float* r = ws + static_cast<size_t>(o) * kStepFeatures;
    for (int i = 0; i < kStepFeatures; ++i) a += r[i] * c.features[i];
    if (a > 0) s += static_cast<double>(wo[o]) * a;
  }
  return s;
}

Result<exec::Schedule> decode_partition(const GpgNetwork& net, const GpgEmbedding& e, const exec::TaskGraph& g,
                                        const GraphFeatures& f, int streams, const DecodeOptions& opts,
                                        std::mt19937_64* rng, std::vector<Decision>* trace) {
  if (e.num_nodes != static_cast<int>(g.ops.size()))
    return InvalidArgument("gpg decode: embedding of " + std::to_string(e.num_nodes) + " nodes for a graph of " +
                           std::to_string(g.ops.size()));
  if (opts.sample && (!rng || !(opts.temperature > 0)))
    return InvalidArgument("gpg decode: sampling needs a random generator and a positive temperature");
  PartitionDecoder d(g, f.op_ms, f.to_sink_ms, f.critical_path_ms, streams);
  if (!d.status().ok()) return d.status();
  std::vector<double> scores;
  while (!d.done()) {
    const auto& cands = d.candidates();
    scores.resize(cands.size());
    for (size_t i = 0; i < cands.size(); ++i) scores[i] = net.score(e, cands[i]);
    size_t choice = 0;
    if (!opts.sample) {
      choice = static_cast<size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
    } else {
      const double top = *std::max_element(scores.begin(), scores.end());
      double total = 0;
      for (double& s : scores) total += (s = std::exp((s - top) / opts.temperature));
      double r = std::uniform_real_distribution<double>(0, total)(*rng);
      choice = cands.size() - 1;
      for (size_t i = 0; i < scores.size(); ++i)
        if ((r -= scores[i]) <= 0) {
          choice = i;
          break;
        }
    }
    if (trace) {
      Decision dec;
      dec.chosen = static_cast<int>(choice);
      dec.nodes.reserve(cands.size());
      dec.features.reserve(cands.size() * kStepFeatures);
      for (const Candidate& c : cands) {
        dec.nodes.push_back(c.node);
        dec.features.insert(dec.features.end(), c.features.begin(), c.features.end());
      }
      trace->push_back(std::move(dec));
    }
    TOP_RETURN_IF_ERROR(d.apply(choice));
  }
  return d.schedule("gpg");
}

}  // namespace top::rl

// RandWire (models/randwire.py): stages of Watts-Strogatz DAGs of separable convs.
#include <algorithm>

#include "rl/graphs/families.h"
#include "rl/graphs/graph_builder.h"
#include "rl/graphs/watts_strogatz.h"

namespace top::rl {

namespace {

constexpr double kRewireProbability = 0.75;

// WS(n, 4, p) as in the paper; small stages take the largest even k < n (k = 0 at n = 2,
// then every node reads the stage input and feeds the output: all parallel).
int lattice_degree(int n) { return std::min(4, (n - 1) & ~1); }

// One random stage: nodes read the sum of their predecessors (or the stage input, with
// stride 2), and the stage output is the mean of the nodes without successors.
Act random_stage(GraphBuilder& b, const std::string& prefix, Act x, int64_t out_channels, int n, uint64_t seed) {
  const auto edges = watts_strogatz(n, lattice_degree(n), kRewireProbability, seed);
  std::vector<std::vector<int>> preds(static_cast<size_t>(n));
  std::vector<bool> has_succ(static_cast<size_t>(n), false);
  for (const auto& [u, v] : edges) {
    preds[v].push_back(u);  // edges are sorted, so each list is ascending
    has_succ[u] = true;
  }
  std::vector<Act> results;
  for (int node = 0; node < n; ++node) {
    const std::string name = prefix + "/n" + std::to_string(node);
    Act in = x;
    int stride = 2;
    if (!preds[node].empty()) {
      stride = 1;
      in = results[preds[node][0]];
      for (size_t i = 1; i < preds[node].size(); ++i)
        in = b.add(name + "/sum" + std::to_string(i), in, results[preds[node][i]]);
    }
    Act r = b.relu(name + "/relu", in);
    Act dw = b.conv(name + "/dw", r, r.channels, 3, stride, r.channels, 1);
    results.push_back(b.conv(name + "/pw", dw, out_channels, 1, 1, 1, 0));
  }
  std::vector<Act> sinks;
  for (int node = 0; node < n; ++node)
    if (!has_succ[node]) sinks.push_back(results[node]);
  Act out = sinks.front();
  for (size_t i = 1; i < sinks.size(); ++i) out = b.add(prefix + "/out_sum" + std::to_string(i), out, sinks[i]);
  if (sinks.size() > 1) out = b.scale(prefix + "/out_mean", out, 1.0f / static_cast<float>(sinks.size()));
  return out;
}

}  // namespace

Result<std::shared_ptr<ir::Graph>> build_randwire(const SyntheticGraphSpec& spec) {
  GraphBuilder b(spec.name(), derive_seed(spec.seed, 0));
  const int64_t c = spec.channels;
  Act x = b.input(3, spec.resolution);
  x = b.conv("stem/conv1", x, c / 2, 3, 2, 1, 1);
  x = b.relu("stem/relu", x);
  x = b.conv("stem/conv2", x, c, 3, 2, 1, 1);
  for (int s = 0; s < spec.stages; ++s)
    x = random_stage(b, "stage" + std::to_string(s), x, c << s, spec.size, derive_seed(spec.seed, 1 + s));
  b.classifier("head", x, kSyntheticClasses);
  return b.finish();
}

}  // namespace top::rl

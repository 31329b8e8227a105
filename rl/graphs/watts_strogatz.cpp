#include "rl/graphs/watts_strogatz.h"

#include <set>

#include "rl/graphs/seeded_rng.h"

namespace top::rl {

std::vector<std::pair<int, int>> watts_strogatz(int n, int k, double p, uint64_t seed) {
  SeededRng rng(seed);
  std::vector<std::set<int>> adj(static_cast<size_t>(n));
  for (int u = 0; u < n; ++u)
    for (int j = 1; j <= k / 2; ++j) {
      const int v = (u + j) % n;
      adj[u].insert(v);
      adj[v].insert(u);
    }
  // Lattice distance j outer, node inner: networkx's order, so a node's far edges are
  // rewired after every near one.
  for (int j = 1; j <= k / 2; ++j)
    for (int u = 0; u < n; ++u) {
      const int v = (u + j) % n;
      if (!adj[u].count(v) || rng.uniform() >= p) continue;
      if (static_cast<int>(adj[u].size()) >= n - 1) continue;  // u already links to every node
      int w = rng.below(n);
      while (w == u || adj[u].count(w)) w = rng.below(n);
      adj[u].erase(v);
      adj[v].erase(u);
      adj[u].insert(w);
      adj[w].insert(u);
    }
  std::set<std::pair<int, int>> edges;
  for (int u = 0; u < n; ++u)
    for (int v : adj[u]) edges.insert({std::min(u, v), std::max(u, v)});
  return {edges.begin(), edges.end()};
}

}  // namespace top::rl

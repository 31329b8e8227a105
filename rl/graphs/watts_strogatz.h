// Watts-Strogatz small-world graphs, the wiring of RandWire stages (models/randwire.py's
// watts_strogatz, the same procedure as networkx.watts_strogatz_graph, with this
// project's SeededRng instead of Python's random: same distribution, other numbers).
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace top::rl {

// Undirected WS(n, k, p) as sorted (u, v) pairs with u < v: a ring lattice where each
// node links to its k/2 nearest neighbours on each side, then each lattice edge
// (u, u+j) is rewired with probability p to (u, w), w uniform among the nodes that are
// neither u nor already linked to u. Rewiring keeps the edge count at n*k/2.
// Needs n >= 1 and an even k < n (k = 0 gives no edges); the caller checks.
std::vector<std::pair<int, int>> watts_strogatz(int n, int k, double p, uint64_t seed);

}  // namespace top::rl

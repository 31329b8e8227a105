// The static baselines the learned agents must beat (issue #11), grid-searched in the
// simulator: (a) the best single setting over a whole evaluation set, what a deployment
// tuned once gets, and (b) the best setting per pattern family, an oracle.
//
//   EnvCache cache(models_dir);
//   auto eps = held_out_episodes(EpisodeOptions{}, 8, "cpu");
//   GridResult g = grid_search(eps, default_grid(), cache).value();
//   const std::string& a = g.settings[best_single(g)];
//
// Settings are runtime::parse_policy specs, so every baseline can be rerun with
// `toprt bench --policies '<spec>'`.
//
// Thread safety: grid_search runs episodes on `threads` threads, each run with its own
// freshly parsed policies; the functions on a GridResult are pure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rl/env/episode.h"

namespace top::rl::env {

// fixed:interval=I,k=K,instances=N,graph=M-G for I in {0, 2, 5, 10} ms, K in {1, 2, 4},
// N in {1, 2}, M in {batch, merge}, G in {greedy, sequential} (96); dynbatch:batch=B,
// delay=D,instances=N for B in {2, 4, 8}, D in {1, 2, 5} ms, N in {1, 2} (18, batch-greedy
// as toprt's default); fifo. 115 settings.
std::vector<std::string> default_grid();
// A quarter of it for quick runs: I in {0, 5}, K in {1, 4}, N in {1, 2}, merge-greedy and
// batch-sequential (16); B in {4, 8}, D = 2, N in {1, 2} (4); fifo. 21 settings.
std::vector<std::string> small_grid();

struct GridResult {
  std::vector<std::string> settings;
  std::vector<EpisodeSpec> episodes;
  std::vector<std::vector<EpisodeResult>> results;  // [setting][episode]
};

// Every setting on every episode. InvalidArgument for a bad spec (before anything runs);
// an episode that cannot run fails the whole search with its error. `decision_cost_ms`
// is charged to every setting (run_prepared_episode): 0 for static policies, the
// measured forward-pass time for learned ones.
Result<GridResult> grid_search(const std::vector<EpisodeSpec>& episodes, const std::vector<std::string>& grid,
                               EnvCache& cache, int threads = 2, double decision_cost_ms = 0);

// Goodput of setting s on episode e over the best goodput any setting reached on e
// (1 when none reached any).
double normalised_goodput(const GridResult& g, size_t s, size_t e);
// The setting with the highest mean normalised goodput over `episodes` (all when empty);
// ties go to the earlier setting.
size_t best_single(const GridResult& g, const std::vector<size_t>& episodes = {});
// Per pattern family, best_single over that family's episodes: the oracle (b).
std::map<std::string, size_t> best_per_pattern(const GridResult& g);
// The setting with the highest goodput on episode e (ties: earlier).
size_t best_for_episode(const GridResult& g, size_t e);

}  // namespace top::rl::env

#include "rl/env/static_grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>

namespace top::rl::env {

namespace {

std::vector<std::string> fixed_and_dynbatch(const std::vector<int>& intervals, const std::vector<int>& ks,
                                            const std::vector<std::string>& graphs, const std::vector<int>& batches,
                                            const std::vector<int>& delays) {
  std::vector<std::string> out;
  for (int i : intervals)
    for (int k : ks)
      for (int n : {1, 2})
        for (const std::string& g : graphs) out.push_back(fmt::format("fixed:interval={},k={},instances={},graph={}", i, k, n, g));
  for (int b : batches)
    for (int d : delays)
      for (int n : {1, 2}) out.push_back(fmt::format("dynbatch:batch={},delay={},instances={}", b, d, n));
  out.push_back("fifo");
  return out;
}

}  // namespace

std::vector<std::string> default_grid() {
  return fixed_and_dynbatch({0, 2, 5, 10}, {1, 2, 4}, {"batch-greedy", "batch-sequential", "merge-greedy", "merge-sequential"},
                            {2, 4, 8}, {1, 2, 5});
}

std::vector<std::string> small_grid() {
  return fixed_and_dynbatch({0, 5}, {1, 4}, {"merge-greedy", "batch-sequential"}, {4, 8}, {2});
}

Result<GridResult> grid_search(const std::vector<EpisodeSpec>& episodes, const std::vector<std::string>& grid,
                               EnvCache& cache, int threads, double decision_cost_ms) {
  for (const std::string& s : grid) TOP_RETURN_IF_ERROR(runtime::parse_policy(s).status());
  std::vector<PreparedEpisode> prepared;
  for (const EpisodeSpec& e : episodes) {
    TOP_ASSIGN_OR_RETURN(PreparedEpisode p, prepare_episode(e, cache));
    prepared.push_back(std::move(p));
  }
  GridResult g;
  g.settings = grid;
  g.episodes = episodes;
  g.results.assign(grid.size(), std::vector<EpisodeResult>(episodes.size()));
  const size_t jobs = grid.size() * episodes.size();
  std::atomic<size_t> next{0};
  std::mutex mu;
  Status first_error = Status::Ok();
  auto worker = [&] {
    for (size_t j = next++; j < jobs; j = next++) {
      const size_t s = j / episodes.size(), e = j % episodes.size();
      // Parsed per run: policies may keep state, and no two threads may share one.
      Result<runtime::PolicySpec> p = runtime::parse_policy(grid[s]);
      Result<EpisodeResult> r =
          p.ok() ? run_prepared_episode(episodes[e], prepared[e], p->launch, p->graph, p->one_task_at_a_time,
                                        decision_cost_ms)
                 : Result<EpisodeResult>(p.status());
      if (r.ok()) {
        g.results[s][e] = std::move(r).value();
        continue;
      }
      std::lock_guard<std::mutex> lock(mu);
      if (first_error.ok())
        first_error = r.status().with_context("setting '" + grid[s] + "', episode '" + episodes[e].describe() + "'");
      next = jobs;  // stop the others early
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::max(1, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  TOP_RETURN_IF_ERROR(first_error);
  return g;
}

double normalised_goodput(const GridResult& g, size_t s, size_t e) {
  double best = 0;
  for (const auto& row : g.results) best = std::max(best, row[e].goodput_per_s);
  return best > 0 ? g.results[s][e].goodput_per_s / best : 1.0;
}

size_t best_single(const GridResult& g, const std::vector<size_t>& episodes) {
  std::vector<size_t> eps = episodes;
  if (eps.empty())
    for (size_t e = 0; e < g.episodes.size(); ++e) eps.push_back(e);
  size_t best = 0;
  double best_score = -1;
  for (size_t s = 0; s < g.settings.size(); ++s) {
    double score = 0;
    for (size_t e : eps) score += normalised_goodput(g, s, e);
    if (score > best_score) {
      best_score = score;
      best = s;
    }
  }
  return best;
}

std::map<std::string, size_t> best_per_pattern(const GridResult& g) {
  std::map<std::string, std::vector<size_t>> by_family;
  for (size_t e = 0; e < g.episodes.size(); ++e) by_family[g.episodes[e].family].push_back(e);
  std::map<std::string, size_t> out;
  for (const auto& [family, eps] : by_family) out[family] = best_single(g, eps);
  return out;
}

size_t best_for_episode(const GridResult& g, size_t e) {
  size_t best = 0;
  for (size_t s = 1; s < g.settings.size(); ++s)
    if (g.results[s][e].goodput_per_s > g.results[best][e].goodput_per_s) best = s;
  return best;
}

}  // namespace top::rl::env

// rl/env static baselines: the grids, the choice of (a) and (b) on hand-made results, and
// a real grid search on an overloaded episode (the small zoo, as episode_test).
#include "rl/env/static_grid.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <set>

namespace top::rl::env {
namespace {

TEST(StaticGrid, GridsAreValidDistinctPolicySpecs) {
  const std::vector<std::string> full = default_grid(), small = small_grid();
  EXPECT_EQ(full.size(), 96u + 18u + 1u);
  EXPECT_EQ(small.size(), 16u + 4u + 1u);
  for (const auto* grid : {&full, &small}) {
    EXPECT_EQ(std::set<std::string>(grid->begin(), grid->end()).size(), grid->size());
    for (const std::string& s : *grid) EXPECT_TRUE(runtime::parse_policy(s).ok()) << s;
  }
  for (const std::string& s : small) EXPECT_NE(std::find(full.begin(), full.end(), s), full.end()) << s;
}

// results[s][e] with the given goodputs; episodes of the given families.
GridResult made_up(const std::vector<std::vector<double>>& goodput, const std::vector<std::string>& families) {
  GridResult g;
  for (size_t s = 0; s < goodput.size(); ++s) {
    g.settings.push_back("s" + std::to_string(s));
    g.results.emplace_back();
    for (double x : goodput[s]) {
      EpisodeResult r;
      r.goodput_per_s = x;
      g.results.back().push_back(r);
    }
  }
  for (const std::string& f : families) {
    EpisodeSpec e;
    e.family = f;
    g.episodes.push_back(e);
  }
  return g;
}

TEST(StaticGrid, BestSingleNormalisesPerEpisode) {
  // s0 wins the big episode by a lot and loses the two small ones; s1 is near the best
  // everywhere. Raw means favour s0, normalised means s1.
  const GridResult g = made_up({{1000, 1, 1}, {800, 10, 10}, {100, 9, 11}}, {"bursty", "poisson", "poisson"});
  EXPECT_DOUBLE_EQ(normalised_goodput(g, 0, 0), 1.0);
  EXPECT_DOUBLE_EQ(normalised_goodput(g, 1, 2), 10.0 / 11);
  EXPECT_EQ(best_single(g), 1u);
  EXPECT_EQ(best_for_episode(g, 0), 0u);
  EXPECT_EQ(best_for_episode(g, 2), 2u);
  const std::map<std::string, size_t> per = best_per_pattern(g);
  ASSERT_EQ(per.size(), 2u);
  EXPECT_EQ(per.at("bursty"), 0u);
  EXPECT_EQ(per.at("poisson"), 1u);  // (1 + 10/11) / 2 beats (0.9 + 1) / 2
  // An episode no setting serves counts 1 for everyone; ties go to the earlier setting.
  const GridResult zero = made_up({{0}, {0}}, {"ramp"});
  EXPECT_DOUBLE_EQ(normalised_goodput(zero, 1, 0), 1.0);
  EXPECT_EQ(best_single(zero), 0u);
}

TEST(StaticGrid, RefusesABadSettingBeforeRunning) {
  EnvCache cache("/nonexistent");
  auto g = grid_search({}, {"fifo", "fixed:k=0.5"}, cache);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kInvalidArgument);
}

TEST(StaticGrid, SearchBeatsFifoOnAnOverloadedEpisode) {
  const char* env = std::getenv("TOP_MODELS_DIR");
  const std::string dir = env ? env : TOP_TEST_MODELS_DIR;
  if (!std::filesystem::exists(dir + "/squeezenet1_1_small.onnx")) GTEST_SKIP() << "no small zoo in " << dir;
  EnvCache cache(dir);
  EpisodeSpec e;
  e.models = {"squeezenet1_1_small", "googlenet_small"};
  e.family = "bursty";
  e.pattern = "bursty:on_rate=2.5,off_rate=0.5,on_s=0.5,off_s=0.5";
  e.duration_s = 3;
  const std::vector<std::string> grid = {"fifo", "fixed:interval=0,k=4,instances=2,graph=batch-greedy",
                                         "dynbatch:batch=8,delay=2,instances=2", "fixed:interval=10,k=1,instances=1,graph=merge-sequential"};
  auto g = grid_search({e, e}, grid, cache, 2);
  ASSERT_TRUE(g.ok()) << g.status().to_string();
  ASSERT_EQ(g->results.size(), grid.size());
  // Both copies of the episode got the same numbers (threads do not interfere).
  for (size_t s = 0; s < grid.size(); ++s) EXPECT_EQ(g->results[s][0].within_slo, g->results[s][1].within_slo) << grid[s];
  const size_t a = best_single(*g);
  EXPECT_NE(g->settings[a], "fifo");
  EXPECT_GT(g->results[a][0].goodput_per_s, 1.2 * g->results[0][0].goodput_per_s)
      << g->settings[a] << " vs fifo";
  EXPECT_EQ(best_for_episode(*g, 0), a);
}

}  // namespace
}  // namespace top::rl::env

// The static baselines of the learned launcher / scheduler (issue #11), grid-searched in
// the simulator on held-out episodes (rl/env/episode.h, rl/env/static_grid.h).
//   bench_static_baselines [--zoo build/models] [--devices cpu,h100-sxm] [--episodes 8]
//                          [--duration 40] [--gpu-duration 4] [--grid full|small]
//                          [--threads 2] [--markdown FILE]
// Per device: every setting of the grid on every held-out episode; (a) = the setting
// with the best mean normalised goodput over that device's episodes (tuned once),
// (b) = the best per pattern family (an oracle). Prints, per episode, the best static
// setting and its goodput, (a)'s goodput and p99 and the ratio (a) / best, then (b).
// GPU episodes are shorter (--gpu-duration): the H100 serves the small zoo ~15x faster,
// so the same load is ~15x more tasks per virtual second.
#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "rl/env/static_grid.h"
#include "util/split.h"

namespace {

namespace env = top::rl::env;

int die(const top::Status& s) {
  fmt::print(stderr, "error: {}\n", s.to_string());
  return 1;
}

std::string short_models(const std::vector<std::string>& models) {
  std::string out, all;
  for (std::string m : models) {
    if (m.size() > 6 && m.compare(m.size() - 6, 6, "_small") == 0) m.resize(m.size() - 6);
    out += (out.empty() ? "" : ",") + m;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string zoo = "build/models", devices = "cpu,h100-sxm", grid_name = "full", markdown;
  int episodes = 8, threads = 2;
  double duration = 40, gpu_duration = 4;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--zoo") zoo = v;
    else if (a == "--devices") devices = v;
    else if (a == "--episodes") episodes = std::atoi(v.c_str());
    else if (a == "--duration") duration = std::atof(v.c_str());
    else if (a == "--gpu-duration") gpu_duration = std::atof(v.c_str());
    else if (a == "--grid") grid_name = v;
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--markdown") markdown = v;
    else return die(top::InvalidArgument("unknown option " + a));
  }
  if (grid_name != "full" && grid_name != "small") return die(top::InvalidArgument("--grid full or small"));
  const std::vector<std::string> grid = grid_name == "full" ? env::default_grid() : env::small_grid();
  env::EnvCache cache(zoo);
  std::string out, all;
  const auto wall0 = std::chrono::steady_clock::now();
  for (const std::string& device : top::split_list(devices)) {
    env::EpisodeOptions o;
    o.duration_s = device == "cpu" ? duration : gpu_duration;
    const std::vector<env::EpisodeSpec> eps = env::held_out_episodes(o, episodes, device);
    const auto t0 = std::chrono::steady_clock::now();
    auto g = env::grid_search(eps, grid, cache, threads);
    if (!g.ok()) return die(g.status());
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const size_t a = env::best_single(*g);
    const auto per = env::best_per_pattern(*g);
    out += fmt::format("\n### {}: {} held-out episodes of {:g} s, {} settings, {:.1f} s wall on {} threads\n\n", device,
                       eps.size(), o.duration_s, grid.size(), wall, threads);
    out += fmt::format("(a) best single setting: `{}`\n\n", g->settings[a]);
    out += "| # | family | models | load (x capacity) | capacity tasks/s | best static | its goodput | (a) goodput | "
           "(a) p99 ms | (a) / best | (b) goodput |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    double sum_ratio = 0, sum_b = 0;
    for (size_t e = 0; e < eps.size(); ++e) {
      const size_t best = env::best_for_episode(*g, e), b = per.at(eps[e].family);
      const env::EpisodeResult &rb = g->results[best][e], &ra = g->results[a][e], &rbb = g->results[b][e];
      const double ratio = rb.goodput_per_s > 0 ? ra.goodput_per_s / rb.goodput_per_s : 1;
      sum_ratio += ratio;
      sum_b += rb.goodput_per_s > 0 ? rbb.goodput_per_s / rb.goodput_per_s : 1;
      out += fmt::format("| {} | {} | {} | `{}` | {:.0f} | `{}` | {:.1f} | {:.1f} | {:.1f} | {:.3f} | {:.1f} |\n", e,
                         eps[e].family, short_models(eps[e].models), eps[e].pattern, rb.capacity_per_s,
                         g->settings[best], rb.goodput_per_s, ra.goodput_per_s, ra.p99_ms, ratio, rbb.goodput_per_s);
    }
    out += fmt::format("\nmean (a) / best {:.3f}; mean (b) / best {:.3f}\n\n(b) per family:", sum_ratio / eps.size(),
                       sum_b / eps.size());
    for (const auto& [family, s] : per) out += fmt::format(" {} `{}`;", family, g->settings[s]);
    out += "\n";
    fmt::print("{}", out);
    std::fflush(stdout);
    all += out;
    out.clear();
  }
  if (!markdown.empty()) std::ofstream(markdown) << all;
  fmt::print("\ntotal wall {:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  return 0;
}

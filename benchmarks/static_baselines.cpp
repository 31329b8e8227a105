// The static baselines of the learned launcher / scheduler (issue #11), grid-searched in
// the simulator on held-out episodes (rl/env/episode.h, rl/env/static_grid.h).
//   bench_static_baselines [--zoo build/models] [--devices cpu,h100-sxm] [--episodes 8]
//                          [--duration 40] [--gpu-duration 4] [--grid full|small]
//                          [--threads 2] [--markdown FILE] [--learned 'SPEC;SPEC']
//                          [--decision-cost-us 20]
// Per device: every setting of the grid on every held-out episode; (a) = the setting
// with the best mean normalised goodput over that device's episodes (tuned once),
// (b) = the best per pattern family (an oracle). Prints, per episode, the best static
// setting and its goodput, (a)'s goodput and p99 and the ratio (a) / best, then (b).
// GPU episodes are shorter (--gpu-duration): the H100 serves the small zoo ~15x faster,
// so the same load is ~15x more tasks per virtual second.
// --learned: policy specs of learned policies ("top:ckpt=rl/checkpoints/top.json",
// "top:guard=off", ...) run on the same episodes and reported next to (a) and (b): their
// goodput over the best static setting's per episode, and wins / losses against (a).
// Each of their launching rounds is charged --decision-cost-us of virtual time (measured
// by bench_top_decision_cost); the static settings are charged nothing.
#include <fmt/format.h>

#include <chrono>
#include <fstream>

#include "rl/env/static_grid.h"
#include "rl/policies/gpg_generator.h"
#include "rl/policies/top_policy_kind.h"
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
  std::string zoo = "build/models", devices = "cpu,h100-sxm", grid_name = "full", markdown, learned;
  int episodes = 8, threads = 2;
  double duration = 40, gpu_duration = 4, decision_cost_us = 20;
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
    else if (a == "--learned") learned = v;
    else if (a == "--decision-cost-us") decision_cost_us = std::atof(v.c_str());
    else return die(top::InvalidArgument("unknown option " + a));
  }
  if (grid_name != "full" && grid_name != "small") return die(top::InvalidArgument("--grid full or small"));
  const std::vector<std::string> grid = grid_name == "full" ? env::default_grid() : env::small_grid();
  (void)top::rl::register_gpg_generator();
  top::rl::register_top_policy_kind();
  std::vector<std::string> learned_specs;
  for (const std::string& spec : top::split_list(learned, ';')) learned_specs.push_back(spec);
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
    if (!learned_specs.empty()) {
      auto l = env::grid_search(eps, learned_specs, cache, threads, decision_cost_us / 1000);
      if (!l.ok()) return die(l.status());
      out += "\nLearned policies on the same episodes (goodput / the best static setting's, per episode):\n\n"
             "| policy | mean / best | mean / (a) | episodes better than (a) | worse than (a) by > 2% | worst / (a) | "
             "mean p99 ms |\n|---|---|---|---|---|---|---|\n";
      std::string details;
      for (size_t s = 0; s < learned_specs.size(); ++s) {
        double vs_best = 0, vs_a = 0, worst = 1e9, p99 = 0;
        int better = 0, worse = 0;
        std::string row;
        for (size_t e = 0; e < eps.size(); ++e) {
          const env::EpisodeResult& r = l->results[s][e];
          const double best = g->results[env::best_for_episode(*g, e)][e].goodput_per_s;
          const double ga = g->results[a][e].goodput_per_s;
          const double rb = best > 0 ? r.goodput_per_s / best : 1, ra = ga > 0 ? r.goodput_per_s / ga : 1;
          vs_best += rb / eps.size();
          vs_a += ra / eps.size();
          worst = std::min(worst, ra);
          p99 += r.p99_ms / eps.size();
          better += ra > 1.0;
          worse += ra < 0.98;
          row += fmt::format(" {}:{:.2f}", e, ra);
        }
        out += fmt::format("| `{}` | {:.3f} | {:.3f} | {} of {} | {} | {:.3f} | {:.1f} |\n", learned_specs[s], vs_best,
                           vs_a, better, eps.size(), worse, worst, p99);
        details += fmt::format("\n`{}` per episode, / (a):{}\n", learned_specs[s], row);
      }
      out += details;
    }
    fmt::print("{}", out);
    std::fflush(stdout);
    all += out;
    out.clear();
  }
  if (!markdown.empty()) std::ofstream(markdown) << all;
  fmt::print("\ntotal wall {:.1f} s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count());
  return 0;
}

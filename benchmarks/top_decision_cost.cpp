// What one launch round costs the learned launcher and scheduler (issue #11: < 50 us per
// round for 4 models on one core, no gradients, one thread):
//   bench_top_decision_cost [--ckpt rl/checkpoints/top.json] [--models 4] [--rounds 20000]
// Times, on this thread: a decision tick (both actors for every model: what a round
// costs when the tick is due), a held round (between ticks: the cached decisions), the
// guarded tick (the guard's window bookkeeping on top), and choose() for one group.
// Prints the median, p99 and mean in microseconds. The simulator charges the tick's
// cost per launching round (SimulatorConfig::decision_cost_ms) when it trains and
// evaluates the agents, so what is learned there is what runs live.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "rl/policies/policy_guard.h"
#include "rl/policies/top_agents.h"

namespace {

using Clock = std::chrono::steady_clock;
namespace rl = top::rl;

top::LaunchObservation observation(int models, double now_ms) {
  top::LaunchObservation o;
  o.now_ms = now_ms;
  o.num_streams = 2;
  o.busy_streams = 1.5;
  o.ready_groups = 2;
  o.in_flight_instances = 3;
  for (int i = 0; i < models; ++i) {
    top::ModelObservation m;
    m.model = "model" + std::to_string(i);
    m.queue_length = 2 + i;
    m.oldest_wait_ms = 3.0 + i;
    m.arrival_rate_per_s = 200;
    m.arrival_rate_short_per_s = 260;
    m.in_flight_instances = 1;
    m.in_flight_tasks = 2;
    m.mean_progress = 0.4;
    m.recent_latency_ms = 6;
    m.ms_since_last_dequeue = 2;
    m.batchable = true;
    m.slo_ms = 30;
    o.models.push_back(m);
  }
  return o;
}

struct Stats {
  double p50, p99, mean;
};
Stats summarise(std::vector<double> us) {
  std::sort(us.begin(), us.end());
  double mean = 0;
  for (double x : us) mean += x / us.size();
  return {us[us.size() / 2], us[std::min(us.size() - 1, us.size() * 99 / 100)], mean};
}

template <class F>
Stats time_calls(int n, F&& f) {
  std::vector<double> us;
  us.reserve(n);
  for (int i = 0; i < n; ++i) {
    const auto t0 = Clock::now();
    f(i);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  return summarise(std::move(us));
}

}  // namespace

int main(int argc, char** argv) {
  std::string ckpt = rl::default_top_checkpoint();
  int models = 4, rounds = 20000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--ckpt") ckpt = v;
    else if (a == "--models") models = std::atoi(v.c_str());
    else if (a == "--rounds") rounds = std::atoi(v.c_str());
    else {
      fmt::print(stderr, "unknown option {}\n", a);
      return 1;
    }
  }
  if (models < 1 || models > rl::kMaxAgentModels || rounds < 100) {
    fmt::print(stderr, "--models 1..{}, --rounds >= 100\n", rl::kMaxAgentModels);
    return 1;
  }
  auto actors = rl::load_top_actors(ckpt);
  if (!actors.ok()) {
    fmt::print(stderr, "error: {}\n", actors.status().to_string());
    return 1;
  }
  // Every call a tick: each call's clock is past the previous tick's interval.
  auto ticking = rl::learned_policies(*actors);
  const Stats tick = time_calls(rounds, [&](int i) { (void)ticking.launch->decide(observation(models, 1e3 * i)); });
  auto holding = rl::learned_policies(*actors);
  (void)holding.launch->decide(observation(models, 0));
  const top::LaunchObservation held_obs = observation(models, 1);
  const Stats held = time_calls(rounds, [&](int) { (void)holding.launch->decide(held_obs); });
  auto inner = rl::learned_policies(*actors);
  auto guarded = rl::guarded_policies(inner.launch, inner.graph, top::dynamic_batching_policy(4, 2, 2),
                                      top::fixed_graph_policy(top::GraphMode::kBatch, "greedy"));
  const Stats gtick = time_calls(rounds, [&](int i) { (void)guarded.launch->decide(observation(models, 1e3 * i)); });
  top::GraphObservation g;
  g.model = held_obs.models[0];
  const Stats choose = time_calls(rounds, [&](int) { (void)holding.graph->choose(g); });
  // The observation is built inside the timed calls above; its own cost, to subtract.
  const Stats build = time_calls(rounds, [&](int i) {
    top::LaunchObservation o = observation(models, 1e3 * i);
    if (o.models.empty()) std::abort();
  });
  fmt::print("learned launcher + scheduler, {} models, hidden {}, {} generators, {} rounds on one thread\n", models,
             (*actors)->dims.hidden, (*actors)->dims.generators.size(), rounds);
  fmt::print("{:34s} {:>9s} {:>9s} {:>9s}\n", "us per call", "p50", "p99", "mean");
  auto row = [](const char* what, const Stats& s) { fmt::print("{:34s} {:9.2f} {:9.2f} {:9.2f}\n", what, s.p50, s.p99, s.mean); };
  row("tick (both actors, every model)", tick);
  row("held round (between ticks)", held);
  row("guarded tick", gtick);
  row("choose (one group)", choose);
  row("building the observation (in all)", build);
  return 0;
}

// The cooperative reward's weights, shared by every place that scores the agents' work:
// the episode reward (rl/env/episode.h), the per-tick training reward
// (rl/policies/top_agents.h) and the guard's window score (rl/policies/policy_guard.h).
//   reward = tasks within SLO - kMissPenalty x tasks that missed it - kBacklogPenalty x queue growth
// kMissPenalty = 1: a missed task (late, failed or rejected) costs what a good one earns,
// so serving late is no better than dropping and the agents cannot gain by letting
// latency run past the SLO. kBacklogPenalty = 0.5: a queued task will mostly be charged
// again as a miss when it is served late, so the backlog term only needs to be big
// enough to warn early (per decision interval) that queues grow; at 1 it would double
// count. Header only, no dependencies: the Torch-free policies include it.
#pragma once

namespace top::rl::env {

constexpr double kBacklogPenalty = 0.5;
constexpr double kMissPenalty = 1.0;

}  // namespace top::rl::env

// The discrete actions of the learned launcher and scheduler, one set per model, and
// what each means as a ModelLaunch / GraphChoice.
//
// Launcher heads (kLaunchHeads; kLaunchActionSize one-hot values in all):
//   k             {1, 2, 4, 8} tasks per dequeue
//   interval      {0, 0.01, 0.03, 0.1} x ref_ms between two dequeues (ref: agent_features.h)
//   max in flight {1, 2, 4} instances of the model
//   wait          {no, yes}: yes waits for k tasks unless the head has waited 0.05 ref
//                 (dynamic batching)
// Scheduler heads: mode {batch, merge}, then one of the checkpoint's generators
// (default {sequential, greedy}). The scheduler also reads the launcher's k (one-hot),
// since batch vs merge only matters through it.
// Discrete rather than continuous: the runtime's knobs are small integers and a handful
// of graphs; Gumbel-softmax makes them differentiable for MADDPG's actor update.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "top/policy.h"

namespace top::rl {

constexpr std::array<int, 4> kKBins = {1, 2, 4, 8};
constexpr std::array<double, 4> kIntervalBins = {0, 0.01, 0.03, 0.1};
constexpr std::array<int, 3> kInFlightBins = {1, 2, 4};
constexpr int kWaitBins = 2;
constexpr double kWaitDelayRef = 0.05;
constexpr std::array<int, 4> kLaunchHeads = {4, 4, 3, kWaitBins};
constexpr int kLaunchActionSize = 4 + 4 + 3 + kWaitBins;
constexpr int kModeBins = 2;  // batch, merge
constexpr int kSchedulerContext = 4;  // the launcher's k, one-hot over kKBins

struct LaunchAction {
  int k = 0, interval = 0, in_flight = 0, wait = 0;  // bin indices
};
ModelLaunch to_model_launch(const LaunchAction& a, double ref_ms);

struct ScheduleAction {
  int mode = 1, generator = 0;
};
GraphChoice to_graph_choice(const ScheduleAction& a, const std::vector<std::string>& generators);

// Heads of the scheduler for `generators` choices: {2, generators}.
inline std::vector<int> scheduler_heads(size_t generators) { return {kModeBins, static_cast<int>(generators)}; }
inline std::vector<int> launch_heads() { return {kLaunchHeads.begin(), kLaunchHeads.end()}; }

// The argmax of each head's logits (consecutive blocks of `heads`).
std::vector<int> argmax_heads(const float* logits, const std::vector<int>& heads);

}  // namespace top::rl

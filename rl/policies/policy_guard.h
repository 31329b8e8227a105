// The guard of a learned policy pair (issue #11: "never worse than the fallback"): it
// watches the live metrics the launcher core reports and hands control to a static
// fallback when the learned policies misbehave, and back when they may have recovered.
//
// Time is cut into windows of window_ref x the mean ref_ms of the models
// (rl/features/agent_features.h; with an SLO set, window_ref SLOs). A window is bad when
//   - at least min_tasks tasks finished in it and more than max_miss_rate of them missed
//     their SLO (late or failed), or
//   - the total queue grew over the window and ends above backlog_per_stream x streams.
// bad_windows consecutive bad windows under the learned policies hand control to the
// fallback. After probation windows on the fallback, a healthy last window hands it back;
// each relapse doubles the probation (up to 64 windows) so a policy that keeps failing
// runs ever less; staying healthy under the learned policies for twice the current
// probation resets it.
//
//   auto g = guarded_policies(learned.launch, learned.graph, fallback.launch, fallback.graph);
//   cfg.launch_policy = g.launch;  cfg.graph_policy = g.graph;
//   g.state->on_learned(), g.state->handovers()
//
// Thread safety: the state is locked; the wrapped policies see the calls the runtime
// serialises.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "top/policy.h"

namespace top::rl {

struct GuardOptions {
  double window_ref = 2.0;
  int min_tasks = 4;
  double max_miss_rate = 0.5;
  double backlog_per_stream = 4;
  int bad_windows = 2;
  int probation = 4;
};

class GuardState {
 public:
  explicit GuardState(GuardOptions o) : o_(o), probation_(o.probation) {}
  // Advances the windows to `obs.now_ms`; true when the learned policies are in control.
  bool observe(const LaunchObservation& obs);
  void on_feedback(const PolicyFeedback& f);
  bool on_learned() const;
  uint64_t handovers() const;   // learned -> fallback
  uint64_t handbacks() const;   // fallback -> learned
  uint64_t windows() const;

 private:
  bool bad_window(size_t queue_end, int streams) const;  // mu_ held
  GuardOptions o_;
  mutable std::mutex mu_;
  bool learned_ = true;
  bool started_ = false;
  double window_end_ms_ = 0;
  size_t queue_at_start_ = 0;
  uint64_t finished_ = 0, missed_ = 0;
  int consecutive_bad_ = 0, windows_in_mode_ = 0, healthy_learned_ = 0;
  int probation_;
  uint64_t handovers_ = 0, handbacks_ = 0, windows_ = 0;
};

struct GuardedPolicies {
  std::shared_ptr<LaunchPolicy> launch;
  std::shared_ptr<GraphPolicy> graph;
  std::shared_ptr<GuardState> state;
};
GuardedPolicies guarded_policies(std::shared_ptr<LaunchPolicy> learned_launch, std::shared_ptr<GraphPolicy> learned_graph,
                                 std::shared_ptr<LaunchPolicy> fallback_launch,
                                 std::shared_ptr<GraphPolicy> fallback_graph, GuardOptions options = {});

}  // namespace top::rl

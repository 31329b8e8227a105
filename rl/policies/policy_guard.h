// The guard of a learned policy pair (issue #11: "never worse than the fallback"): it
// watches the live metrics the launcher core reports and hands control to a static
// fallback when the learned policies do worse than it would, and back when they may
// have recovered.
//
// Time is cut into windows of window_ref x the mean ref_ms of the models
// (rl/features/agent_features.h; with an SLO set, window_ref SLOs). Each window gets
//   - a score, (within SLO - missed - 0.5 x queue growth) / (finished + queue growth),
//     from -1.5 (every task late and the queue growing) to 1 (every task on time), over
//     the tasks that are the controller's own: after a switch, windows are not
//     recorded until the tasks queued or running at the switch have finished (at most
//     settle_windows), and then count only tasks that arrived after that (a task's
//     arrival is its finish time minus its latency), so that neither controller is
//     scored on the other's backlog; and
//   - a load level: the offered arrival rate in tasks per mean ref, in half-octaves.
//     Arrivals do not depend on the policy, so two windows at one level are comparable.
// Comparative judgement (default): the guard keeps, per load level, a moving average of
// the score under each controller. Where both have been seen (min_compare windows at
// that level), a learned window is bad when the learned average is below the
// fallback's by more than margin, and a fallback window hands control straight back
// when it is not. Where there is no record to compare yet, a learned window is bad by
// the absolute rules:
//   - at least min_tasks tasks finished in it and more than max_miss_rate of them missed
//     their SLO (late or failed), or
//   - the total queue grew over the window and ends above backlog_per_stream x streams;
// and the fallback hands control back after a probation of `probation` windows, to get
// the learned policies a record at that load. Why comparative: under overload every
// policy misses its SLOs, and the absolute rules handed control to a fallback that did
// worse still (BENCHMARKS.md, the CPU ramp). comparative = false is the first version:
// absolute rules only, and back after the probation when the last window is not bad.
// bad_windows consecutive bad windows under the learned policies hand control to the
// fallback. Each probation that ends in a retry doubles the next (up to 64 windows), so
// a policy that keeps failing runs ever less; staying healthy under the learned policies
// for twice the current probation resets it. A learned record still worse at the end of
// a probation is forgotten (it may be stale), so the next probation's end retries.
//
//   auto g = guarded_policies(learned.launch, learned.graph, fallback.launch, fallback.graph);
//   cfg.launch_policy = g.launch;  cfg.graph_policy = g.graph;
//   g.state->on_learned(), g.state->handovers()
//
// Thread safety: the state is locked; the wrapped policies see the calls the runtime
// serialises.
#pragma once

#include <cstdint>
#include <array>
#include <map>
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
  bool comparative = true;
  int min_compare = 2;       // windows per controller at a load level before comparing
  double margin = 0.05;      // in score units
  double score_alpha = 0.3;  // weight of the newest window in the moving averages
  int settle_windows = 4;    // after a switch, windows not recorded while inherited tasks run
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
  uint64_t compared_windows() const;  // windows judged against the fallback's record

 private:
  struct Record {
    double mean = 0;  // moving average of the window scores
    int n = 0;
  };
  bool bad_window(size_t queue_end, int streams) const;  // mu_ held
  double window_score(size_t queue_end) const;          // mu_ held
  // Hands control to the learned policies (or the fallback) and starts counting the new
  // controller's own tasks after the `tasks_waiting` queued or running now. mu_ held.
  void switch_to(bool learned, double now_ms, size_t tasks_waiting);
  void lengthen_probation();  // mu_ held
  static int load_level(const LaunchObservation& obs, double mean_ref_ms);
  GuardOptions o_;
  std::map<int, std::array<Record, 2>> records_;  // per load level: [fallback, learned]
  uint64_t compared_ = 0;
  // How many of the tasks queued or running at the last switch of controller have not
  // finished yet; the score counts only tasks that arrived after own_since_ms_ (the
  // switch, then the moment the last inherited task finished).
  double own_since_ms_ = -1e300;
  size_t inherited_ = 0;
  uint64_t own_finished_ = 0, own_missed_ = 0;
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

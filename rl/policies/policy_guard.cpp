#include "rl/policies/policy_guard.h"

#include <algorithm>

#include "rl/features/agent_features.h"

namespace top::rl {

bool GuardState::bad_window(size_t queue_end, int streams) const {
  if (finished_ >= static_cast<uint64_t>(o_.min_tasks) &&
      static_cast<double>(missed_) > o_.max_miss_rate * static_cast<double>(finished_))
    return true;
  return queue_end > queue_at_start_ && static_cast<double>(queue_end) > o_.backlog_per_stream * std::max(1, streams);
}

bool GuardState::observe(const LaunchObservation& obs) {
  std::lock_guard<std::mutex> lock(mu_);
  // No model yet (a runtime's rounds before load_model): nothing to measure the window by.
  if (obs.models.empty()) return learned_;
  size_t queue = 0;
  double ref = 0;
  for (const ModelObservation& m : obs.models) {
    queue += m.queue_length;
    ref += reference_ms(m);
  }
  ref /= static_cast<double>(obs.models.size());
  if (!started_) {
    started_ = true;
    window_end_ms_ = obs.now_ms + o_.window_ref * ref;
    queue_at_start_ = queue;
    return learned_;
  }
  if (obs.now_ms < window_end_ms_) return learned_;
  // One window ended (a long quiet gap counts as one).
  ++windows_;
  ++windows_in_mode_;
  const bool bad = bad_window(queue, obs.num_streams);
  if (learned_) {
    consecutive_bad_ = bad ? consecutive_bad_ + 1 : 0;
    healthy_learned_ = bad ? 0 : healthy_learned_ + 1;
    // Forgiven only after staying healthy for longer than it was last benched.
    if (healthy_learned_ >= 2 * probation_) probation_ = o_.probation;
    if (consecutive_bad_ >= o_.bad_windows) {
      learned_ = false;
      ++handovers_;
      windows_in_mode_ = 0;
      consecutive_bad_ = 0;
    }
  } else if (windows_in_mode_ >= probation_ && !bad) {
    learned_ = true;
    ++handbacks_;
    windows_in_mode_ = 0;
    healthy_learned_ = 0;
    probation_ = std::min(64, 2 * probation_);  // halved back only by a long healthy stretch
  }
  finished_ = missed_ = 0;
  queue_at_start_ = queue;
  window_end_ms_ = obs.now_ms + o_.window_ref * ref;
  return learned_;
}

void GuardState::on_feedback(const PolicyFeedback& f) {
  if (f.kind != PolicyFeedback::Kind::kTaskFinished) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_;
  if (!f.within_slo) ++missed_;
}

bool GuardState::on_learned() const {
  std::lock_guard<std::mutex> lock(mu_);
  return learned_;
}
uint64_t GuardState::handovers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handovers_;
}
uint64_t GuardState::handbacks() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handbacks_;
}
uint64_t GuardState::windows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return windows_;
}

namespace {

class GuardedLaunch : public LaunchPolicy {
 public:
  GuardedLaunch(std::shared_ptr<LaunchPolicy> learned, std::shared_ptr<LaunchPolicy> fallback,
                std::shared_ptr<GuardState> state)
      : learned_(std::move(learned)), fallback_(std::move(fallback)), state_(std::move(state)) {}
  std::string name() const override { return "guarded(" + learned_->name() + " | " + fallback_->name() + ")"; }
  LaunchDecision decide(const LaunchObservation& obs) override {
    return state_->observe(obs) ? learned_->decide(obs) : fallback_->decide(obs);
  }
  // Both hear every event: the one not in control keeps its view of the traffic current.
  void on_feedback(const PolicyFeedback& f) override {
    state_->on_feedback(f);
    learned_->on_feedback(f);
    fallback_->on_feedback(f);
  }

 private:
  std::shared_ptr<LaunchPolicy> learned_, fallback_;
  std::shared_ptr<GuardState> state_;
};

class GuardedGraph : public GraphPolicy {
 public:
  GuardedGraph(std::shared_ptr<GraphPolicy> learned, std::shared_ptr<GraphPolicy> fallback,
               std::shared_ptr<GuardState> state)
      : learned_(std::move(learned)), fallback_(std::move(fallback)), state_(std::move(state)) {}
  std::string name() const override { return "guarded(" + learned_->name() + " | " + fallback_->name() + ")"; }
  GraphChoice choose(const GraphObservation& obs) override {
    return state_->on_learned() ? learned_->choose(obs) : fallback_->choose(obs);
  }
  void on_feedback(const PolicyFeedback& f) override {
    learned_->on_feedback(f);
    fallback_->on_feedback(f);
  }

 private:
  std::shared_ptr<GraphPolicy> learned_, fallback_;
  std::shared_ptr<GuardState> state_;
};

}  // namespace

GuardedPolicies guarded_policies(std::shared_ptr<LaunchPolicy> learned_launch, std::shared_ptr<GraphPolicy> learned_graph,
                                 std::shared_ptr<LaunchPolicy> fallback_launch,
                                 std::shared_ptr<GraphPolicy> fallback_graph, GuardOptions options) {
  GuardedPolicies g;
  g.state = std::make_shared<GuardState>(options);
  g.launch = std::make_shared<GuardedLaunch>(std::move(learned_launch), std::move(fallback_launch), g.state);
  g.graph = std::make_shared<GuardedGraph>(std::move(learned_graph), std::move(fallback_graph), g.state);
  return g;
}

}  // namespace top::rl

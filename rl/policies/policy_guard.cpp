#include "rl/policies/policy_guard.h"

#include <algorithm>
#include <cmath>

#include "rl/env/reward.h"
#include "rl/features/agent_features.h"

namespace top::rl {

bool GuardState::bad_window(size_t queue_end, int streams) const {
  if (finished_ >= static_cast<uint64_t>(o_.min_tasks) &&
      static_cast<double>(missed_) > o_.max_miss_rate * static_cast<double>(finished_))
    return true;
  return queue_end > queue_at_start_ && static_cast<double>(queue_end) > o_.backlog_per_stream * std::max(1, streams);
}

double GuardState::window_score(size_t queue_end) const {
  const double growth = static_cast<double>(queue_end) - static_cast<double>(queue_at_start_);
  const double good = static_cast<double>(own_finished_ - own_missed_), missed = static_cast<double>(own_missed_);
  const double denominator = static_cast<double>(own_finished_) + std::max(0.0, growth);
  if (denominator <= 0) return 1;  // nothing finished, nothing queued: an idle window is fine
  return (good - env::kMissPenalty * missed - env::kBacklogPenalty * std::max(0.0, growth)) / denominator;
}

int GuardState::load_level(const LaunchObservation& obs, double mean_ref_ms) {
  double rate = 0;
  for (const ModelObservation& m : obs.models) rate += m.arrival_rate_per_s;
  const double per_ref = rate * mean_ref_ms / 1000.0;
  // Half-octaves of tasks per ref; everything under 1/16 per ref is one idle level.
  return static_cast<int>(std::floor(2 * std::log2(std::max(per_ref, 1.0 / 16))));
}

void GuardState::lengthen_probation() {
  probation_ = std::min(64, 2 * probation_);  // halved back only by a long healthy stretch (observe)
}

void GuardState::switch_to(bool learned, double now_ms, size_t tasks_waiting) {
  learned_ = learned;
  ++(learned ? handbacks_ : handovers_);
  windows_in_mode_ = 0;
  consecutive_bad_ = 0;
  healthy_learned_ = 0;
  own_since_ms_ = now_ms;
  inherited_ = tasks_waiting;
}

bool GuardState::observe(const LaunchObservation& obs) {
  std::lock_guard<std::mutex> lock(mu_);
  // No model yet (a runtime's rounds before load_model): nothing to measure the window by.
  if (obs.models.empty()) return learned_;
  size_t queue = 0, in_flight = 0;
  double ref = 0;
  for (const ModelObservation& m : obs.models) {
    queue += m.queue_length;
    in_flight += m.in_flight_tasks;
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
  const bool absolute_bad = bad_window(queue, obs.num_streams);
  std::array<Record, 2>& at_level = records_[load_level(obs, ref)];
  Record &fallback = at_level[0], &learned = at_level[1], &mine = learned_ ? learned : fallback;
  // A controller's windows count once the tasks it inherited have finished (or after
  // settle_windows), and only with tasks that arrived after that: until then its score
  // would be the other one's backlog. Windows with no task of its own tell nothing.
  if (inherited_ > 0 && windows_in_mode_ > o_.settle_windows) inherited_ = 0;  // own_since_ms_ stays at the switch
  if (inherited_ == 0 && (own_finished_ > 0 || queue > queue_at_start_)) {
    const double score = window_score(queue);
    mine.mean = mine.n == 0 ? score : (1 - o_.score_alpha) * mine.mean + o_.score_alpha * score;
    ++mine.n;
  }
  const bool comparable = o_.comparative && fallback.n >= o_.min_compare && learned.n >= o_.min_compare;
  if (comparable) ++compared_;
  const bool learned_worse = comparable && learned.mean < fallback.mean - o_.margin;
  if (learned_) {
    const bool bad = comparable ? learned_worse : absolute_bad;
    consecutive_bad_ = bad ? consecutive_bad_ + 1 : 0;
    healthy_learned_ = bad ? 0 : healthy_learned_ + 1;
    // Forgiven only after staying healthy for longer than it was last benched.
    if (healthy_learned_ >= 2 * probation_) probation_ = o_.probation;
    if (consecutive_bad_ >= o_.bad_windows) switch_to(false, obs.now_ms, queue + in_flight);
  } else if (!o_.comparative) {
    if (windows_in_mode_ >= probation_ && !absolute_bad) {
      switch_to(true, obs.now_ms, queue + in_flight);
      lengthen_probation();
    }
  } else if (comparable) {
    // On record the learned policies do as well here: no need to sit out the probation.
    if (!learned_worse) {
      switch_to(true, obs.now_ms, queue + in_flight);
    } else if (windows_in_mode_ >= probation_) {
      // Still worse on record, but the record may be stale: forget it, so the end of the
      // next (longer) probation tries the learned policies again.
      learned.n = 0;
      windows_in_mode_ = 0;
      lengthen_probation();
    }
  } else if (windows_in_mode_ >= probation_) {
    switch_to(true, obs.now_ms, queue + in_flight);  // no learned record at this load: try them to get one
    lengthen_probation();
  }
  finished_ = missed_ = own_finished_ = own_missed_ = 0;
  queue_at_start_ = queue;
  window_end_ms_ = obs.now_ms + o_.window_ref * ref;
  return learned_;
}

void GuardState::on_feedback(const PolicyFeedback& f) {
  if (f.kind != PolicyFeedback::Kind::kTaskFinished) return;
  std::lock_guard<std::mutex> lock(mu_);
  ++finished_;
  if (!f.within_slo) ++missed_;
  if (f.now_ms - f.latency_ms < own_since_ms_) {
    // The last inherited task: from now on, arrivals no longer queue behind them.
    if (inherited_ > 0 && --inherited_ == 0) own_since_ms_ = f.now_ms;
  } else if (inherited_ == 0) {
    ++own_finished_;
    if (!f.within_slo) ++own_missed_;
  }
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
uint64_t GuardState::compared_windows() const {
  std::lock_guard<std::mutex> lock(mu_);
  return compared_;
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

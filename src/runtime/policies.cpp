// The built-in launch and graph policies (see include/top/policy.h).
#include <algorithm>

#include "top/policy.h"

namespace top {

namespace {

class FifoLaunchPolicy final : public LaunchPolicy {
 public:
  std::string name() const override { return "fifo"; }
  LaunchDecision decide(const LaunchObservation& obs) override {
    LaunchDecision d;
    d.models.assign(obs.models.size(), ModelLaunch{0, 1, 1, 0, 1});
    d.max_in_flight_total = 1;  // one task in the whole runtime at a time
    return d;
  }
};

class FixedLaunchPolicy final : public LaunchPolicy {
 public:
  FixedLaunchPolicy(double interval_ms, int k, int max_in_flight)
      : interval_ms_(std::max(0.0, interval_ms)), k_(std::max(1, k)), max_in_flight_(std::max(0, max_in_flight)) {}
  std::string name() const override {
    return "fixed(interval=" + std::to_string(interval_ms_) + "ms,k=" + std::to_string(k_) +
           ",instances=" + std::to_string(max_in_flight_) + ")";
  }
  LaunchDecision decide(const LaunchObservation& obs) override {
    LaunchDecision d;
    d.models.assign(obs.models.size(), ModelLaunch{interval_ms_, k_, 1, 0, max_in_flight_});
    return d;
  }

 private:
  double interval_ms_;
  int k_;
  int max_in_flight_;
};

class DynamicBatchingPolicy final : public LaunchPolicy {
 public:
  DynamicBatchingPolicy(int max_batch, double max_delay_ms, int instances)
      : max_batch_(std::max(1, max_batch)), max_delay_ms_(std::max(0.0, max_delay_ms)), instances_(std::max(1, instances)) {}
  std::string name() const override {
    return "dynamic-batching(max_batch=" + std::to_string(max_batch_) + ",delay=" + std::to_string(max_delay_ms_) +
           "ms,instances=" + std::to_string(instances_) + ")";
  }
  LaunchDecision decide(const LaunchObservation& obs) override {
    LaunchDecision d;
    d.models.assign(obs.models.size(), ModelLaunch{0, max_batch_, max_batch_, max_delay_ms_, instances_});
    return d;
  }

 private:
  int max_batch_;
  double max_delay_ms_;
  int instances_;
};

class FixedGraphPolicy final : public GraphPolicy {
 public:
  FixedGraphPolicy(GraphMode mode, std::string generator) : mode_(mode), generator_(std::move(generator)) {}
  std::string name() const override { return std::string(mode_ == GraphMode::kBatch ? "batch" : "merge") + "+" + generator_; }
  using GraphPolicy::choose;
  GraphChoice choose(const std::string&, int, bool) override { return GraphChoice{mode_, generator_}; }

 private:
  GraphMode mode_;
  std::string generator_;
};

}  // namespace

std::shared_ptr<LaunchPolicy> fifo_launch_policy() { return std::make_shared<FifoLaunchPolicy>(); }
std::shared_ptr<LaunchPolicy> fixed_launch_policy(double interval_ms, int k, int max_in_flight) {
  return std::make_shared<FixedLaunchPolicy>(interval_ms, k, max_in_flight);
}
std::shared_ptr<LaunchPolicy> dynamic_batching_policy(int max_batch, double max_delay_ms, int instances) {
  return std::make_shared<DynamicBatchingPolicy>(max_batch, max_delay_ms, instances);
}
std::shared_ptr<GraphPolicy> fixed_graph_policy(GraphMode mode, const std::string& generator) {
  return std::make_shared<FixedGraphPolicy>(mode, generator);
}

}  // namespace top

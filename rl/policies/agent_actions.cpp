#include "rl/policies/agent_actions.h"

#include <algorithm>

namespace top::rl {

ModelLaunch to_model_launch(const LaunchAction& a, double ref_ms) {
  ModelLaunch m;
  m.k = kKBins[std::clamp(a.k, 0, 3)];
  m.dequeue_interval_ms = kIntervalBins[std::clamp(a.interval, 0, 3)] * ref_ms;
  m.max_in_flight = kInFlightBins[std::clamp(a.in_flight, 0, 2)];
  if (a.wait == 1 && m.k > 1) {
    m.min_tasks = m.k;
    m.max_delay_ms = kWaitDelayRef * ref_ms;
  }
  return m;
}

GraphChoice to_graph_choice(const ScheduleAction& a, const std::vector<std::string>& generators) {
  GraphChoice c;
  c.mode = a.mode == 0 ? GraphMode::kBatch : GraphMode::kMerge;
  if (!generators.empty()) c.generator = generators[std::clamp<size_t>(a.generator, 0, generators.size() - 1)];
  return c;
}

std::vector<int> argmax_heads(const float* logits, const std::vector<int>& heads) {
  std::vector<int> out;
  for (int n : heads) {
    out.push_back(static_cast<int>(std::max_element(logits, logits + n) - logits));
    logits += n;
  }
  return out;
}

}  // namespace top::rl

// A launch policy for runtime tests that waits for 1000 tasks per dequeue, so nothing
// runs until shutdown: tasks stay queued (a deadline can pass, a queue can fill).
#pragma once

#include <string>

#include "top/policy.h"

namespace top::testing {

class HoldPolicy final : public LaunchPolicy {
 public:
  std::string name() const override { return "hold"; }
  LaunchDecision decide(const LaunchObservation& obs) override {
    LaunchDecision d;
    d.models.assign(obs.models.size(), ModelLaunch{0, 1000, 1000, 1e9, 0});
    return d;
  }
};

}  // namespace top::testing

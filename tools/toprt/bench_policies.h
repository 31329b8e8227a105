// Policy specs of `toprt bench`: "fifo", "fixed:k=2,interval=0,instances=2",
// "dynbatch:batch=4,delay=2,instances=2", each with an optional graph=... key
// (merge-greedy, merge-sequential, batch-greedy, batch-sequential).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "top/policy.h"
#include "top/status.h"

namespace toprt {

struct PolicySpec {
  std::string label;  // as given on the command line
  std::shared_ptr<top::LaunchPolicy> launch;
  std::shared_ptr<top::GraphPolicy> graph;
  bool one_task_at_a_time = false;  // fifo: one stream with every thread (intra-op only)
};

top::Result<PolicySpec> parse_policy(const std::string& spec);
// Comma-separated specs are ambiguous with the keys' commas, so lists use ';'.
top::Result<std::vector<PolicySpec>> parse_policies(const std::string& specs);

}  // namespace toprt

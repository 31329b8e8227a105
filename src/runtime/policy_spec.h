// Policy specs: "fifo", "fixed:k=2,interval=0,instances=2",
// "dynbatch:batch=4,delay=2,instances=2", each with an optional graph=... key
// (merge-GENERATOR or batch-GENERATOR with any registered generator: merge-greedy,
// batch-sequential, ...). `toprt bench --policies` and the static baselines of rl/env
// (grid search in the simulator) build their policies from the same specs.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "top/policy.h"
#include "top/status.h"

namespace top::runtime {

// The most tasks one schedule instance may take (k= and batch= here, and the tools'
// --ks and --sweep-k): a merged graph or batch grows with k, and a typo like k=100000
// should be an error, not an allocation bomb.
constexpr int kMaxTasksPerInstance = 256;

struct PolicySpec {
  std::string label;  // as given on the command line
  std::shared_ptr<LaunchPolicy> launch;
  std::shared_ptr<GraphPolicy> graph;
  bool one_task_at_a_time = false;  // fifo: one stream with every thread (intra-op only)
};

Result<PolicySpec> parse_policy(const std::string& spec);

// Policy kinds defined outside src/ (rl/'s learned "top:ckpt=PATH"), registered by the
// program at start (top::rl::register_top_policy_kind). The factory gets the whole spec
// (for messages) and its key=value pairs; parse_policy sets the label. Thread safety:
// register before parsing on other threads.
// The value of `key` in a spec's keys as a number in [0, hi] (`def` when absent);
// `integral` refuses fractions. Checked before any cast to int, which is undefined out
// of range. For the kinds' factories too.
Result<double> policy_number(const std::map<std::string, std::string>& kv, const std::string& key, double def,
                             const std::string& spec, double hi, bool integral = false);
using PolicyKindFactory =
    std::function<Result<PolicySpec>(const std::string& spec, const std::map<std::string, std::string>& keys)>;
void register_policy_kind(const std::string& kind, PolicyKindFactory factory);
// Comma-separated specs are ambiguous with the keys' commas, so lists use ';'.
Result<std::vector<PolicySpec>> parse_policies(const std::string& specs);

}  // namespace top::runtime

// The per-model config file of a model repository (config.json next to the version
// folders). Every key is optional; an unknown key is an error (a typo must not be
// silently ignored).
//
//   {
//     "max_batch_size": 8,        tasks one instance may take (dynamic batching); 0/1: one
//     "max_queue_delay_ms": 2,    how long a dequeue waits for a fuller batch
//     "instance_count": 2,        instances of this model in flight at once
//     "policy": "fixed:k=2,instances=2,graph=merge-greedy",
//                                 a launch/graph policy spec as `toprt bench --policies`
//                                 takes (also "top:ckpt=PATH", the learned agents); it
//                                 replaces the three keys above, giving both is an error
//     "slo_ms": 50,               latency objective, seen by the (learned) policies
//     "queue_bound": 256,         requests waiting or running; more get 503 + Retry-After
//     "timeout_ms": 1000,         a request not started by then fails (504); 0: none
//     "version_policy": {"latest": 1} | {"all": {}} | {"specific": [1, 3]},
//     "default_model_filename": "model.onnx",
//     "platform": "onnx"
//   }
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::serve {

struct VersionPolicy {
  enum class Kind { kLatest, kAll, kSpecific };
  Kind kind = Kind::kLatest;
  int latest = 1;                  // kLatest: how many of the newest versions
  std::vector<int64_t> specific;   // kSpecific
};

struct ModelConfig {
  int max_batch_size = 0;
  double max_queue_delay_ms = 1;
  int instance_count = 2;
  std::string policy;  // empty: made from the three keys above (launch_policy_spec)
  double slo_ms = 0;
  int queue_bound = 256;
  double timeout_ms = 0;
  VersionPolicy version_policy;
  std::string default_model_filename = "model.onnx";
};

// `text` is the file's contents; `what` names it in messages.
Result<ModelConfig> parse_model_config(const std::string& text, const std::string& what);

// The policy spec the model runs under: `policy` when set, else dynamic batching
// (max_batch_size > 1) or one task per instance, `instance_count` instances.
std::string launch_policy_spec(const ModelConfig& config);

// Which of `available` (ascending) the policy serves.
std::vector<int64_t> select_versions(const VersionPolicy& policy, const std::vector<int64_t>& available);

}  // namespace top::serve

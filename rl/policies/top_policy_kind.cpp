#include "rl/policies/top_policy_kind.h"

#include "rl/policies/policy_guard.h"
#include "rl/policies/top_agents.h"
#include "runtime/policy_spec.h"

namespace top::rl {

namespace {

Result<runtime::PolicySpec> top_policy(const std::string& spec, const std::map<std::string, std::string>& keys) {
  for (const auto& [k, v] : keys)
    if (k != "ckpt" && k != "guard" && k != "fallback")
      return InvalidArgument("policy '" + spec + "': unknown key '" + k + "' (top takes ckpt, guard, fallback)");
  auto get = [&](const std::string& k, const std::string& def) {
    auto it = keys.find(k);
    return it == keys.end() ? def : it->second;
  };
  const std::string guard = get("guard", "on");
  if (guard != "on" && guard != "off" && guard != "absolute")
    return InvalidArgument("policy '" + spec + "': guard=on, guard=absolute or guard=off");
  Result<LearnedPolicies> learned = learned_policies(get("ckpt", default_top_checkpoint()));
  if (!learned.ok()) return learned.status().with_context("policy '" + spec + "'");
  runtime::PolicySpec out;
  if (guard == "off") {
    out.launch = learned->launch;
    out.graph = learned->graph;
    return out;
  }
  std::string fb = get("fallback", "dynbatch");
  if (size_t slash = fb.find('/'); slash != std::string::npos) {
    fb[slash] = ':';
    for (char& c : fb)
      if (c == '/') c = ',';
  }
  if (fb.rfind("fifo", 0) == 0 || fb.rfind("top", 0) == 0)
    return InvalidArgument("policy '" + spec + "': fallback must be a fixed or dynbatch policy");
  Result<runtime::PolicySpec> fallback = runtime::parse_policy(fb);
  if (!fallback.ok()) return fallback.status().with_context("policy '" + spec + "': fallback");
  GuardOptions options;
  options.comparative = guard == "on";
  GuardedPolicies g = guarded_policies(learned->launch, learned->graph, fallback->launch, fallback->graph, options);
  out.launch = g.launch;
  out.graph = g.graph;
  return out;
}

}  // namespace

void register_top_policy_kind() { runtime::register_policy_kind("top", top_policy); }

}  // namespace top::rl

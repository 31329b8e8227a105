#include "runtime/policy_spec.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <mutex>
#include <sstream>

#include "sched/registry.h"
#include "top/policy.h"

namespace top::runtime {

namespace {

constexpr double kMaxMilliseconds = 3.6e6;  // an hour between launches is already absurd
constexpr double kMaxInstances = 1024;      // schedule instances of one model in flight

Result<std::map<std::string, std::string>> parse_keys(const std::string& text, const std::string& spec) {
  std::map<std::string, std::string> kv;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos) return InvalidArgument("policy '" + spec + "': expected key=value, got '" + item + "'");
    kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kv;
}

std::mutex& kinds_mutex() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, PolicyKindFactory>& extra_kinds() {
  static std::map<std::string, PolicyKindFactory> kinds;
  return kinds;
}

}  // namespace

Result<double> policy_number(const std::map<std::string, std::string>& kv, const std::string& key, double def,
                             const std::string& spec, double hi, bool integral) {
  auto it = kv.find(key);
  if (it == kv.end()) return def;
  const std::string& text = it->second;
  char* end = nullptr;
  errno = 0;
  const double v = text.empty() ? NAN : std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v) || v < 0 || v > hi ||
      (integral && v != std::floor(v)))
    return InvalidArgument("policy '" + spec + "': " + key + "=" + text + " is not a" +
                                (integral ? "n integer" : " number") + " in [0, " + fmt::format("{:g}", hi) + "]");
  return v;
}

void register_policy_kind(const std::string& kind, PolicyKindFactory factory) {
  std::lock_guard<std::mutex> lock(kinds_mutex());
  extra_kinds()[kind] = std::move(factory);
}

Result<PolicySpec> parse_policy(const std::string& spec) {
  PolicySpec p;
  p.label = spec;
  size_t colon = spec.find(':');
  std::string kind = spec.substr(0, colon);
  TOP_ASSIGN_OR_RETURN(auto kv, parse_keys(colon == std::string::npos ? "" : spec.substr(colon + 1), spec));
  PolicyKindFactory extra;
  {
    std::lock_guard<std::mutex> lock(kinds_mutex());
    auto it = extra_kinds().find(kind);
    if (it != extra_kinds().end()) extra = it->second;
  }
  if (extra) {
    TOP_ASSIGN_OR_RETURN(PolicySpec q, extra(spec, kv));
    q.label = spec;
    return q;
  }
  std::string graph = kind == "dynbatch" ? "batch-greedy" : kind == "fifo" ? "merge-sequential" : "merge-greedy";
  if (kv.count("graph")) graph = kv["graph"];
  for (const auto& [k, v] : kv)
    if (k != "graph" && k != "k" && k != "interval" && k != "instances" && k != "batch" && k != "delay")
      return InvalidArgument("policy '" + spec + "': unknown key '" + k + "'");
  if (kind == "fifo") {
    p.launch = fifo_launch_policy();
    p.one_task_at_a_time = true;
  } else if (kind == "fixed") {
    TOP_ASSIGN_OR_RETURN(double k, policy_number(kv, "k", 2, spec, kMaxTasksPerInstance, true));
    TOP_ASSIGN_OR_RETURN(double interval, policy_number(kv, "interval", 0, spec, kMaxMilliseconds));
    TOP_ASSIGN_OR_RETURN(double instances, policy_number(kv, "instances", 2, spec, kMaxInstances, true));
    p.launch = fixed_launch_policy(interval, static_cast<int>(k), static_cast<int>(instances));
  } else if (kind == "dynbatch") {
    TOP_ASSIGN_OR_RETURN(double batch, policy_number(kv, "batch", 4, spec, kMaxTasksPerInstance, true));
    TOP_ASSIGN_OR_RETURN(double delay, policy_number(kv, "delay", 2, spec, kMaxMilliseconds));
    TOP_ASSIGN_OR_RETURN(double instances, policy_number(kv, "instances", 2, spec, kMaxInstances, true));
    p.launch = dynamic_batching_policy(static_cast<int>(batch), delay, static_cast<int>(instances));
  } else {
    std::string names = "fifo, fixed, dynbatch";
    {
      std::lock_guard<std::mutex> lock(kinds_mutex());
      for (const auto& [name, f] : extra_kinds()) names += ", " + name;
    }
    return InvalidArgument("unknown policy '" + kind + "' (available: " + names + ")");
  }
  size_t dash = graph.find('-');
  std::string mode = graph.substr(0, dash), gen = dash == std::string::npos ? "greedy" : graph.substr(dash + 1);
  if (mode != "merge" && mode != "batch")
    return InvalidArgument("policy '" + spec + "': graph=" + graph +
                                " (available: merge-GENERATOR or batch-GENERATOR, e.g. merge-greedy, batch-sequential)");
  // Any registered generator (sched/registry.h): greedy, sequential, ios-dp, gpg, ...
  if (Status st = sched::check_generator(gen); !st.ok())
    return InvalidArgument("policy '" + spec + "': graph=" + graph + ": " + st.message());
  p.graph = fixed_graph_policy(mode == "batch" ? GraphMode::kBatch : GraphMode::kMerge, gen);
  return p;
}

Result<std::vector<PolicySpec>> parse_policies(const std::string& specs) {
  std::vector<PolicySpec> out;
  std::stringstream ss(specs);
  std::string item;
  while (std::getline(ss, item, ';')) {
    if (item.empty()) continue;
    TOP_ASSIGN_OR_RETURN(PolicySpec p, parse_policy(item));
    out.push_back(std::move(p));
  }
  if (out.empty()) return InvalidArgument("no policy given");
  return out;
}

}  // namespace top::runtime

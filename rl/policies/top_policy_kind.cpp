#include "rl/policies/top_policy_kind.h"

#include <mutex>
#include <optional>

#include "rl/policies/policy_guard.h"
#include "rl/policies/top_agents.h"
#include "runtime/policy_spec.h"

namespace top::rl {

namespace {

std::mutex starter_mu;
FineTuneStarter& starter() {
  static FineTuneStarter s;
  return s;
}

// The learned launch policy, owning what must live as long as it (the fine-tuner).
class Owning : public LaunchPolicy {
 public:
  Owning(std::shared_ptr<LaunchPolicy> inner, std::shared_ptr<void> owned)
      : inner_(std::move(inner)), owned_(std::move(owned)) {}
  std::string name() const override { return inner_->name() + "+finetune"; }
  LaunchDecision decide(const LaunchObservation& obs) override { return inner_->decide(obs); }
  void on_feedback(const PolicyFeedback& f) override { inner_->on_feedback(f); }

 private:
  std::shared_ptr<LaunchPolicy> inner_;
  std::shared_ptr<void> owned_;
};

Result<runtime::PolicySpec> top_policy(const std::string& spec, const std::map<std::string, std::string>& keys) {
  for (const auto& [k, v] : keys)
    if (k != "ckpt" && k != "guard" && k != "fallback" && k != "finetune" && k != "finetune_every")
      return InvalidArgument("policy '" + spec + "': unknown key '" + k +
                             "' (top takes ckpt, guard, fallback, finetune, finetune_every)");
  auto get = [&](const std::string& k, const std::string& def) {
    auto it = keys.find(k);
    return it == keys.end() ? def : it->second;
  };
  const std::string guard = get("guard", "on");
  if (guard != "on" && guard != "off" && guard != "absolute")
    return InvalidArgument("policy '" + spec + "': guard=on, guard=absolute or guard=off");
  const std::string ckpt = get("ckpt", default_top_checkpoint()), finetune = get("finetune", "");
  if (keys.count("finetune_every") && finetune.empty())
    return InvalidArgument("policy '" + spec + "': finetune_every needs finetune=DIR");
  TOP_ASSIGN_OR_RETURN(const double every_s, runtime::policy_number(keys, "finetune_every", 30, spec, 86400));
  if (every_s <= 0) return InvalidArgument("policy '" + spec + "': finetune_every is seconds in (0, 86400]");
  std::optional<Exploration> explore;
  if (!finetune.empty()) explore = Exploration{0.02, 0.0, 1};  // mostly greedy: 2% random per head
  Result<LearnedPolicies> learned = learned_policies(ckpt, explore, /*record=*/!finetune.empty());
  if (!learned.ok()) return learned.status().with_context("policy '" + spec + "'");
  if (!finetune.empty()) {
    FineTuneStarter start;
    {
      std::lock_guard<std::mutex> lock(starter_mu);
      start = starter();
    }
    if (!start)
      return Unsupported("policy '" + spec + "': finetune needs a build with LibTorch (top_rl: register_top_finetuning())");
    Result<std::shared_ptr<void>> tuner = start(learned->agents, finetune, every_s, ckpt);
    if (!tuner.ok()) return tuner.status().with_context("policy '" + spec + "'");
    learned->launch = std::make_shared<Owning>(learned->launch, *tuner);
  }
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

void set_top_finetune_starter(FineTuneStarter s) {
  std::lock_guard<std::mutex> lock(starter_mu);
  starter() = std::move(s);
}

}  // namespace top::rl

#include "serve/core/policy_router.h"

#include <vector>

namespace top::serve {

class PolicyRouter::Launch : public LaunchPolicy {
 public:
  explicit Launch(PolicyRouter* router) : router_(router) {}
  std::string name() const override { return "per-model"; }

  LaunchDecision decide(const LaunchObservation& obs) override {
    std::lock_guard<std::mutex> lock(router_->mu_);
    LaunchDecision out;
    out.models.resize(obs.models.size());  // a model with no group yet: one task at a time
    std::map<std::string, std::vector<size_t>> members;
    for (size_t i = 0; i < obs.models.size(); ++i) {
      auto g = router_->group_of_.find(obs.models[i].model);
      if (g != router_->group_of_.end()) members[g->second].push_back(i);
    }
    for (const auto& [label, indices] : members) {
      LaunchObservation sub = obs;
      sub.models.clear();
      for (size_t i : indices) sub.models.push_back(obs.models[i]);
      const LaunchDecision d = router_->groups_.at(label).launch->decide(sub);
      if (d.models.size() != indices.size()) continue;  // a broken policy: keep the defaults
      for (size_t j = 0; j < indices.size(); ++j) out.models[indices[j]] = d.models[j];
      // A group's cap on instances in flight (fifo's 1) binds everyone: the tightest wins.
      if (d.max_in_flight_total > 0 && (out.max_in_flight_total == 0 || d.max_in_flight_total < out.max_in_flight_total))
        out.max_in_flight_total = d.max_in_flight_total;
    }
    return out;
  }

  void on_feedback(const PolicyFeedback& feedback) override {
    std::lock_guard<std::mutex> lock(router_->mu_);
    if (const Group* g = router_->group_for(feedback.model)) g->launch->on_feedback(feedback);
  }

 private:
  PolicyRouter* router_;
};

class PolicyRouter::Graph : public GraphPolicy {
 public:
  explicit Graph(PolicyRouter* router) : router_(router) {}
  std::string name() const override { return "per-model"; }

  GraphChoice choose(const GraphObservation& obs) override {
    std::lock_guard<std::mutex> lock(router_->mu_);
    const Group* g = router_->group_for(obs.model.model);
    return g ? g->graph->choose(obs) : GraphChoice{};
  }

  void on_feedback(const PolicyFeedback& feedback) override {
    std::lock_guard<std::mutex> lock(router_->mu_);
    if (const Group* g = router_->group_for(feedback.model)) g->graph->on_feedback(feedback);
  }

 private:
  PolicyRouter* router_;
};

PolicyRouter::PolicyRouter() : launch_(std::make_shared<Launch>(this)), graph_(std::make_shared<Graph>(this)) {}

const PolicyRouter::Group* PolicyRouter::group_for(const std::string& model) const {
  auto g = group_of_.find(model);
  return g == group_of_.end() ? nullptr : &groups_.at(g->second);
}

void PolicyRouter::set(const std::string& model, const std::string& spec_label, std::shared_ptr<LaunchPolicy> launch,
                       std::shared_ptr<GraphPolicy> graph) {
  std::lock_guard<std::mutex> lock(mu_);
  remove_locked(model);
  Group& g = groups_[spec_label];
  if (!g.launch) {
    g.launch = std::move(launch);
    g.graph = std::move(graph);
  }
  ++g.models;
  group_of_[model] = spec_label;
}

void PolicyRouter::remove(const std::string& model) {
  std::lock_guard<std::mutex> lock(mu_);
  remove_locked(model);
}

void PolicyRouter::remove_locked(const std::string& model) {
  auto it = group_of_.find(model);
  if (it == group_of_.end()) return;
  auto g = groups_.find(it->second);
  if (--g->second.models == 0) groups_.erase(g);  // a learned policy's state goes with its last model
  group_of_.erase(it);
}

}  // namespace top::serve

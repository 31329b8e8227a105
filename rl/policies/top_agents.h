// TOP's learned task launcher and model scheduler (issue #11) at decision time: two
// actors (rl/policies/mlp.h) trained with MADDPG (rl/train/maddpg_trainer.h), behind the
// runtime's LaunchPolicy and GraphPolicy interfaces.
//
//   auto p = top::rl::learned_policies("rl/checkpoints/top.json").value();
//   cfg.launch_policy = p.launch;  cfg.graph_policy = p.graph;   // RuntimeConfig or SimulatorConfig
//
// When the agents act. Both agents act together at decision ticks: the first launch
// round at or after the previous tick + tick_ref x (mean ref_ms over the models)
// (ref_ms: rl/features/agent_features.h; with SLO = 5x the single-task latency and
// tick_ref = 0.5, 2.5 single-task times; 0.1 gave ~14,000 nearly identical transitions
// per 30 s CPU episode and no better policies). Between ticks every launch round reuses the
// last decision. Why not every round: rounds come at every arrival and completion, so
// their spacing (and a per-round reward) would be noise, and a transition for MADDPG
// needs both agents' actions at one state; a tick in units of ref means the same on a
// CPU and on an H100. At a tick the launcher's actor picks, per model, k, the dequeue
// interval, the in-flight cap and whether to wait for a full group; then the scheduler's
// actor picks, per model, batch vs merge and the generator, reading the k just chosen.
// choose() returns the scheduler's pick for the group's model.
//
// Reward (training): per tick, (tasks finished within SLO - tasks that missed it - growth
// of the queued tasks already past their SLO - 0.5 x growth of the total queue) / streams:
// rl/env/episode.h's cooperative reward per tick, with each miss charged when the task
// becomes late rather than when it finishes. Charged at the finish only, a hopeless task
// cost less the later it ran (discounting), and v1-v3 learned to throttle a backlog of
// late tasks (one instance, the longest dequeue interval) where serving it at full speed
// saves the tasks behind it. The late tasks waiting are estimated from each model's queue
// length and oldest wait (arrivals taken as even over the wait): late_waiting_tasks().
//
// Thread safety: TopAgents serialises its methods with a mutex (the launch and graph
// policy share it); TopActors is immutable and shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "rl/checkpoint/checkpoint.h"
#include "rl/features/agent_features.h"
#include "rl/policies/agent_actions.h"
#include "rl/policies/mlp.h"
#include "top/policy.h"
#include "top/status.h"

namespace top::rl {

struct TopAgentsDims {
  int hidden = 64;  // two hidden layers of this width in each actor
  std::vector<std::string> generators = {"sequential", "greedy"};
  double tick_ref = 0.5;  // decision interval in units of the mean ref_ms
};
inline std::vector<int> launcher_sizes(const TopAgentsDims& d) {
  return {kActorContext, d.hidden, d.hidden, kLaunchActionSize};
}
inline std::vector<int> scheduler_sizes(const TopAgentsDims& d) {
  return {kActorContext + kSchedulerContext, d.hidden, d.hidden, kModeBins + static_cast<int>(d.generators.size())};
}
// Parameter names: "launcher.l<i>.{w,b}" then "scheduler.l<i>.{w,b}".
std::vector<ParamSpec> top_actor_parameter_specs(const TopAgentsDims& dims);
// Features, action bins and parameter layout; a checkpoint trained on others is refused.
uint64_t top_schema_hash();

// The two actors, immutable.
struct TopActors {
  TopAgentsDims dims;
  Mlp launcher, scheduler;
  // `params` in top_actor_parameter_specs(dims) order.
  static Result<std::shared_ptr<const TopActors>> create(const TopAgentsDims& dims,
                                                         std::vector<std::vector<float>> params);
};
// A checkpoint of kind "top" (rl/checkpoint/checkpoint.h). The manifest's "dims" holds
// "hidden", "tick_ref_milli" (tick_ref x 1000) and one "gen.<name>" per generator with its
// index; every generator must be registered (sched/registry.h) when the policy runs.
Result<std::shared_ptr<const TopActors>> load_top_actors(const std::string& manifest_path);
// The checkpoint load_top_actors reads: kind, schema hash, dims and the tensors (the
// trainer adds the training record to the manifest). `params` as for TopActors::create.
Checkpoint top_checkpoint(const TopAgentsDims& dims, const std::vector<std::vector<float>>& params);
// rl/checkpoints/top.json in the source tree, or $TOP_AGENTS_CHECKPOINT when set.
std::string default_top_checkpoint();

// Training-time behaviour: sample instead of argmax.
struct Exploration {
  double epsilon = 0.1;      // per head, a uniform random bin with this probability ...
  double temperature = 1.0;  // ... else a sample of softmax(logits / temperature)
  uint64_t seed = 1;
};

// One decision tick, as a training transition needs it.
struct AgentStep {
  AgentObservation obs;               // models in name order
  std::vector<float> launch_onehot;   // num_models x kLaunchActionSize
  std::vector<float> schedule_onehot; // num_models x (kModeBins + generators)
  double now_ms = 0;
  double reward = 0;  // earned between this tick and the next (see the header)
  bool last = false;  // the episode ended after it
};

class TopAgents {
 public:
  explicit TopAgents(std::shared_ptr<const TopActors> actors, std::optional<Exploration> explore = std::nullopt,
                     bool record = false);

  LaunchDecision decide(const LaunchObservation& obs);
  GraphChoice choose(const GraphObservation& obs);
  void on_feedback(const PolicyFeedback& f);

  // Recording (training): the steps so far, the last one closed with the reward earned
  // up to `end_queue_total` and marked last. Clears the record.
  std::vector<AgentStep> finish_episode(size_t end_queue_total);
  // Online fine-tuning (rl/train/online_finetuner.h): the steps recorded so far, the
  // episode going on. The last one is still open (its reward is being earned): it is
  // returned and also kept, to come back closed at the front of the next call, so
  // consecutive calls chain into transitions. Without calls, the record keeps the
  // latest kMaxRecordedSteps steps.
  std::vector<AgentStep> take_steps();
  static constexpr size_t kMaxRecordedSteps = 1 << 16;
  // Swaps in other actors (the same dims and generators), from the next tick on.
  Status set_actors(std::shared_ptr<const TopActors> actors);
  std::shared_ptr<const TopActors> current_actors() const;
  uint64_t ticks() const;

 private:
  void tick(const LaunchObservation& obs);  // mu_ held
  std::vector<int> pick(const float* logits, const std::vector<int>& heads);
  void close_step(size_t queue_total, double late_waiting);

  std::shared_ptr<const TopActors> actors_;
  std::optional<Exploration> explore_;
  std::mt19937_64 rng_;
  bool record_;
  mutable std::mutex mu_;
  std::vector<float> in_, out_, scratch_;
  double next_tick_ms_ = -1;
  uint64_t ticks_ = 0;
  std::map<std::string, ModelLaunch> launch_;     // per model, from the last tick
  std::map<std::string, GraphChoice> schedule_;
  // Reward bookkeeping since the last tick.
  double good_ = 0, missed_ = 0;
  size_t queue_at_tick_ = 0;
  double late_at_tick_ = 0;  // late_waiting_tasks at the last tick
  int streams_ = 1;
  std::vector<AgentStep> steps_;
};

// Queued tasks already past their model's SLO, estimated from each model's queue length
// and oldest wait as if arrivals were even over the wait (0 for models without an SLO).
double late_waiting_tasks(const LaunchObservation& obs);

struct LearnedPolicies {
  std::shared_ptr<LaunchPolicy> launch;
  std::shared_ptr<GraphPolicy> graph;
  std::shared_ptr<TopAgents> agents;  // shared by both
};
// Both policies over one TopAgents (greedy decisions unless `explore`).
LearnedPolicies learned_policies(std::shared_ptr<const TopActors> actors, std::optional<Exploration> explore = std::nullopt,
                                 bool record = false);
Result<LearnedPolicies> learned_policies(const std::string& manifest_path, std::optional<Exploration> explore = std::nullopt,
                                         bool record = false);

}  // namespace top::rl

// Online fine-tuning of TOP's learned launcher and scheduler (issue #11; off by default):
// the agents keep learning from the live runtime's own decision ticks.
//
//   auto lp = learned_policies(actors, Exploration{0.02, 0, seed}, /*record=*/true);
//   OnlineFineTuner tuner(lp.agents, options, "rl/checkpoints/top.json");
//   tuner.start();            // a background thread: cycle() every options.every_s
//   ... the runtime runs lp.launch / lp.graph (usually behind the guard) ...
//
// A cycle takes the ticks recorded since the last one (TopAgents::take_steps) into a
// bounded replay buffer and runs MADDPG updates (rl/train/maddpg_learner.h). The critics
// are not in a checkpoint, so the first critic_warmup_updates train the critics only;
// after that every cycle also steps the actors, swaps them into the agents (the next tick
// uses them) and writes a checkpoint DIR/top-finetuned-<cycle>.json, keeping the newest
// `keep`. Each cycle logs (spdlog, info) what it did and what changed: transitions, critic
// loss, and the share of the launcher's and scheduler's decisions that the new actors
// make differently from the old ones on the latest 256 live states.
// Costs: one LibTorch intra-op thread; an update of a batch of 256 takes ~13 ms on one
// core here, so 32 updates every 30 s take ~1.5% of a core from inference.
// Keep the guard on (top:...,finetune=DIR is guarded like top): drift from a few minutes
// of one traffic pattern is what it is there for.
// Thread safety: cycle() and stats() may be called from any thread (a mutex serialises
// cycles); the destructor stops and joins the background thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "rl/policies/top_agents.h"
#include "rl/train/maddpg_learner.h"
#include "top/status.h"

namespace top::rl {

struct FineTuneOptions {
  std::string dir;                   // rotated checkpoints (created if missing); required
  double every_s = 30;               // seconds between cycles of the background thread
  int updates_per_cycle = 32;
  int critic_warmup_updates = 256;   // critic-only updates before the actors change
  int keep = 3;                      // checkpoints kept in dir
  LearnerOptions learner = [] {
    LearnerOptions o;
    o.replay = 20000;                // live transitions: minutes, not a training run
    o.lr_actor = 5e-5;               // smaller steps than training: the actors start trained
    return o;
  }();
};

struct FineTuneStats {
  uint64_t cycles = 0, transitions = 0, critic_updates = 0, actor_updates = 0, checkpoints = 0;
  double last_critic_loss = 0;
  double last_launch_changed = 0, last_schedule_changed = 0;  // share of decisions, last cycle
  std::string last_checkpoint;
};

class OnlineFineTuner {
 public:
  // `agents` must record (learned_policies(..., record = true)); `source` names the
  // checkpoint it starts from (written into every fine-tuned manifest).
  OnlineFineTuner(std::shared_ptr<TopAgents> agents, FineTuneOptions options, std::string source);
  ~OnlineFineTuner();
  OnlineFineTuner(const OnlineFineTuner&) = delete;
  OnlineFineTuner& operator=(const OnlineFineTuner&) = delete;

  // Checks the options and the directory, then starts the background thread.
  Status start();
  // One cycle now (the background thread calls it; tests too).
  Status cycle();
  FineTuneStats stats() const;

 private:
  Status publish();  // cycle_mu_ held
  Status load_status_;  // the live actors loaded into the learner
  std::shared_ptr<TopAgents> agents_;
  FineTuneOptions o_;
  std::string source_;
  MaddpgLearner learner_;
  mutable std::mutex cycle_mu_;  // one cycle at a time; guards stats_
  FineTuneStats stats_;
  std::deque<AgentObservation> recent_;  // the latest kRecentStates states seen, to measure change
  static constexpr size_t kRecentStates = 256;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Lets policy specs say top:...,finetune=DIR[,finetune_every=S] (rl/policies/top_policy_kind.h):
// call once at program start in a build with LibTorch (toprt does).
void register_top_finetuning();

}  // namespace top::rl

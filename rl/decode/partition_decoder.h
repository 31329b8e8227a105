// The GPG decoder's state machine: builds a stage partition one decision at a time, and
// offers only the decisions that keep it valid, so every partition it emits passes
// exec::validate by construction — whatever scores the network gives the candidates.
//
// A stage is under construction, with groups g_0..g_{m-1} (m <= streams). A decision is
// either
//   * place (u, j): u is an operator not yet placed whose producers are all placed. When
//     some of them are in the current stage they must all be in one group j (u runs after
//     them on that stream) and only j is offered; otherwise every open group j is offered,
//     and a new group while m < streams;
//   * close the stage: offered when the stage is non-empty. Placing the last operator
//     closes the final stage by itself.
// This space holds the sequential partition, greedy's wavefronts and IOS's stages (all
// but merged convolutions), so restricting to it excludes nothing good.
//
// Only the kMaxReadyCandidates most critical placeable operators (longest path to the
// sink first, then node id) are offered at a time: a wide graph (RandWire k = 4 has
// hundreds of ready operators) would otherwise cost hundreds of candidates per decision,
// and list schedulers pick among the critical ones anyway. The others come up as those
// are placed. (The cap is part of the decoder's schema: rl::gpg_schema_hash.)
//
// Each candidate carries kStepFeatures numbers about the decision in context (what the
// network's scorer reads next to the operator's embedding): whether it closes, opens a
// group or follows a producer, the group's load and the stage's slowest group before and
// after, the operator's latency and path to the sink against the critical path, how full
// the stage is, how much is left. Loads are the predicted latency alone per operator
// (GraphFeatures::op_ms).
//
//   PartitionDecoder d(tg, features.op_ms, features.critical_path_ms, streams);
//   while (!d.done()) d.apply(pick(d.candidates()));   // any index is valid
//   exec::Schedule s = d.schedule("gpg").value();
//
// Cost per decision: O(ready operators x (groups + fan-in)). Not thread-safe; one per
// rollout.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "top/status.h"

namespace top::rl {

constexpr int kStepFeatures = 13;
constexpr int kMaxReadyCandidates = 16;

struct Candidate {
  static constexpr int kClose = -1;
  int node = kClose;  // TaskGraph node to place, or kClose
  int group = 0;      // group in the current stage; == open groups: a new group
  std::array<float, kStepFeatures> features{};
};

const std::vector<std::string>& step_feature_names();

class PartitionDecoder {
 public:
  // op_ms: per TaskGraph node (non-negative); critical_path_ms: the longest path of op_ms
  // (scales the features; <= 0 uses the sum). InvalidArgument through status() when the
  // sizes disagree or streams < 1.
  PartitionDecoder(const exec::TaskGraph& g, std::vector<double> op_ms, std::vector<double> to_sink_ms,
                   double critical_path_ms, int streams);

  const Status& status() const { return status_; }
  bool done() const { return placed_count_ == num_nodes_ && stage_ops_ == 0; }
  // The decisions offered now (never empty before done()).
  const std::vector<Candidate>& candidates() const { return candidates_; }
  // Takes candidates()[choice]. InvalidArgument when done or choice is out of range.
  Status apply(size_t choice);
  size_t decisions() const { return decisions_; }

  // The finished partition (InvalidArgument before done()).
  Result<exec::Schedule> schedule(const std::string& generator) const;

 private:
  void refresh_candidates();
  void close_stage();
  // The single group u must join (its producers in the current stage), -1 when none is
  // required, -2 when they are split over two groups (u must wait for the next stage).
  int required_group(int u) const;
  float scaled(double ms) const;

  const exec::TaskGraph* g_;
  std::vector<double> op_ms_, to_sink_ms_;
  double cp_ms_ = 1;
  int streams_ = 1;
  int num_nodes_ = 0;
  Status status_;

  std::vector<int> pending_preds_;  // producers not yet placed
  std::vector<int> stage_of_;       // -1 while unplaced
  std::vector<int> group_of_;
  std::vector<int> ready_;          // unplaced, every producer placed
  int placed_count_ = 0;

  std::vector<exec::Stage> stages_;
  std::vector<std::vector<int>> groups_;  // the current stage
  std::vector<double> loads_;
  int stage_ops_ = 0;
  size_t decisions_ = 0;
  std::vector<Candidate> candidates_;
};

}  // namespace top::rl

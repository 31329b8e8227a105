#include "rl/decode/partition_decoder.h"

#include <algorithm>
#include <cmath>

namespace top::rl {

const std::vector<std::string>& step_feature_names() {
  static const std::vector<std::string> names = {
      "close",          "new_group",       "follows_producer", "group_load_rel", "group_load_after_rel",
      "stage_growth",   "op_ms",           "op_to_sink",       "groups_used",    "ready_ops",
      "fraction_done",  "stage_ms",        "stage_placeable",
  };
  return names;
}

PartitionDecoder::PartitionDecoder(const exec::TaskGraph& g, std::vector<double> op_ms,
                                   std::vector<double> to_sink_ms, double critical_path_ms, int streams)
    : g_(&g), op_ms_(std::move(op_ms)), to_sink_ms_(std::move(to_sink_ms)), streams_(streams) {
  num_nodes_ = static_cast<int>(g.ops.size());
  if (streams < 1) {
    status_ = InvalidArgument("partition decoder: streams " + std::to_string(streams) + " (must be >= 1)");
  } else if (op_ms_.size() != g.ops.size() || to_sink_ms_.size() != g.ops.size() || g.preds.size() != g.ops.size() ||
             g.succs.size() != g.ops.size()) {
    status_ = InvalidArgument("partition decoder: " + std::to_string(op_ms_.size()) + " latencies and " +
                              std::to_string(to_sink_ms_.size()) + " path lengths for a task graph of " +
                              std::to_string(g.ops.size()) + " operators");
  }
  if (!status_.ok()) {
    num_nodes_ = 0;
    return;
  }
  double sum = 0;
  for (double& v : op_ms_) {
    if (!std::isfinite(v) || v < 0) v = 0;
    sum += v;
  }
  cp_ms_ = critical_path_ms > 0 && std::isfinite(critical_path_ms) ? critical_path_ms : sum;
  if (cp_ms_ <= 0) cp_ms_ = 1;
  pending_preds_.resize(num_nodes_);
  stage_of_.assign(num_nodes_, -1);
  group_of_.assign(num_nodes_, -1);
  for (int i = 0; i < num_nodes_; ++i) {
    pending_preds_[i] = static_cast<int>(g.preds[i].size());
    if (pending_preds_[i] == 0) ready_.push_back(i);
  }
  refresh_candidates();
}

float PartitionDecoder::scaled(double ms) const { return static_cast<float>(std::min(1.0, std::max(0.0, ms / cp_ms_))); }

int PartitionDecoder::required_group(int u) const {
  const int stage = static_cast<int>(stages_.size());
  int required = -1;
  for (int p : g_->preds[u]) {
    if (stage_of_[p] != stage) continue;
    if (required == -1)
      required = group_of_[p];
    else if (required != group_of_[p])
      return -2;
  }
  return required;
}

void PartitionDecoder::refresh_candidates() {
  candidates_.clear();
  if (placed_count_ == num_nodes_) return;
  const int m = static_cast<int>(groups_.size());
  const double stage_max = loads_.empty() ? 0.0 : *std::max_element(loads_.begin(), loads_.end());
  // Context shared by every candidate.
  std::array<float, kStepFeatures> base{};
  base[8] = static_cast<float>(m) / streams_;
  base[9] = std::min(1.0f, static_cast<float>(ready_.size()) / (4.0f * streams_));
  base[10] = static_cast<float>(placed_count_) / std::max(1, num_nodes_);
  base[11] = scaled(stage_max);
  int placeable = 0;
  std::vector<int> required(ready_.size());
  for (size_t r = 0; r < ready_.size(); ++r) {
    required[r] = required_group(ready_[r]);
    if (required[r] != -2) ++placeable;
  }
  base[12] = std::min(1.0f, static_cast<float>(placeable) / (4.0f * streams_));

  auto add = [&](int u, int j) {
    Candidate c;
    c.node = u;
    c.group = j;
    c.features = base;
    const bool fresh = j == m;
    const double load = fresh ? 0.0 : loads_[j];
    const double after = load + op_ms_[u];
    c.features[1] = fresh ? 1.0f : 0.0f;
    bool follows = false;
    if (!fresh)
      for (int p : g_->preds[u]) follows = follows || (stage_of_[p] == static_cast<int>(stages_.size()) && group_of_[p] == j);
    c.features[2] = follows ? 1.0f : 0.0f;
    c.features[3] = stage_max > 0 ? static_cast<float>(load / stage_max) : 0.0f;
    c.features[4] = stage_max > 0 ? static_cast<float>(std::min(4.0, after / stage_max) / 4.0) : 0.25f;
    c.features[5] = scaled(std::max(0.0, after - stage_max));
    c.features[6] = scaled(op_ms_[u]);
    c.features[7] = scaled(to_sink_ms_[u]);
    candidates_.push_back(c);
  };
  // The most critical placeable operators (longest path to the sink first).
  std::vector<size_t> offered;
  for (size_t r = 0; r < ready_.size(); ++r)
    if (required[r] != -2) offered.push_back(r);
  auto more_critical = [&](size_t a, size_t b) {
    const int u = ready_[a], v = ready_[b];
    return to_sink_ms_[u] != to_sink_ms_[v] ? to_sink_ms_[u] > to_sink_ms_[v] : u < v;
  };
  if (offered.size() > static_cast<size_t>(kMaxReadyCandidates)) {
    std::partial_sort(offered.begin(), offered.begin() + kMaxReadyCandidates, offered.end(), more_critical);
    offered.resize(kMaxReadyCandidates);
  } else {
    std::sort(offered.begin(), offered.end(), more_critical);
  }
  for (size_t r : offered) {
    const int u = ready_[r];
    if (required[r] >= 0) {
      add(u, required[r]);
      continue;
    }
    for (int j = 0; j < m; ++j) add(u, j);
    if (m < streams_) add(u, m);
  }
  if (stage_ops_ > 0) {
    Candidate c;
    c.node = Candidate::kClose;
    c.group = 0;
    c.features = base;
    c.features[0] = 1.0f;
    candidates_.push_back(c);
  }
}

void PartitionDecoder::close_stage() {
  exec::Stage st;
  for (const auto& grp : groups_) {
    exec::Group out;
    for (int u : grp) out.ops.push_back(g_->ops[u]);
    st.groups.push_back(std::move(out));
  }
  stages_.push_back(std::move(st));
  groups_.clear();
  loads_.clear();
  stage_ops_ = 0;
}

Status PartitionDecoder::apply(size_t choice) {
  if (!status_.ok()) return status_;
  if (done()) return InvalidArgument("partition decoder: the partition is already complete");
  if (choice >= candidates_.size())
    return InvalidArgument("partition decoder: choice " + std::to_string(choice) + " of " +
                           std::to_string(candidates_.size()) + " candidates");
  const Candidate c = candidates_[choice];
  ++decisions_;
  if (c.node == Candidate::kClose) {
    close_stage();
  } else {
    const int u = c.node;
    if (c.group == static_cast<int>(groups_.size())) {
      groups_.emplace_back();
      loads_.push_back(0);
    }
    groups_[c.group].push_back(u);
    loads_[c.group] += op_ms_[u];
    stage_of_[u] = static_cast<int>(stages_.size());
    group_of_[u] = c.group;
    ++stage_ops_;
    ++placed_count_;
    ready_.erase(std::find(ready_.begin(), ready_.end(), u));
    for (int s : g_->succs[u])
      if (--pending_preds_[s] == 0) ready_.push_back(s);
    if (placed_count_ == num_nodes_) close_stage();
  }
  refresh_candidates();
  return Status::Ok();
}

Result<exec::Schedule> PartitionDecoder::schedule(const std::string& generator) const {
  if (!status_.ok()) return status_;
  if (!done())
    return InvalidArgument("partition decoder: " + std::to_string(num_nodes_ - placed_count_) +
                              " operators are not placed yet");
  exec::Schedule s;
  s.plan = g_->plan;
  s.num_tasks = g_->num_tasks;
  s.stages = stages_;
  s.generator = generator;
  return s;
}

}  // namespace top::rl

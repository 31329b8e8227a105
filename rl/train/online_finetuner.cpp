#include "rl/train/online_finetuner.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fmt/format.h>

#include "rl/checkpoint/checkpoint.h"
#include "rl/policies/top_policy_kind.h"

namespace top::rl {

namespace fs = std::filesystem;

namespace {

// The greedy choice of every head of both actors for model m of `o`; the scheduler reads
// the k its own launcher chose.
std::vector<int> greedy_heads(const TopActors& a, const AgentObservation& o, int m, std::vector<float>& in,
                              std::vector<float>& out, std::vector<float>& scratch) {
  in.assign(kActorContext + kSchedulerContext, 0.0f);
  out.resize(std::max(kLaunchActionSize, a.scheduler.outputs()));
  actor_context(o, m, in.data());
  a.launcher.forward(in.data(), out.data(), scratch);
  std::vector<int> heads = argmax_heads(out.data(), launch_heads());
  in[kActorContext + heads[0]] = 1.0f;
  a.scheduler.forward(in.data(), out.data(), scratch);
  for (int s : argmax_heads(out.data(), scheduler_heads(a.dims.generators.size()))) heads.push_back(s);
  return heads;
}

}  // namespace

OnlineFineTuner::OnlineFineTuner(std::shared_ptr<TopAgents> agents, FineTuneOptions options, std::string source)
    : agents_(std::move(agents)),
      o_(std::move(options)),
      source_(std::move(source)),
      learner_(agents_->current_actors()->dims, o_.learner) {
  // The learner's actors start where the live ones are (its critics start fresh).
  const TopActors& a = *agents_->current_actors();
  std::vector<std::vector<float>> params = a.launcher.params();
  for (auto& p : a.scheduler.params()) params.push_back(p);
  load_status_ = learner_.load_actors(params);
}

OnlineFineTuner::~OnlineFineTuner() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status OnlineFineTuner::start() {
  TOP_RETURN_IF_ERROR(load_status_.with_context("top fine-tuning"));
  if (o_.dir.empty()) return InvalidArgument("top fine-tuning: no checkpoint directory (finetune=DIR)");
  if (!(o_.every_s > 0) || o_.updates_per_cycle < 1 || o_.keep < 1 || o_.critic_warmup_updates < 0)
    return InvalidArgument("top fine-tuning: every_s > 0, updates_per_cycle >= 1, keep >= 1, warm-up >= 0");
  std::error_code ec;
  fs::create_directories(o_.dir, ec);
  if (ec || !fs::is_directory(o_.dir))
    return NotFound("top fine-tuning: cannot create checkpoint directory '" + o_.dir + "'");
  if (thread_.joinable()) return InvalidArgument("top fine-tuning: already started");
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(stop_mu_);
    while (!stop_cv_.wait_for(lock, std::chrono::duration<double>(o_.every_s), [this] { return stop_; })) {
      lock.unlock();
      if (Status s = cycle(); !s.ok()) spdlog::warn("top fine-tuning: cycle failed: {}", s.to_string());
      lock.lock();
    }
  });
  spdlog::info("top fine-tuning: every {:g} s, {} updates per cycle, checkpoints in {} (newest {} kept), from {}",
               o_.every_s, o_.updates_per_cycle, o_.dir, o_.keep, source_);
  return Status::Ok();
}

Status OnlineFineTuner::cycle() {
  std::lock_guard<std::mutex> lock(cycle_mu_);
  TOP_RETURN_IF_ERROR(load_status_.with_context("top fine-tuning"));
  // One intra-op thread: small tensors, and the cores belong to inference.
  torch::set_num_threads(1);
  const std::vector<AgentStep> steps = agents_->take_steps();
  const size_t added = learner_.add(steps, /*ended=*/false);
  // The open last step comes back next time: remember each state once.
  for (size_t i = 0; i + 1 < steps.size(); ++i) {
    recent_.push_back(steps[i].obs);
    if (recent_.size() > kRecentStates) recent_.pop_front();
  }
  ++stats_.cycles;
  stats_.transitions += added;
  if (learner_.buffer_size() < static_cast<size_t>(std::max(1, o_.learner.batch))) {
    spdlog::info("top fine-tuning: cycle {}: +{} transitions, {} of {} needed before updating", stats_.cycles, added,
                 learner_.buffer_size(), o_.learner.batch);
    return Status::Ok();
  }
  if (stats_.critic_updates < static_cast<uint64_t>(o_.critic_warmup_updates)) {
    stats_.last_critic_loss = learner_.update(o_.updates_per_cycle, /*critics_only=*/true);
    stats_.critic_updates += static_cast<uint64_t>(o_.updates_per_cycle);
    spdlog::info("top fine-tuning: cycle {}: +{} transitions (buffer {}), critic warm-up {}/{}, critic loss {:.4f}",
                 stats_.cycles, added, learner_.buffer_size(), stats_.critic_updates, o_.critic_warmup_updates,
                 stats_.last_critic_loss);
    return Status::Ok();
  }
  stats_.last_critic_loss = learner_.update(o_.updates_per_cycle);
  stats_.critic_updates += static_cast<uint64_t>(o_.updates_per_cycle);
  stats_.actor_updates += static_cast<uint64_t>(o_.updates_per_cycle);
  TOP_RETURN_IF_ERROR(publish());
  spdlog::info("top fine-tuning: cycle {}: +{} transitions (buffer {}), critic loss {:.4f}; the new actors decide "
               "{:.1f}% of launcher heads and {:.1f}% of scheduler heads differently on the latest {} states; {}",
               stats_.cycles, added, learner_.buffer_size(), stats_.last_critic_loss, 100 * stats_.last_launch_changed,
               100 * stats_.last_schedule_changed, recent_.size(), stats_.last_checkpoint);
  return Status::Ok();
}

Status OnlineFineTuner::publish() {
  const std::shared_ptr<const TopActors> old = agents_->current_actors();
  std::vector<std::vector<float>> params = learner_.actor_params();
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const TopActors> fresh, TopActors::create(old->dims, params));
  // What changed: the greedy decisions of the old and new actors on this cycle's states.
  std::vector<float> in, out, scratch;
  uint64_t launch_heads_seen = 0, launch_changed = 0, schedule_seen = 0, schedule_changed = 0;
  for (const AgentObservation& state : recent_) {
    for (int m = 0; m < state.num_models; ++m) {
      const std::vector<int> a = greedy_heads(*old, state, m, in, out, scratch);
      const std::vector<int> b = greedy_heads(*fresh, state, m, in, out, scratch);
      for (size_t h = 0; h < a.size(); ++h) {
        const bool launcher = h < launch_heads().size();
        (launcher ? launch_heads_seen : schedule_seen) += 1;
        if (a[h] != b[h]) (launcher ? launch_changed : schedule_changed) += 1;
      }
    }
  }
  stats_.last_launch_changed = launch_heads_seen ? static_cast<double>(launch_changed) / launch_heads_seen : 0;
  stats_.last_schedule_changed = schedule_seen ? static_cast<double>(schedule_changed) / schedule_seen : 0;
  TOP_RETURN_IF_ERROR(agents_->set_actors(fresh));

  Checkpoint ck = top_checkpoint(fresh->dims, params);
  CheckpointManifest m = training_manifest("top", top_schema_hash(), {}, "online fine-tuning of " + source_, 0, "");
  m.dims = ck.manifest.dims;
  m.results = {{"fine_tuned_from", source_},
               {"cycles", stats_.cycles},
               {"live_transitions", stats_.transitions},
               {"actor_updates", stats_.actor_updates},
               {"critic_loss", stats_.last_critic_loss}};
  ck.manifest = m;
  const std::string path = (fs::path(o_.dir) / fmt::format("top-finetuned-{:06d}.json", stats_.cycles)).string();
  TOP_RETURN_IF_ERROR(write_checkpoint(path, ck).with_context("top fine-tuning"));
  ++stats_.checkpoints;
  stats_.last_checkpoint = path;
  // Rotation: the names sort by cycle; drop all but the newest `keep`.
  std::vector<fs::path> written;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(o_.dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("top-finetuned-", 0) == 0 && e.path().extension() == ".json") written.push_back(e.path());
  }
  std::sort(written.begin(), written.end());
  for (size_t i = 0; i + static_cast<size_t>(o_.keep) < written.size(); ++i) {
    fs::remove(written[i], ec);
    fs::remove(fs::path(written[i]).replace_extension(".bin"), ec);
  }
  return Status::Ok();
}

FineTuneStats OnlineFineTuner::stats() const {
  std::lock_guard<std::mutex> lock(cycle_mu_);
  return stats_;
}

void register_top_finetuning() {
  set_top_finetune_starter([](std::shared_ptr<TopAgents> agents, const std::string& dir, double every_s,
                              const std::string& source) -> Result<std::shared_ptr<void>> {
    FineTuneOptions o;
    o.dir = dir;
    o.every_s = every_s;
    auto tuner = std::make_shared<OnlineFineTuner>(std::move(agents), o, source);
    TOP_RETURN_IF_ERROR(tuner->start());
    return std::shared_ptr<void>(tuner);
  });
}

}  // namespace top::rl

#include "sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "backend/sim/virtual_executor.h"
#include "runtime/launcher_core.h"
#include "runtime/metrics.h"
#include "runtime/schedule_cache.h"

namespace top::sim {

namespace {

using runtime::Clock;
using TimePoint = Clock::time_point;
using backend::sim::TimedSchedule;
using backend::sim::VirtualExecutor;

// Virtual time is counted from a zero epoch in whole nanoseconds (as the runtime's
// clock), so the launcher's pacing and batching deadlines compare exactly.
const TimePoint kEpoch{};
const TimePoint kNever = TimePoint::max();

TimePoint at_seconds(double s) { return kEpoch + std::chrono::nanoseconds(std::llround(s * 1e9)); }
// Operator events round up: the executor is never asked to go back in time.
TimePoint at_ms_ceil(double ms) { return kEpoch + std::chrono::nanoseconds(static_cast<int64_t>(std::ceil(ms * 1e6))); }
double ms_of(TimePoint t) { return runtime::ms_between(kEpoch, t); }

struct ModelState {
  runtime::ModelQueue q;
  std::unique_ptr<runtime::ScheduleCache> cache;
  std::vector<Shape> shapes;
  std::vector<uint64_t> active;  // executor ids of its running instances
};

struct RunningInstance {
  ModelState* model = nullptr;
  std::vector<runtime::QueuedTask> tasks;
};

class Simulation {
 public:
  Simulation(const SimulatorConfig& cfg, const std::vector<SimulatedModel>& models)
      : cfg_(cfg),
        metrics_(cfg.num_streams, kEpoch),
        core_(kEpoch, cfg.max_in_flight_instances > 0 ? cfg.max_in_flight_instances : 2 * cfg.num_streams, &metrics_),
        executor_(cfg.num_streams, cfg.dispatch ? *cfg.dispatch
                                                : backend::sim::default_dispatch(*cfg.cost_model, cfg.num_streams,
                                                                                 cfg.threads_per_stream)) {
    executor_.set_stream_busy_hook([this](int s, double b, double e) {
      metrics_.on_stream_busy(s, runtime::plus_ms(kEpoch, b), runtime::plus_ms(kEpoch, e));
    });
    for (const SimulatedModel& m : models) {
      auto st = std::make_unique<ModelState>();
      st->q.name = m.name;
      st->q.metrics_index = metrics_.add_model(m.name);
      st->q.batchable = runtime::is_batchable(*m.model.graph());
      st->q.graph = runtime::graph_shape_stats(*m.model.graph());
      st->q.slo_ms = m.slo_ms;
      st->cache = std::make_unique<runtime::ScheduleCache>(m.model.graph(), cfg.num_streams, cfg.cost_model,
                                                           cfg.threads_per_stream);
      st->shapes = m.input_shapes;
      ModelState* raw = st.get();
      st->q.mean_progress = [this, raw] {
        if (raw->active.empty()) return 0.0;
        double p = 0;
        for (uint64_t id : raw->active) p += executor_.progress(id);
        return p / static_cast<double>(raw->active.size());
      };
      models_.push_back(std::move(st));
    }
  }

  SimulationResult run(const std::vector<double>& times_s, const std::vector<int>& which) {
    SimulationResult r;
    if (!times_s.empty()) r.first_arrival_s = times_s.front();
    size_t next = 0;
    TimePoint now = kEpoch, wake = kNever, last_done = kEpoch;
    std::vector<uint64_t> finished;
    for (;;) {
      const bool arrivals_left = next < times_s.size();
      const TimePoint t_arrival = arrivals_left ? at_seconds(times_s[next]) : kNever;
      const double t_op_ms = executor_.next_event_ms();
      const TimePoint t_op = t_op_ms < VirtualExecutor::kNever ? at_ms_ceil(t_op_ms) : kNever;
      const bool idle = !arrivals_left && executor_.in_flight() == 0 && core_.in_flight_instances() == 0 &&
                        std::all_of(models_.begin(), models_.end(), [](const auto& m) { return m->q.queue.empty(); });
      if (idle) break;
      TimePoint t = std::min({t_arrival, t_op, wake});
      if (t == kNever) break;  // cannot happen while work is left; a guard against a stuck loop
      now = std::max(now, t);
      bool round_due = now >= wake;

      finished.clear();
      executor_.advance_to(ms_of(now), finished);
      for (uint64_t id : finished) {
        finish_instance(id, now, r);
        last_done = now;
        round_due = true;
      }
      while (next < times_s.size() && at_seconds(times_s[next]) <= now) {
        admit(*models_[static_cast<size_t>(which[next])], now, r);
        ++next;
        round_due = true;
        if (next == times_s.size())
          for (const auto& m : models_) r.backlog_at_last_arrival += m->q.queue.size();
      }
      if (!round_due) continue;
      const bool draining = cfg_.drain_after_last_arrival && next == times_s.size();
      // As the runtime's launcher: after a round that launched, another one at once.
      for (;;) {
        ++r.launch_rounds;
        std::vector<runtime::ModelQueue*> queues;
        for (const auto& m : models_) queues.push_back(&m->q);
        runtime::ExecutorView view{executor_.num_streams(), executor_.busy_streams(), executor_.ready_groups()};
        runtime::LaunchRound round =
            core_.launch_round(now, std::move(queues), view, *cfg_.launch_policy, *cfg_.graph_policy, draining);
        r.failed += round.expired.size();  // already counted by the metrics
        wake = round.wake;
        if (round.launches.empty()) break;
        if (cfg_.decision_cost_ms > 0) {
          now = runtime::plus_ms(now, cfg_.decision_cost_ms);
          finished.clear();
          executor_.advance_to(ms_of(now), finished);
          for (uint64_t id : finished) {
            finish_instance(id, now, r);
            last_done = now;
          }
        }
        for (runtime::LaunchBatch& b : round.launches) launch(b, now, r);
      }
    }
    r.last_completion_s = ms_of(last_done) / 1e3;
    r.stats = metrics_.snapshot(last_done);
    for (ModelStats& ms : r.stats.models)
      for (const auto& m : models_)
        if (m->q.name == ms.model) {
          ms.queue_length = m->q.queue.size();
          ms.in_flight = m->q.in_flight_tasks;
        }
    r.operator_events = operator_events_;
    return r;
  }

 private:
  void notify(const PolicyFeedback& f) { runtime::deliver_feedback(f, *cfg_.launch_policy, *cfg_.graph_policy); }

  void admit(ModelState& m, TimePoint now, SimulationResult& r) {
    if (m.q.queue.size() >= cfg_.queue_capacity) {
      metrics_.on_reject(m.q.metrics_index);
      r.rejected++;
      return;
    }
    runtime::QueuedTask t;
    t.id = next_task_id_++;
    t.shapes = m.shapes;
    t.submitted = now;
    m.q.push(std::move(t), now);
    metrics_.on_submit(m.q.metrics_index, m.q.queue.size(), now);
  }

  // The runtime's start_instance without the tensors: batch or merge, schedule from the
  // cache, onto the (virtual) streams.
  void launch(runtime::LaunchBatch& b, TimePoint now, SimulationResult& r) {
    ModelState& m = *std::find_if(models_.begin(), models_.end(), [&](const auto& s) { return &s->q == b.model; })->get();
    const int k = static_cast<int>(b.tasks.size());
    const bool batch = b.choice.mode == GraphMode::kBatch && m.q.batchable && k > 1;
    std::vector<Shape> shapes = b.tasks[0].shapes;
    if (batch)
      for (size_t i = 0; i < shapes.size(); ++i) {
        int64_t total = 0;
        for (const runtime::QueuedTask& t : b.tasks) total += t.shapes[i].empty() ? 1 : t.shapes[i][0];
        if (!shapes[i].empty()) shapes[i][0] = total;
      }
    auto compiled = m.cache->schedule_for(shapes, batch ? 1 : k, b.choice.generator);
    if (!compiled.ok()) {
      for (const runtime::QueuedTask& t : b.tasks) {
        double latency = runtime::ms_between(t.submitted, now);
        metrics_.on_finish(m.q.metrics_index, false, latency);
        notify(core_.on_task_finished(m.q, latency, false, now));
        r.failed++;
      }
      notify(core_.on_instance_finished(m.q, static_cast<int>(b.tasks.size()), now));
      return;
    }
    std::shared_ptr<const TimedSchedule>& timed = timed_[compiled->get()];
    if (!timed) timed = TimedSchedule::build(*cfg_.cost_model, *compiled, cfg_.threads_per_stream);
    operator_events_ += static_cast<uint64_t>(timed->total_ops);
    uint64_t id = executor_.submit(timed);
    m.active.push_back(id);
    running_[id] = RunningInstance{&m, std::move(b.tasks)};
  }

  void finish_instance(uint64_t id, TimePoint now, SimulationResult& r) {
    auto it = running_.find(id);
    if (it == running_.end()) return;
    ModelState& m = *it->second.model;
    for (const runtime::QueuedTask& t : it->second.tasks) {
      double latency = runtime::ms_between(t.submitted, now);
      metrics_.on_finish(m.q.metrics_index, true, latency);
      notify(core_.on_task_finished(m.q, latency, true, now));
      r.latencies_ms.push_back(latency);
      r.completed++;
    }
    notify(core_.on_instance_finished(m.q, static_cast<int>(it->second.tasks.size()), now));
    m.active.erase(std::find(m.active.begin(), m.active.end(), id));
    running_.erase(it);
  }

  const SimulatorConfig& cfg_;
  runtime::MetricsRecorder metrics_;
  runtime::LauncherCore core_;
  VirtualExecutor executor_;
  std::vector<std::unique_ptr<ModelState>> models_;
  std::unordered_map<const exec::CompiledSchedule*, std::shared_ptr<const TimedSchedule>> timed_;
  std::unordered_map<uint64_t, RunningInstance> running_;
  uint64_t next_task_id_ = 1;
  uint64_t operator_events_ = 0;
};

}  // namespace

Result<SimulationResult> simulate(const SimulatorConfig& cfg_in, const std::vector<SimulatedModel>& models,
                                  const std::vector<double>& times_s, const std::vector<int>& which) {
  if (!cfg_in.cost_model) return InvalidArgument("simulate: no cost model given");
  if (cfg_in.num_streams < 1 || cfg_in.num_streams > 256) return InvalidArgument("simulate: num_streams must be 1..256");
  if (cfg_in.threads_per_stream < 1) return InvalidArgument("simulate: threads_per_stream must be at least 1");
  if (cfg_in.queue_capacity < 1) return InvalidArgument("simulate: queue_capacity must be at least 1");
  if (!(cfg_in.decision_cost_ms >= 0 && cfg_in.decision_cost_ms <= 1000))
    return InvalidArgument("simulate: decision_cost_ms must be in [0, 1000]");
  if (times_s.size() != which.size())
    return InvalidArgument("simulate: " + std::to_string(times_s.size()) + " arrival times but " +
                           std::to_string(which.size()) + " model picks");
  for (size_t i = 0; i < which.size(); ++i)
    if (which[i] < 0 || static_cast<size_t>(which[i]) >= models.size())
      return InvalidArgument("simulate: arrival " + std::to_string(i) + " names model index " +
                             std::to_string(which[i]) + " of " + std::to_string(models.size()));
  for (size_t i = 1; i < times_s.size(); ++i)
    if (times_s[i] < times_s[i - 1]) return InvalidArgument("simulate: arrival times are not ascending");
  for (const SimulatedModel& m : models) {
    if (!m.model.graph()) return InvalidArgument("simulate: model '" + m.name + "' is empty");
    if (!(m.slo_ms >= 0) || !std::isfinite(m.slo_ms))
      return InvalidArgument("simulate: model '" + m.name + "': slo_ms must be a finite number >= 0");
  }
  SimulatorConfig cfg = cfg_in;
  if (!cfg.launch_policy) cfg.launch_policy = fifo_launch_policy();
  if (!cfg.graph_policy) cfg.graph_policy = fixed_graph_policy(GraphMode::kMerge, "greedy");
  Simulation sim(cfg, models);
  return sim.run(times_s, which);
}

}  // namespace top::sim

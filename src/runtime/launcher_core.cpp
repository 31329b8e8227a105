#include "runtime/launcher_core.h"

#include <algorithm>

namespace top::runtime {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Clock::time_point plus_ms(Clock::time_point t, double ms) {
  return t + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(ms));
}

void ModelQueue::push(QueuedTask t, Clock::time_point now) {
  auto pos = queue.end();
  if (t.priority != 0)
    pos = std::find_if(queue.begin(), queue.end(), [&](const QueuedTask& q) { return q.priority < t.priority; });
  if (t.deadline) queued_with_deadline++;
  queue.insert(pos, std::move(t));
  recent_arrivals.push_back(now);
  while (recent_arrivals.size() > 256) recent_arrivals.pop_front();
}

LauncherCore::LauncherCore(Clock::time_point start, int default_total_cap, MetricsRecorder* metrics)
    : start_(start), default_total_cap_(std::max(1, default_total_cap)), metrics_(metrics) {}

LaunchObservation LauncherCore::observe(Clock::time_point now, const std::vector<ModelQueue*>& order,
                                        const ExecutorView& executor) const {
  LaunchObservation obs;
  obs.now_ms = ms_between(start_, now);
  obs.num_streams = executor.num_streams;
  obs.busy_streams = executor.busy_streams;
  obs.ready_groups = executor.ready_groups;
  obs.in_flight_instances = in_flight_instances_;
  for (const ModelQueue* q : order) {
    ModelObservation m;
    m.model = q->name;
    m.queue_length = q->queue.size();
    m.oldest_wait_ms = q->queue.empty() ? 0 : ms_between(q->queue.front().submitted, now);
    // Arrivals per second over the last n arrivals (and the time since the oldest of them).
    auto rate_over = [&](size_t n) {
      n = std::min(n, q->recent_arrivals.size());
      if (n < 2) return 0.0;
      const double span = ms_between(q->recent_arrivals[q->recent_arrivals.size() - n], now) / 1000;
      return span > 0 ? static_cast<double>(n) / span : 0.0;
    };
    m.arrival_rate_per_s = rate_over(q->recent_arrivals.size());
    m.arrival_rate_short_per_s = rate_over(16);
    m.in_flight_instances = q->in_flight_instances;
    m.in_flight_tasks = q->in_flight_tasks;
    m.mean_progress = q->mean_progress ? q->mean_progress() : 0;
    m.recent_latency_ms = q->latency_ewma_ms;
    m.ms_since_last_dequeue = q->dequeued_once ? ms_between(q->last_dequeue, now) : 1e9;
    m.batchable = q->batchable;
    m.graph_operators = q->graph.operators;
    m.graph_depth = q->graph.depth;
    m.graph_width = q->graph.width;
    m.slo_ms = q->slo_ms;
    m.slo_miss_rate = q->slo_miss_ewma;
    obs.models.push_back(std::move(m));
  }
  return obs;
}

void LauncherCore::expire_deadlines(ModelQueue& q, Clock::time_point now, std::vector<ExpiredTask>& out) {
  if (q.queued_with_deadline == 0) return;  // the common case: no scan of a long queue
  for (auto it = q.queue.begin(); it != q.queue.end();) {
    if (it->deadline && *it->deadline < now) {
      ExpiredTask x;
      x.model = &q;
      x.task = std::move(*it);
      x.task.dequeued = now;
      it = q.queue.erase(it);
      q.queued_with_deadline--;
      double waited = ms_between(x.task.submitted, now);
      if (metrics_) {
        metrics_->on_dequeue(q.metrics_index, 1, q.queue.size(), waited, now);
        metrics_->on_finish(q.metrics_index, false, waited);
      }
      x.status = Status(StatusCode::kDeadlineExceeded, "task " + std::to_string(x.task.id) + " of model '" + q.name +
                                                           "' was not started before its deadline");
      out.push_back(std::move(x));
    } else {
      ++it;
    }
  }
}

LaunchRound LauncherCore::launch_round(Clock::time_point now, std::vector<ModelQueue*> models,
                                       const ExecutorView& executor, LaunchPolicy& launch_policy,
                                       GraphPolicy& graph_policy, bool draining) {
  const RoundPlan plan = observe_round(now, std::move(models), executor);
  LaunchRound round = apply_decision(now, plan, launch_policy.decide(plan.observation), draining);
  choose_graphs(round, graph_policy);
  return round;
}

RoundPlan LauncherCore::observe_round(Clock::time_point now, std::vector<ModelQueue*> order,
                                      const ExecutorView& executor) const {
  // Names break ties, so the order never depends on where the caller keeps its models.
  std::sort(order.begin(), order.end(), [](const ModelQueue* a, const ModelQueue* b) {
    if (a->queue.empty() != b->queue.empty()) return !a->queue.empty();
    if (a->queue.empty() || a->queue.front().submitted == b->queue.front().submitted) return a->name < b->name;
    return a->queue.front().submitted < b->queue.front().submitted;
  });
  RoundPlan plan;
  plan.observation = observe(now, order, executor);
  plan.order = std::move(order);
  return plan;
}

void LauncherCore::choose_graphs(LaunchRound& round, GraphPolicy& graph_policy) {
  for (LaunchBatch& b : round.launches) b.choice = graph_policy.choose(b.observation);
}

LaunchRound LauncherCore::apply_decision(Clock::time_point now, const RoundPlan& plan, const LaunchDecision& d,
                                         bool draining) {
  const std::vector<ModelQueue*>& order = plan.order;
  const LaunchObservation& obs = plan.observation;
  const int total_cap =
      d.max_in_flight_total > 0 ? std::min(d.max_in_flight_total, default_total_cap_) : default_total_cap_;
  LaunchRound round;
  round.wake = now + std::chrono::seconds(1);
  for (size_t i = 0; i < order.size(); ++i) {
    ModelQueue& q = *order[i];
    expire_deadlines(q, now, round.expired);
    if (q.queue.empty()) continue;
    if (static_cast<int>(in_flight_instances_) >= total_cap) break;
    ModelLaunch ml = i < d.models.size() ? d.models[i] : ModelLaunch{};
    if (ml.max_in_flight > 0 && static_cast<int>(q.in_flight_instances) >= ml.max_in_flight) continue;
    if (!draining && q.dequeued_once && ml.dequeue_interval_ms > 0) {
      auto due = q.last_dequeue + std::chrono::microseconds(static_cast<int64_t>(ml.dequeue_interval_ms * 1000));
      if (due > now) {
        round.wake = std::min(round.wake, due);
        continue;
      }
    }
    const int k = std::max(1, ml.k);
    if (!draining && static_cast<int>(q.queue.size()) < std::min(k, std::max(1, ml.min_tasks))) {
      auto due = q.queue.front().submitted + std::chrono::microseconds(static_cast<int64_t>(ml.max_delay_ms * 1000));
      if (due > now) {
        round.wake = std::min(round.wake, due);
        continue;
      }
    }
    LaunchBatch b;
    b.model = &q;
    // Up to k tasks with the head's input shapes (one plan serves them all); the scan
    // is bounded so a long queue of mixed shapes costs O(k) per launch.
    const std::vector<Shape> head_shapes = q.queue.front().shapes;
    int scanned = 0;
    for (auto it = q.queue.begin();
         it != q.queue.end() && static_cast<int>(b.tasks.size()) < k && scanned++ < 4 * k + 16;) {
      if (it->shapes == head_shapes) {
        if (it->deadline) q.queued_with_deadline--;
        b.tasks.push_back(std::move(*it));
        it = q.queue.erase(it);
      } else {
        ++it;
      }
    }
    double wait_sum = 0;
    for (QueuedTask& t : b.tasks) {
      t.dequeued = now;
      wait_sum += ms_between(t.submitted, now);
    }
    if (metrics_) metrics_->on_dequeue(q.metrics_index, static_cast<int>(b.tasks.size()), q.queue.size(), wait_sum, now);
    q.last_dequeue = now;
    q.dequeued_once = true;
    q.in_flight_instances++;
    q.in_flight_tasks += b.tasks.size();
    in_flight_instances_++;
    GraphObservation go;
    go.model = obs.models[i];
    go.model.queue_length = q.queue.size();
    go.model.in_flight_instances = q.in_flight_instances;
    go.model.in_flight_tasks = q.in_flight_tasks;
    go.k = static_cast<int>(b.tasks.size());
    go.num_streams = obs.num_streams;
    go.busy_streams = obs.busy_streams;
    go.in_flight_instances = in_flight_instances_;
    b.observation = std::move(go);
    round.launches.push_back(std::move(b));
  }
  return round;
}

PolicyFeedback LauncherCore::on_task_finished(ModelQueue& q, double latency_ms, bool ok, Clock::time_point now) {
  q.latency_ewma_ms = q.latency_ewma_ms == 0 ? latency_ms : 0.9 * q.latency_ewma_ms + 0.1 * latency_ms;
  if (q.in_flight_tasks > 0) q.in_flight_tasks--;
  PolicyFeedback f;
  f.kind = PolicyFeedback::Kind::kTaskFinished;
  f.model = q.name;
  f.now_ms = ms_between(start_, now);
  f.ok = ok;
  f.latency_ms = latency_ms;
  f.slo_ms = q.slo_ms;
  f.within_slo = ok && (q.slo_ms <= 0 || latency_ms <= q.slo_ms);
  q.slo_miss_ewma = 0.9 * q.slo_miss_ewma + (f.within_slo ? 0.0 : 0.1);
  return f;
}

PolicyFeedback LauncherCore::on_instance_finished(ModelQueue& q, int tasks, Clock::time_point now) {
  if (q.in_flight_instances > 0) q.in_flight_instances--;
  if (in_flight_instances_ > 0) in_flight_instances_--;
  PolicyFeedback f;
  f.kind = PolicyFeedback::Kind::kInstanceFinished;
  f.model = q.name;
  f.now_ms = ms_between(start_, now);
  f.tasks = tasks;
  return f;
}

void deliver_feedback(const PolicyFeedback& feedback, LaunchPolicy& launch_policy, GraphPolicy& graph_policy) {
  launch_policy.on_feedback(feedback);
  graph_policy.on_feedback(feedback);
}

}  // namespace top::runtime

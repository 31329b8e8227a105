// The asynchronous multi-task runtime: per-model bounded queues, the launcher thread
// that applies the LaunchPolicy, the model scheduler (GraphPolicy + schedule cache)
// and the StageExecutor that runs schedule instances on streams.
#include "top/runtime.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/graph.h"
#include "runtime/metrics.h"
#include "runtime/stage_executor.h"
#include "runtime/trace.h"
#include "sched/generators.h"

namespace top {

using runtime::Clock;

namespace {

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

struct Task {
  uint64_t id = 0;
  std::vector<Tensor> inputs;
  std::vector<Shape> shapes;
  std::function<void(TaskResult)> done;
  Clock::time_point submitted;
  int priority = 0;
  std::optional<Clock::time_point> deadline;
};

// Dim 0 of every input and output is the same symbolic dimension: k tasks can be one batch.
bool is_batchable(const ir::Graph& g) {
  std::string sym;
  auto check = [&](ir::ValueId v) {
    const ir::Value& val = g.values[v];
    if (!val.has_shape || val.shape.empty() || val.shape[0] >= 0) return false;
    const std::string& name = val.dim_names.empty() ? std::string() : val.dim_names[0];
    if (name.empty()) return false;
    if (sym.empty()) sym = name;
    return name == sym;
  };
  for (ir::ValueId v : g.inputs)
    if (!check(v)) return false;
  for (ir::ValueId v : g.outputs)
    if (!check(v)) return false;
  return !g.inputs.empty();
}

Tensor concat_batch(const std::vector<const Tensor*>& parts) {
  Shape s = parts[0]->shape();
  int64_t total = 0;
  for (const Tensor* p : parts) total += p->shape()[0];
  s[0] = total;
  Tensor out = Tensor::zeros(parts[0]->dtype(), s);
  size_t off = 0;
  for (const Tensor* p : parts) {
    std::memcpy(static_cast<char*>(out.raw_data()) + off, p->raw_data(), p->nbytes());
    off += p->nbytes();
  }
  return out;
}

Tensor slice_batch(const Tensor& t, int64_t begin, int64_t count) {
  Shape s = t.shape();
  size_t row = s[0] ? t.nbytes() / static_cast<size_t>(s[0]) : 0;
  s[0] = count;
  Tensor out = Tensor::zeros(t.dtype(), s);
  std::memcpy(out.raw_data(), static_cast<const char*>(t.raw_data()) + row * static_cast<size_t>(begin),
              row * static_cast<size_t>(count));
  return out;
}

struct ModelEntry {
  std::string name;
  Model model;
  int metrics_index = 0;
  bool batchable = false;
  std::deque<Task> queue;
  size_t queued_with_deadline = 0;  // lets the launcher skip the deadline scan
  Clock::time_point last_dequeue{};
  bool dequeued_once = false;
  std::deque<Clock::time_point> recent_arrivals;  // sliding window for the rate estimate
  size_t in_flight_instances = 0;
  size_t in_flight_tasks = 0;
  double latency_ewma_ms = 0;
  std::vector<std::weak_ptr<runtime::Instance>> active;
  bool unloading = false;
  // Caches: plan per input shapes, compiled schedule per (shapes, k, mode, generator).
  std::mutex cache_mu;
  std::map<std::vector<Shape>, std::shared_ptr<const exec::ExecutionPlan>> plans;
  std::map<std::string, std::shared_ptr<const runtime::CompiledSchedule>> schedules;
  // Activation arenas of finished instances, reused so a launch does not allocate.
  std::vector<exec::Arena> arena_pool;

  ModelEntry(std::string n, Model m) : name(std::move(n)), model(std::move(m)) {}
};

std::string shapes_key(const std::vector<Shape>& shapes) {
  std::string k;
  for (const Shape& s : shapes) k += shape_str(s) + ";";
  return k;
}

}  // namespace

struct Runtime::Impl {
  RuntimeConfig cfg;
  Clock::time_point start = Clock::now();
  runtime::MetricsRecorder metrics;
  std::unique_ptr<runtime::TraceRecorder> trace;
  std::unique_ptr<runtime::StageExecutor> executor;

  mutable std::mutex mu;
  std::condition_variable launcher_cv;  // queue or capacity changed
  std::condition_variable space_cv;     // a queue has room (blocking submit)
  std::condition_variable idle_cv;      // in-flight count dropped
  std::map<std::string, std::shared_ptr<ModelEntry>> models;
  std::vector<std::shared_ptr<ModelEntry>> all_entries;  // metrics index order, kept after unload
  size_t in_flight_instances = 0;
  bool accepting = true;
  bool stopping = false;
  ShutdownMode stop_mode = ShutdownMode::kDrain;
  std::atomic<uint64_t> next_task_id{1};
  std::thread launcher;
  bool shut_down = false;
  std::mutex shutdown_mu;

  explicit Impl(const RuntimeConfig& c) : cfg(c), metrics(std::max(1, c.num_streams), start) {}

  int max_total_in_flight() const {
    return cfg.max_in_flight_instances > 0 ? cfg.max_in_flight_instances : 2 * std::max(1, cfg.num_streams);
  }

  void fail(Task& t, Status s) {
    TaskResult r;
    r.status = std::move(s);
    r.task_id = t.id;
    r.latency_ms = ms_between(t.submitted, Clock::now());
    if (t.done) t.done(std::move(r));
  }

  Status admit(const std::string& model, std::vector<Tensor> inputs, std::function<void(TaskResult)> done,
               const TaskOptions& opts) {
    std::unique_lock<std::mutex> lock(mu);
    auto it = models.find(model);
    if (!accepting) return Status(StatusCode::kUnavailable, "the runtime is shutting down");
    if (it == models.end() || it->second->unloading) return NotFound("no model named '" + model + "' is loaded");
    std::shared_ptr<ModelEntry> e = it->second;
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : inputs) ptrs.push_back(&t);
    auto shapes = exec::check_inputs(*e->model.graph(), ptrs);
    if (!shapes.ok()) {
      metrics.on_reject(e->metrics_index);
      return shapes.status().with_context("model '" + model + "'");
    }
    while (e->queue.size() >= cfg.queue_capacity) {
      if (!cfg.block_when_full) {
        metrics.on_reject(e->metrics_index);
        return Status(StatusCode::kResourceExhausted, "queue of model '" + model + "' is full (" +
                                                          std::to_string(cfg.queue_capacity) + " tasks waiting)");
      }
      space_cv.wait(lock);
      if (!accepting || e->unloading)
        return Status(StatusCode::kUnavailable, "the runtime is shutting down or the model was unloaded");
    }
    Task t;
    t.id = next_task_id++;
    t.inputs = std::move(inputs);
    t.shapes = std::move(shapes).value();
    t.done = std::move(done);
    t.submitted = Clock::now();
    t.priority = opts.priority;
    t.deadline = opts.deadline;
    // Higher priority first; FIFO among equal priorities.
    auto pos = e->queue.end();
    if (t.priority != 0)
      pos = std::find_if(e->queue.begin(), e->queue.end(), [&](const Task& q) { return q.priority < t.priority; });
    if (t.deadline) e->queued_with_deadline++;
    e->queue.insert(pos, std::move(t));
    e->recent_arrivals.push_back(Clock::now());
    while (e->recent_arrivals.size() > 256) e->recent_arrivals.pop_front();
    metrics.on_submit(e->metrics_index, e->queue.size(), Clock::now());
    lock.unlock();
    launcher_cv.notify_one();
    return Status::Ok();
  }

  LaunchObservation observe(Clock::time_point now,
                            const std::vector<std::shared_ptr<ModelEntry>>& order) const {
    LaunchObservation obs;
    obs.now_ms = ms_between(start, now);
    obs.num_streams = executor->num_streams();
    obs.busy_streams = executor->busy_streams();
    obs.ready_groups = executor->ready_groups();
    obs.in_flight_instances = in_flight_instances;
    for (const auto& e : order) {
      ModelObservation m;
      m.model = e->name;
      m.queue_length = e->queue.size();
      m.oldest_wait_ms = e->queue.empty() ? 0 : ms_between(e->queue.front().submitted, now);
      if (e->recent_arrivals.size() >= 2) {
        double span = ms_between(e->recent_arrivals.front(), now) / 1000;
        m.arrival_rate_per_s = span > 0 ? static_cast<double>(e->recent_arrivals.size()) / span : 0;
      }
      m.in_flight_instances = e->in_flight_instances;
      m.in_flight_tasks = e->in_flight_tasks;
      double progress = 0;
      int n = 0;
      for (const auto& w : e->active)
        if (auto inst = w.lock()) {
          progress += inst->progress();
          ++n;
        }
      m.mean_progress = n ? progress / n : 0;
      m.recent_latency_ms = e->latency_ewma_ms;
      m.ms_since_last_dequeue = e->dequeued_once ? ms_between(e->last_dequeue, now) : 1e9;
      m.batchable = e->batchable;
      obs.models.push_back(std::move(m));
    }
    return obs;
  }

  struct Launch {
    std::shared_ptr<ModelEntry> entry;
    std::vector<Task> tasks;
    GraphChoice choice;
  };

  void launcher_loop() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      auto now = Clock::now();
      if (stopping && stop_mode == ShutdownMode::kCancel) {
        cancel_queued_locked();
        fail_doomed_locked(lock);
      }
      bool queues_empty = std::all_of(models.begin(), models.end(), [](const auto& kv) { return kv.second->queue.empty(); });
      if (stopping && queues_empty && in_flight_instances == 0) break;

      // Models in the order of their oldest waiting task: across models, FIFO.
      std::vector<std::shared_ptr<ModelEntry>> order;
      for (auto& kv : models) order.push_back(kv.second);
      std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
        if (a->queue.empty() != b->queue.empty()) return !a->queue.empty();
        if (a->queue.empty()) return a->name < b->name;
        return a->queue.front().submitted < b->queue.front().submitted;
      });
      LaunchObservation obs = observe(now, order);
      LaunchDecision d = cfg.launch_policy->decide(obs);
      int total_cap = d.max_in_flight_total > 0 ? std::min(d.max_in_flight_total, max_total_in_flight())
                                                : max_total_in_flight();
      std::vector<Launch> launches;
      Clock::time_point wake = now + std::chrono::seconds(1);
      for (size_t i = 0; i < order.size(); ++i) {
        ModelEntry& e = *order[i];
        expire_deadlines_locked(e, now);
        if (e.queue.empty()) continue;
        if (static_cast<int>(in_flight_instances) >= total_cap) break;
        ModelLaunch ml = i < d.models.size() ? d.models[i] : ModelLaunch{};
        if (ml.max_in_flight > 0 && static_cast<int>(e.in_flight_instances) >= ml.max_in_flight) continue;
        // Draining at shutdown: take whatever waits, without the policy's pacing.
        const bool draining = stopping;
        if (!draining && e.dequeued_once && ml.dequeue_interval_ms > 0) {
          auto due = e.last_dequeue + std::chrono::microseconds(static_cast<int64_t>(ml.dequeue_interval_ms * 1000));
          if (due > now) {
            wake = std::min(wake, due);
            continue;
          }
        }
        int k = std::max(1, ml.k);
        if (!draining && static_cast<int>(e.queue.size()) < std::min(k, std::max(1, ml.min_tasks))) {
          auto due = e.queue.front().submitted + std::chrono::microseconds(static_cast<int64_t>(ml.max_delay_ms * 1000));
          if (due > now) {
            wake = std::min(wake, due);
            continue;
          }
        }
        Launch l;
        l.entry = order[i];
        // Take up to k tasks with the head's input shapes (one plan serves them all).
        const std::vector<Shape> head_shapes = e.queue.front().shapes;
        // The scan is bounded so a long queue of mixed shapes costs O(k) per launch.
        int scanned = 0;
        for (auto it = e.queue.begin(); it != e.queue.end() && static_cast<int>(l.tasks.size()) < k && scanned++ < 4 * k + 16;) {
          if (it->shapes == head_shapes) {
            if (it->deadline) e.queued_with_deadline--;
            l.tasks.push_back(std::move(*it));
            it = e.queue.erase(it);
          } else {
            ++it;
          }
        }
        double wait_sum = 0;
        for (const Task& t : l.tasks) wait_sum += ms_between(t.submitted, now);
        metrics.on_dequeue(e.metrics_index, static_cast<int>(l.tasks.size()), e.queue.size(), wait_sum, now);
        e.last_dequeue = now;
        e.dequeued_once = true;
        e.in_flight_instances++;
        e.in_flight_tasks += l.tasks.size();
        in_flight_instances++;
        l.choice = cfg.graph_policy->choose(e.name, static_cast<int>(l.tasks.size()), e.batchable);
        launches.push_back(std::move(l));
      }
      fail_doomed_locked(lock);
      if (!launches.empty()) {
        space_cv.notify_all();
        lock.unlock();
        for (Launch& l : launches) start_instance(std::move(l));
        lock.lock();
        continue;
      }
      launcher_cv.wait_until(lock, wake);
    }
  }

  // Tasks to end with an error once the lock is released: their callbacks may call
  // back into the runtime (submit), so they never run under `mu`.
  std::vector<std::pair<Task, Status>> doomed;

  void expire_deadlines_locked(ModelEntry& e, Clock::time_point now) {
    if (e.queued_with_deadline == 0) return;  // the common case: no scan of a long queue
    for (auto it = e.queue.begin(); it != e.queue.end();) {
      if (it->deadline && *it->deadline < now) {
        Task t = std::move(*it);
        it = e.queue.erase(it);
        e.queued_with_deadline--;
        metrics.on_dequeue(e.metrics_index, 1, e.queue.size(), ms_between(t.submitted, now), now);
        metrics.on_finish(e.metrics_index, false, ms_between(t.submitted, now));
        Status s(StatusCode::kDeadlineExceeded,
                 "task " + std::to_string(t.id) + " of model '" + e.name + "' was not started before its deadline");
        doomed.emplace_back(std::move(t), std::move(s));
      } else {
        ++it;
      }
    }
  }

  void cancel_queued_locked() {
    for (auto& kv : models) {
      ModelEntry& e = *kv.second;
      e.queued_with_deadline = 0;
      while (!e.queue.empty()) {
        Task t = std::move(e.queue.front());
        e.queue.pop_front();
        metrics.on_dequeue(e.metrics_index, 1, e.queue.size(), 0, Clock::now());
        metrics.on_finish(e.metrics_index, false, ms_between(t.submitted, Clock::now()));
        Status s(StatusCode::kCancelled, "task " + std::to_string(t.id) + " cancelled: runtime shut down");
        doomed.emplace_back(std::move(t), std::move(s));
      }
      for (auto& w : e.active)
        if (auto inst = w.lock()) inst->cancelled.store(true);
    }
    space_cv.notify_all();
  }

  // Called with `mu` held; releases it while the callbacks run.
  void fail_doomed_locked(std::unique_lock<std::mutex>& lock) {
    if (doomed.empty()) return;
    auto batch = std::move(doomed);
    doomed.clear();
    lock.unlock();
    for (auto& [t, s] : batch) fail(t, s);
    lock.lock();
  }

  Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(ModelEntry& e, const std::vector<Shape>& shapes) {
    {
      std::lock_guard<std::mutex> lock(e.cache_mu);
      auto it = e.plans.find(shapes);
      if (it != e.plans.end()) return it->second;
    }
    TOP_ASSIGN_OR_RETURN(auto plan, exec::make_plan(e.model.graph(), shapes));
    std::lock_guard<std::mutex> lock(e.cache_mu);
    return e.plans.emplace(shapes, plan).first->second;
  }

  Result<std::shared_ptr<const runtime::CompiledSchedule>> schedule_for(ModelEntry& e, const std::vector<Shape>& shapes,
                                                                        int k, const std::string& generator) {
    std::string key = shapes_key(shapes) + "|k=" + std::to_string(k) + "|" + generator;
    {
      std::lock_guard<std::mutex> lock(e.cache_mu);
      auto it = e.schedules.find(key);
      if (it != e.schedules.end()) return it->second;
    }
    TOP_ASSIGN_OR_RETURN(auto plan, plan_for(e, shapes));
    exec::TaskGraph tg = exec::TaskGraph::build(plan, k);
    sched::GeneratorOptions go;
    go.max_groups = executor->num_streams();
    TOP_ASSIGN_OR_RETURN(exec::Schedule s, sched::make_schedule(generator, tg, go));
    TOP_ASSIGN_OR_RETURN(auto compiled, runtime::CompiledSchedule::compile(std::move(s)));
    std::lock_guard<std::mutex> lock(e.cache_mu);
    return e.schedules.emplace(key, compiled).first->second;
  }

  // Builds the schedule instance for a launch and hands it to the executor; on error
  // every task of the launch fails with that error.
  void start_instance(Launch l) {
    ModelEntry& e = *l.entry;
    const int k = static_cast<int>(l.tasks.size());
    bool batch = l.choice.mode == GraphMode::kBatch && e.batchable && k > 1;
    auto inst = std::make_shared<runtime::Instance>();
    inst->model = e.name;
    std::vector<int64_t> batch_sizes;
    Status st;
    try {
      std::vector<Shape> shapes = l.tasks[0].shapes;
      if (batch) {
        for (Shape& s : shapes) s[0] = 0;
        std::vector<Tensor> merged;
        for (size_t i = 0; i < l.tasks[0].inputs.size(); ++i) {
          std::vector<const Tensor*> parts;
          for (const Task& t : l.tasks) parts.push_back(&t.inputs[i]);
          merged.push_back(concat_batch(parts));
          shapes[i] = merged.back().shape();
        }
        for (const Task& t : l.tasks) batch_sizes.push_back(t.shapes.empty() ? 1 : t.shapes[0][0]);
        inst->inputs.push_back(std::move(merged));
        inst->task_ids.push_back(l.tasks[0].id);
      } else {
        for (Task& t : l.tasks) {
          inst->inputs.push_back(t.inputs);
          inst->task_ids.push_back(t.id);
        }
      }
      auto compiled = schedule_for(e, shapes, batch ? 1 : k, l.choice.generator);
      if (!compiled.ok()) {
        st = compiled.status();
      } else {
        inst->compiled = *compiled;
        {
          std::lock_guard<std::mutex> lock(e.cache_mu);
          const size_t want = inst->inputs.size();
          while (inst->arenas.size() < want && !e.arena_pool.empty()) {
            inst->arenas.push_back(std::move(e.arena_pool.back()));
            e.arena_pool.pop_back();
          }
          inst->arenas.resize(want);
        }
        st = inst->bind();
      }
    } catch (const std::bad_alloc&) {
      st = OutOfMemory("out of memory while preparing a schedule instance");
    }
    if (!st.ok()) {
      finish_tasks(l.entry, l.tasks, [&](size_t) { return TaskResultParts{st, {}}; });
      return;
    }
    auto tasks = std::make_shared<std::vector<Task>>(std::move(l.tasks));
    auto entry = l.entry;
    inst->on_done = [this, entry, tasks, batch, batch_sizes](runtime::Instance& in) {
      const exec::ExecutionPlan& plan = *in.compiled->schedule.plan;
      std::vector<Tensor> batch_outputs;
      Status batch_status;
      if (batch) {
        batch_status = in.task_error[0];
        if (batch_status.ok() && !in.cancelled.load()) {
          auto outs = exec::collect_outputs(plan, in.bindings[0]);
          if (outs.ok()) batch_outputs = std::move(outs).value();
          else batch_status = outs.status();
        }
      }
      int64_t offset = 0;
      auto give_back_arenas = [&] {
        std::lock_guard<std::mutex> lock(entry->cache_mu);
        for (exec::Arena& a : in.arenas)
          if (entry->arena_pool.size() < 64) entry->arena_pool.push_back(std::move(a));
        in.arenas.clear();
      };
      finish_tasks(entry, *tasks, [&](size_t i) -> TaskResultParts {
        if (in.cancelled.load() && (batch ? batch_status.ok() : in.task_error[i].ok()))
          return {Status(StatusCode::kCancelled, "cancelled: runtime shut down while the task ran"), {}};
        if (batch) {
          if (!batch_status.ok()) return {batch_status, {}};
          std::vector<Tensor> mine;
          for (const Tensor& o : batch_outputs) mine.push_back(slice_batch(o, offset, batch_sizes[i]));
          offset += batch_sizes[i];
          return {Status::Ok(), std::move(mine)};
        }
        if (!in.task_error[i].ok()) return {in.task_error[i], {}};
        auto outs = exec::collect_outputs(plan, in.bindings[i]);
        if (!outs.ok()) return {outs.status(), {}};
        return {Status::Ok(), std::move(outs).value()};
      }, give_back_arenas);
    };
    {
      std::lock_guard<std::mutex> lock(mu);
      e.active.erase(std::remove_if(e.active.begin(), e.active.end(), [](const auto& w) { return w.expired(); }),
                     e.active.end());
      e.active.push_back(inst);
      if (stopping && stop_mode == ShutdownMode::kCancel) inst->cancelled.store(true);
    }
    executor->submit(std::move(inst));
  }

  struct TaskResultParts {
    Status status;
    std::vector<Tensor> outputs;
  };

  // Ends every task of an instance: `result_of(i)` gives task i's status and outputs;
  // `after_results` runs once all results are taken, before any callback (so the
  // instance's buffers can be recycled before users see their outputs).
  template <class F, class G = void (*)()>
  void finish_tasks(const std::shared_ptr<ModelEntry>& entry, std::vector<Task>& tasks, F&& result_of,
                    G after_results = [] {}) {
    auto now = Clock::now();
    std::vector<TaskResultParts> parts;
    parts.reserve(tasks.size());
    for (size_t i = 0; i < tasks.size(); ++i) parts.push_back(result_of(i));
    after_results();
    for (size_t i = 0; i < tasks.size(); ++i) {
      TaskResultParts& p = parts[i];
      TaskResult r;
      r.status = std::move(p.status);
      r.outputs = std::move(p.outputs);
      r.task_id = tasks[i].id;
      r.latency_ms = ms_between(tasks[i].submitted, now);
      metrics.on_finish(entry->metrics_index, r.status.ok(), r.latency_ms);
      {
        std::lock_guard<std::mutex> lock(mu);
        entry->latency_ewma_ms = entry->latency_ewma_ms == 0 ? r.latency_ms : 0.9 * entry->latency_ewma_ms + 0.1 * r.latency_ms;
        entry->in_flight_tasks--;
      }
      if (tasks[i].done) tasks[i].done(std::move(r));
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      entry->in_flight_instances--;
      in_flight_instances--;
    }
    launcher_cv.notify_all();
    idle_cv.notify_all();
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { shutdown(ShutdownMode::kCancel); }

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeConfig& config) {
  if (config.backend != "cpu") return Unsupported("unknown backend '" + config.backend + "' (available: cpu)");
  if (config.num_streams < 1 || config.num_streams > 256) return InvalidArgument("num_streams must be 1..256");
  if (config.threads_per_stream < 1 || config.threads_per_stream > 256)
    return InvalidArgument("threads_per_stream must be 1..256");
  if (config.queue_capacity < 1) return InvalidArgument("queue_capacity must be at least 1");
  auto impl = std::make_unique<Impl>(config);
  if (!impl->cfg.launch_policy) impl->cfg.launch_policy = fifo_launch_policy();
  if (!impl->cfg.graph_policy) impl->cfg.graph_policy = fixed_graph_policy(GraphMode::kMerge, "greedy");
  if (config.record_trace) impl->trace = std::make_unique<runtime::TraceRecorder>(impl->start);
  impl->executor = std::make_unique<runtime::StageExecutor>(config.num_streams, config.threads_per_stream,
                                                            &impl->metrics, impl->trace.get());
  Impl* p = impl.get();
  impl->launcher = std::thread([p] { p->launcher_loop(); });
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Status Runtime::load_model(const std::string& name, const Model& model) {
  if (!model.graph()) return InvalidArgument("model '" + name + "' is empty");
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->accepting) return Status(StatusCode::kUnavailable, "the runtime is shutting down");
  if (impl_->models.count(name)) return InvalidArgument("a model named '" + name + "' is already loaded");
  auto e = std::make_shared<ModelEntry>(name, model);
  e->metrics_index = impl_->metrics.add_model(name);
  e->batchable = is_batchable(*model.graph());
  impl_->models[name] = e;
  impl_->all_entries.push_back(e);
  return Status::Ok();
}

Status Runtime::unload_model(const std::string& name) {
  std::shared_ptr<ModelEntry> e;
  std::deque<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->models.find(name);
    if (it == impl_->models.end()) return NotFound("no model named '" + name + "' is loaded");
    e = it->second;
    e->unloading = true;
    dropped.swap(e->queue);
    e->queued_with_deadline = 0;
    impl_->models.erase(it);
  }
  impl_->space_cv.notify_all();
  for (Task& t : dropped) {
    impl_->metrics.on_dequeue(e->metrics_index, 1, 0, 0, Clock::now());
    impl_->metrics.on_finish(e->metrics_index, false, ms_between(t.submitted, Clock::now()));
    impl_->fail(t, Status(StatusCode::kCancelled, "model '" + name + "' was unloaded"));
  }
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->idle_cv.wait(lock, [&] { return e->in_flight_instances == 0; });
  return Status::Ok();
}

std::vector<std::string> Runtime::models() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  std::vector<std::string> names;
  for (const auto& kv : impl_->models) names.push_back(kv.first);
  return names;
}

std::future<TaskResult> Runtime::submit(const std::string& model, std::vector<Tensor> inputs, const TaskOptions& opts) {
  auto promise = std::make_shared<std::promise<TaskResult>>();
  std::future<TaskResult> f = promise->get_future();
  Status s = impl_->admit(model, std::move(inputs), [promise](TaskResult r) { promise->set_value(std::move(r)); }, opts);
  if (!s.ok()) {
    TaskResult r;
    r.status = s;
    promise->set_value(std::move(r));
  }
  return f;
}

Status Runtime::submit(const std::string& model, std::vector<Tensor> inputs, std::function<void(TaskResult)> done,
                       const TaskOptions& opts) {
  if (!done) return InvalidArgument("submit: the callback is empty");
  Status s = impl_->admit(model, std::move(inputs), done, opts);
  if (!s.ok()) {
    TaskResult r;
    r.status = s;
    done(std::move(r));
  }
  return s;
}

RuntimeStats Runtime::stats() const {
  RuntimeStats s = impl_->metrics.snapshot(Clock::now());
  std::lock_guard<std::mutex> lock(impl_->mu);
  for (ModelStats& m : s.models)
    for (const auto& e : impl_->all_entries)
      if (e->name == m.model) {
        m.queue_length = e->queue.size();
        m.in_flight = e->in_flight_tasks;
      }
  return s;
}

Status Runtime::write_trace(const std::string& path) const {
  if (!impl_->trace) return InvalidArgument("tracing is off: set RuntimeConfig::record_trace");
  return impl_->trace->write_chrome_json(path);
}

void Runtime::shutdown(ShutdownMode mode) {
  std::lock_guard<std::mutex> once(impl_->shutdown_mu);
  if (impl_->shut_down) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->accepting = false;
    impl_->stopping = true;
    impl_->stop_mode = mode;
  }
  impl_->space_cv.notify_all();
  impl_->launcher_cv.notify_all();
  if (impl_->launcher.joinable()) impl_->launcher.join();
  impl_->executor.reset();  // every instance has finished: joins the streams
  impl_->shut_down = true;
}

}  // namespace top

// The asynchronous multi-task runtime: per-model bounded queues, the launcher thread
// that applies the LaunchPolicy, the model scheduler (GraphPolicy + schedule cache)
// and the StageExecutor that runs schedule instances on streams.
#include "top/runtime.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/graph.h"
#include "profile/cost_model.h"
#include "profile/profile_io.h"
#include "runtime/cuda_instance_runner.h"
#include "runtime/batch_tensors.h"
#include "runtime/launcher_core.h"
#include "runtime/metrics.h"
#include "runtime/model_entry.h"
#include "runtime/schedule_cache.h"
#include "runtime/stage_executor.h"
#include "runtime/trace.h"
#include "spdlog/spdlog.h"

namespace top {

using runtime::Clock;

namespace {

using runtime::ms_between;
using runtime::ModelEntry;
using runtime::Task;

// The user completion callbacks this thread is inside (innermost first), by runtime. A
// call into a runtime from one of its own callbacks must not wait for its threads: the
// callback may run on one of them (a stream, the launcher) and its instance still
// counts as in flight, so waiting for "all finished" or "queue has room" would wait for
// itself. Calls into another runtime are as from outside (destroying it works).
struct CallbackFrame {
  const void* runtime;
  const CallbackFrame* outer;
};
thread_local const CallbackFrame* innermost_callback = nullptr;

bool in_callback_of(const void* runtime) {
  for (const CallbackFrame* f = innermost_callback; f; f = f->outer)
    if (f->runtime == runtime) return true;
  return false;
}

}  // namespace

struct Runtime::Impl {
  RuntimeConfig cfg;
  Clock::time_point start = Clock::now();
  runtime::MetricsRecorder metrics;
  std::unique_ptr<runtime::TraceRecorder> trace;
  std::unique_ptr<runtime::InstanceRunner> executor;  // CPU stage executor or CUDA lanes
  std::shared_ptr<const profile::CostModel> cost;  // prices every model's schedules

  mutable std::mutex mu;
  std::condition_variable launcher_cv;  // queue or capacity changed
  std::condition_variable space_cv;     // a queue has room (blocking submit)
  std::condition_variable idle_cv;      // in-flight count dropped
  std::map<std::string, std::shared_ptr<ModelEntry>> models;
  // Entries whose stats are reported, by metrics index: the loaded models and unloaded
  // ones with instances still running (unload_model from a callback). Retired, they go.
  std::map<int, std::shared_ptr<ModelEntry>> reported;
  runtime::LauncherCore core;  // the launcher's decisions (guarded by mu)
  bool accepting = true;
  bool stopping = false;
  ShutdownMode stop_mode = ShutdownMode::kDrain;
  std::atomic<uint64_t> next_task_id{1};
  std::thread launcher;
  bool shut_down = false;
  std::mutex shutdown_mu;

  explicit Impl(const RuntimeConfig& c)
      : cfg(c), metrics(std::max(1, c.num_streams), start), core(start, max_total_in_flight(c), &metrics) {}

  static int max_total_in_flight(const RuntimeConfig& c) {
    return c.max_in_flight_instances > 0 ? c.max_in_flight_instances : 2 * std::max(1, c.num_streams);
  }

  void fail(Task& t, Status s) {
    TaskResult r;
    r.status = std::move(s);
    r.task_id = t.q.id;
    r.latency_ms = ms_between(t.q.submitted, Clock::now());
    // Refused or cancelled in the queue: it waited there until now; never dequeued: 0.
    r.queue_ms = t.q.dequeued == Clock::time_point{} ? r.latency_ms : ms_between(t.q.submitted, t.q.dequeued);
    deliver(t.done, std::move(r));
  }

  // Calls a user's completion callback. What it throws is caught, counted and logged:
  // it must not unwind through a stream or the launcher (std::terminate), and every
  // other task must still end.
  void deliver(const std::function<void(TaskResult)>& done, TaskResult r) {
    if (!done) return;
    const uint64_t id = r.task_id;
    const CallbackFrame frame{this, innermost_callback};
    innermost_callback = &frame;
    try {
      done(std::move(r));
    } catch (const std::exception& e) {
      note_callback_exception(id, e.what());
    } catch (...) {
      note_callback_exception(id, "an exception not derived from std::exception");
    }
    innermost_callback = frame.outer;
  }

  bool in_own_callback() const { return in_callback_of(this); }

  void note_callback_exception(uint64_t task_id, const char* what) {
    const uint64_t n = metrics.on_callback_exception();
    // The first ten, then at 16, 32, 64, ...: a callback that always throws does not
    // flood the log.
    if (n <= 10 || (n & (n - 1)) == 0)
      spdlog::error(
          "top::Runtime: the completion callback of task {} threw ({}); caught, the runtime goes on "
          "({} callback exceptions so far)",
          task_id, what, n);
  }

  // Once an unloaded model has no instance left running, its stats and entry go (mu held).
  void retire_if_done_locked(ModelEntry& e) {
    if (!e.unloading || e.retired || e.q.in_flight_instances > 0) return;
    e.retired = true;
    metrics.remove_model(e.q.metrics_index);
    reported.erase(e.q.metrics_index);
  }

  // Marks the runtime as stopping (no new tasks); the launcher drains or cancels. A
  // later kCancel turns a drain still in progress into a cancel.
  void request_stop(ShutdownMode mode) {
    {
      std::lock_guard<std::mutex> lock(mu);
      accepting = false;
      if (!stopping || mode == ShutdownMode::kCancel) stop_mode = mode;
      stopping = true;
      changes++;
    }
    space_cv.notify_all();
    launcher_cv.notify_all();
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
      metrics.on_reject(e->q.metrics_index);
      return shapes.status().with_context("model '" + model + "'");
    }
    while (e->q.queue.size() >= cfg.queue_capacity) {
      // From a callback the queue may drain only after the callback returns: refuse.
      if (!cfg.block_when_full || in_own_callback()) {
        metrics.on_reject(e->q.metrics_index);
        return Status(StatusCode::kResourceExhausted,
                      "queue of model '" + model + "' is full (" + std::to_string(cfg.queue_capacity) +
                          " tasks waiting)" +
                          (cfg.block_when_full ? "; a submit from a completion callback does not wait" : ""));
      }
      space_cv.wait(lock);
      if (!accepting || e->unloading)
        return Status(StatusCode::kUnavailable, "the runtime is shutting down or the model was unloaded");
    }
    runtime::QueuedTask t;
    t.id = next_task_id++;
    t.shapes = std::move(shapes).value();
    t.submitted = Clock::now();
    t.priority = opts.priority;
    t.deadline = opts.deadline;
    e->waiting[t.id] = ModelEntry::Waiting{std::move(inputs), std::move(done)};
    e->q.push(std::move(t), Clock::now());
    metrics.on_submit(e->q.metrics_index, e->q.queue.size(), Clock::now());
    changes++;
    lock.unlock();
    launcher_cv.notify_one();
    return Status::Ok();
  }

  struct Launch {
    std::shared_ptr<ModelEntry> entry;
    std::vector<Task> tasks;
    GraphObservation observation;
    GraphChoice choice;
  };

  // Feedback for the policies, queued by completions under `mu` and handed over by the
  // launcher thread, the only thread that calls the policies: they need no lock of
  // their own, and neither submit() nor a completion ever waits for a forward pass.
  std::vector<PolicyFeedback> feedback;
  // Bumped under `mu` whenever a round could turn out differently (a submit, a finished
  // instance, a stop): the launcher decides without `mu`, and must not sleep through a
  // change made meanwhile until the round's wake time.
  uint64_t changes = 0;

  // Hands the queued feedback to the policies; called by the launcher without `mu`.
  void deliver_feedback(std::vector<PolicyFeedback> batch) {
    for (const PolicyFeedback& f : batch) runtime::deliver_feedback(f, *cfg.launch_policy, *cfg.graph_policy);
  }

  // One round: observe and apply under `mu`, the policies without it (LauncherCore's
  // steps 1-4).
  void launcher_loop() {
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      if (stopping && stop_mode == ShutdownMode::kCancel) {
        cancel_queued_locked();
        fail_doomed_locked(lock);
      }
      bool queues_empty =
          std::all_of(models.begin(), models.end(), [](const auto& kv) { return kv.second->q.queue.empty(); });
      if (stopping && queues_empty && core.in_flight_instances() == 0) break;

      std::vector<runtime::ModelQueue*> queues;
      std::map<const runtime::ModelQueue*, std::shared_ptr<ModelEntry>> entry_of;  // keeps the plan's queues alive
      for (auto& kv : models) {
        queues.push_back(&kv.second->q);
        entry_of[&kv.second->q] = kv.second;
      }
      runtime::ExecutorView view{executor->num_streams(), executor->busy_streams(), executor->ready_groups()};
      const uint64_t seen = changes;
      const runtime::RoundPlan plan = core.observe_round(Clock::now(), std::move(queues), view);
      std::vector<PolicyFeedback> pending = std::move(feedback);
      feedback.clear();
      lock.unlock();
      deliver_feedback(std::move(pending));
      const LaunchDecision decision = cfg.launch_policy->decide(plan.observation);
      lock.lock();
      // Draining at shutdown: take whatever waits, without the policy's pacing.
      runtime::LaunchRound round = core.apply_decision(Clock::now(), plan, decision, stopping);
      for (runtime::ExpiredTask& x : round.expired) {
        Task t = entry_of[x.model]->take(std::move(x.task));
        doomed.emplace_back(std::move(t), std::move(x.status));
      }
      std::vector<Launch> launches;
      for (runtime::LaunchBatch& b : round.launches) {
        Launch l;
        l.entry = entry_of[b.model];
        for (runtime::QueuedTask& qt : b.tasks) l.tasks.push_back(l.entry->take(std::move(qt)));
        l.observation = std::move(b.observation);
        launches.push_back(std::move(l));
      }
      fail_doomed_locked(lock);
      if (!launches.empty()) {
        space_cv.notify_all();
        lock.unlock();
        for (Launch& l : launches) {
          l.choice = cfg.graph_policy->choose(l.observation);
          start_instance(std::move(l));
        }
        lock.lock();
        continue;
      }
      if (changes == seen) launcher_cv.wait_until(lock, round.wake);
    }
    std::vector<PolicyFeedback> pending = std::move(feedback);
    feedback.clear();
    lock.unlock();
    deliver_feedback(std::move(pending));
  }

  // Tasks to end with an error once the lock is released: their callbacks may call
  // back into the runtime (submit), so they never run under `mu`.
  std::vector<std::pair<Task, Status>> doomed;

  void cancel_queued_locked() {
    for (auto& kv : models) {
      ModelEntry& e = *kv.second;
      e.q.queued_with_deadline = 0;
      while (!e.q.queue.empty()) {
        Task t = e.take(std::move(e.q.queue.front()));
        e.q.queue.pop_front();
        metrics.on_dequeue(e.q.metrics_index, 1, e.q.queue.size(), 0, Clock::now());
        metrics.on_finish(e.q.metrics_index, false, ms_between(t.q.submitted, Clock::now()));
        Status s(StatusCode::kCancelled, "task " + std::to_string(t.q.id) + " cancelled: runtime shut down");
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

  // Builds the schedule instance for a launch and hands it to the executor; on error
  // every task of the launch fails with that error.
  void start_instance(Launch l) {
    ModelEntry& e = *l.entry;
    const int k = static_cast<int>(l.tasks.size());
    const bool batch = l.choice.mode == GraphMode::kBatch && e.q.batchable && k > 1;
    auto inst = std::make_shared<runtime::Instance>();
    std::vector<int64_t> batch_sizes;
    Status st = e.prepare_instance(l.tasks, batch, l.choice.generator, executor->uses_host_bindings(), *inst, batch_sizes);
    if (!st.ok()) {
      finish_tasks(l.entry, l.tasks, [&](size_t) { return TaskResultParts{st, {}}; });
      return;
    }
    auto tasks = std::make_shared<std::vector<Task>>(std::move(l.tasks));
    auto entry = l.entry;
    inst->on_done = [this, entry, tasks, batch, batch_sizes](runtime::Instance& in) {
      std::vector<Tensor> batch_outputs;
      Status batch_status;
      if (batch) {
        batch_status = in.task_error[0];
        if (batch_status.ok() && !in.cancelled.load()) {
          auto outs = in.task_outputs(0);
          if (outs.ok()) batch_outputs = std::move(outs).value();
          else batch_status = outs.status();
        }
      }
      int64_t offset = 0;
      finish_tasks(entry, *tasks, [&](size_t i) -> TaskResultParts {
        if (in.cancelled.load() && (batch ? batch_status.ok() : in.task_error[i].ok()))
          return {Status(StatusCode::kCancelled, "cancelled: runtime shut down while the task ran"), {}};
        if (batch) {
          if (!batch_status.ok()) return {batch_status, {}};
          std::vector<Tensor> mine;
          for (const Tensor& o : batch_outputs) {
            auto part = runtime::slice_batch(o, offset, batch_sizes[i]);
            if (!part.ok()) {
              offset += batch_sizes[i];
              return {part.status(), {}};
            }
            mine.push_back(std::move(part).value());
          }
          offset += batch_sizes[i];
          return {Status::Ok(), std::move(mine)};
        }
        if (!in.task_error[i].ok()) return {in.task_error[i], {}};
        auto outs = in.task_outputs(i);
        if (!outs.ok()) return {outs.status(), {}};
        return {Status::Ok(), std::move(outs).value()};
      }, [&] { entry->recycle_arenas(in); });
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
      r.task_id = tasks[i].q.id;
      r.latency_ms = ms_between(tasks[i].q.submitted, now);
      r.queue_ms = ms_between(tasks[i].q.submitted, tasks[i].q.dequeued);
      if (trace) {
        trace->add(runtime::TraceSlice::task(entry->q.name, r.task_id, tasks[i].q.submitted, tasks[i].q.dequeued, now,
                                             r.status.ok()));
      }
      metrics.on_finish(entry->q.metrics_index, r.status.ok(), r.latency_ms);
      {
        std::lock_guard<std::mutex> lock(mu);
        feedback.push_back(core.on_task_finished(entry->q, r.latency_ms, r.status.ok(), now));
      }
      deliver(tasks[i].done, std::move(r));
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      feedback.push_back(core.on_instance_finished(entry->q, static_cast<int>(tasks.size()), Clock::now()));
      changes++;
      retire_if_done_locked(*entry);
    }
    launcher_cv.notify_all();
    idle_cv.notify_all();
  }
};

Runtime::Runtime(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Runtime::~Runtime() { shutdown(ShutdownMode::kCancel); }

Result<std::unique_ptr<Runtime>> Runtime::create(const RuntimeConfig& config) {
  // spdlog's registry is a function-local static inside the (uninstrumented) shared
  // library; build it here, before the runtime's threads start, so the first callback
  // error logged from a stream thread does not race its construction (seen by TSan).
  spdlog::default_logger_raw();
#ifdef TOP_WITH_CUDA
  if (config.backend != "cpu" && config.backend != "cuda")
    return Unsupported("unknown backend '" + config.backend + "' (available: cpu, cuda)");
#else
  if (config.backend != "cpu")
    return Unsupported("unknown backend '" + config.backend + "' (available: cpu; cuda needs a build with the CUDA toolkit)");
#endif
  if (config.num_streams < 1 || config.num_streams > 256) return InvalidArgument("num_streams must be 1..256");
  if (config.threads_per_stream < 1 || config.threads_per_stream > 256)
    return InvalidArgument("threads_per_stream must be 1..256");
  if (config.queue_capacity < 1) return InvalidArgument("queue_capacity must be at least 1");
  if (config.stream_spin_us < -1 || config.stream_spin_us > 1'000'000)
    return InvalidArgument("stream_spin_us must be -1 (auto) or 0..1000000");
  auto impl = std::make_unique<Impl>(config);
  if (!config.profile.empty()) {
    auto p = profile::load_profile(config.profile);
    if (!p.ok()) return p.status().with_context("RuntimeConfig::profile");
    impl->cost = std::make_shared<const profile::CostModel>(std::move(p).value());
  } else if (config.backend == "cpu") {
    impl->cost = std::make_shared<const profile::CostModel>(profile::cpu_host());
  }  // a GPU without a profile: flop-weighted schedules (no guess at which GPU it is)
  if (!impl->cfg.launch_policy) impl->cfg.launch_policy = fifo_launch_policy();
  if (!impl->cfg.graph_policy) impl->cfg.graph_policy = fixed_graph_policy(GraphMode::kMerge, "greedy");
  if (config.record_trace) {
    impl->trace = std::make_unique<runtime::TraceRecorder>(impl->start, config.trace_max_events);
    impl->metrics.set_trace(impl->trace.get());
  }
  if (config.backend == "cpu") {
    impl->executor = std::make_unique<runtime::StageExecutor>(config.num_streams, config.threads_per_stream,
                                                              &impl->metrics, impl->trace.get(), config.stream_spin_us);
  } else {
#ifdef TOP_WITH_CUDA
    cuda::CudaBackendOptions co;
    co.num_streams = config.num_streams;
    TOP_ASSIGN_OR_RETURN(auto backend, cuda::CudaBackend::create(co));
    // Instances in flight on the GPU at once: as many as streams.
    impl->executor = std::make_unique<runtime::CudaInstanceRunner>(std::move(backend), config.num_streams);
#endif
  }
  Impl* p = impl.get();
  impl->launcher = std::thread([p] { p->launcher_loop(); });
  return std::unique_ptr<Runtime>(new Runtime(std::move(impl)));
}

Status Runtime::load_model(const std::string& name, const Model& model) { return load_model(name, model, {}); }

Status Runtime::load_model(const std::string& name, const Model& model, const ModelOptions& opts) {
  if (!model.graph()) return InvalidArgument("model '" + name + "' is empty");
  if (!(opts.slo_ms >= 0) || !std::isfinite(opts.slo_ms))
    return InvalidArgument("model '" + name + "': slo_ms must be a finite number >= 0");
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->accepting) return Status(StatusCode::kUnavailable, "the runtime is shutting down");
  if (impl_->models.count(name)) return InvalidArgument("a model named '" + name + "' is already loaded");
  auto e = std::make_shared<ModelEntry>(name, model, impl_->executor->num_streams(), impl_->cost,
                                       impl_->cfg.threads_per_stream);
  e->q.metrics_index = impl_->metrics.add_model(name);
  e->q.batchable = runtime::is_batchable(*model.graph());
  e->q.graph = runtime::graph_shape_stats(*model.graph());
  e->q.slo_ms = opts.slo_ms;
  // Read by the launcher under `mu`, which also guards `active`.
  ModelEntry* raw = e.get();
  e->q.mean_progress = [raw] {
    double progress = 0;
    int n = 0;
    for (const auto& w : raw->active)
      if (auto inst = w.lock()) {
        progress += inst->progress();
        ++n;
      }
    return n ? progress / n : 0.0;
  };
  impl_->models[name] = e;
  impl_->reported[e->q.metrics_index] = e;
  return Status::Ok();
}

Status Runtime::unload_model(const std::string& name) {
  std::shared_ptr<ModelEntry> e;
  std::vector<Task> dropped;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    auto it = impl_->models.find(name);
    if (it == impl_->models.end()) return NotFound("no model named '" + name + "' is loaded");
    e = it->second;
    e->unloading = true;
    // Counted under `mu`, before the entry can retire, so the counts are complete.
    const auto now = Clock::now();
    for (runtime::QueuedTask& qt : e->q.queue) {
      dropped.push_back(e->take(std::move(qt)));
      impl_->metrics.on_dequeue(e->q.metrics_index, 1, 0, 0, now);
      impl_->metrics.on_finish(e->q.metrics_index, false, ms_between(dropped.back().q.submitted, now));
    }
    e->q.queue.clear();
    e->q.queued_with_deadline = 0;
    impl_->models.erase(it);
    impl_->retire_if_done_locked(*e);
  }
  impl_->space_cv.notify_all();
  for (Task& t : dropped) impl_->fail(t, Status(StatusCode::kCancelled, "model '" + name + "' was unloaded"));
  // A callback may be one of this model's running tasks: its instance ends after it.
  if (impl_->in_own_callback()) return Status::Ok();
  std::unique_lock<std::mutex> lock(impl_->mu);
  impl_->idle_cv.wait(lock, [&] { return e->q.in_flight_instances == 0; });
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
    impl_->deliver(done, std::move(r));
  }
  return s;
}

RuntimeStats Runtime::stats() const {
  std::vector<int> indices;
  RuntimeStats s = impl_->metrics.snapshot(Clock::now(), &indices);
  std::lock_guard<std::mutex> lock(impl_->mu);
  // The launcher's view of queue and in-flight counts; a model that retired since the
  // snapshot is left out.
  std::vector<ModelStats> kept;
  kept.reserve(s.models.size());
  for (size_t i = 0; i < s.models.size(); ++i) {
    auto it = impl_->reported.find(indices[i]);
    if (it == impl_->reported.end()) continue;
    ModelStats& m = s.models[i];
    m.queue_length = it->second->q.queue.size();
    m.in_flight = it->second->q.in_flight_tasks;
    kept.push_back(std::move(m));
  }
  s.models = std::move(kept);
  return s;
}

Status Runtime::write_trace(const std::string& path) const {
  if (!impl_->trace) return InvalidArgument("tracing is off: set RuntimeConfig::record_trace");
  return impl_->trace->write_chrome_json(path);
}

void Runtime::shutdown(ShutdownMode mode) {
  impl_->request_stop(mode);
  // A callback cannot join the thread it may run on, nor wait for its own instance: it
  // only asks. (Nor may it take shutdown_mu, which an outside shutdown() holds while
  // it joins.) The next shutdown() or the destructor from outside joins.
  if (impl_->in_own_callback()) return;
  std::lock_guard<std::mutex> once(impl_->shutdown_mu);
  if (impl_->shut_down) return;
  if (impl_->launcher.joinable()) impl_->launcher.join();
  impl_->executor.reset();  // every instance has finished: joins the streams
  impl_->shut_down = true;
}

}  // namespace top

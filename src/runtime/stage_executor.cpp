#include "runtime/stage_executor.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

namespace top::runtime {

Status Instance::bind() {
  const exec::ExecutionPlan& plan = *compiled->schedule.plan;
  const size_t k = inputs.size();
  if (arenas.size() != k) arenas.resize(k);  // the runtime may hand in recycled arenas
  bindings.assign(k, exec::Bindings{});
  input_ptrs.assign(k, {});
  for (size_t t = 0; t < k; ++t) {
    for (const Tensor& x : inputs[t]) input_ptrs[t].push_back(&x);
    TOP_RETURN_IF_ERROR(exec::bind(plan, input_ptrs[t], arenas[t], bindings[t], &compiled->task_layouts[t]));
  }
  init_state();
  return Status::Ok();
}

void Instance::init_state() {
  const exec::ExecutionPlan& plan = *compiled->schedule.plan;
  const size_t k = inputs.size();
  task_failed.reset(new std::atomic<bool>[k]);
  for (size_t t = 0; t < k; ++t) task_failed[t].store(false);
  task_error.assign(k, Status::Ok());
  const size_t n = compiled->groups.size();
  deps_left.reset(new std::atomic<int>[n]);
  for (size_t g = 0; g < n; ++g) deps_left[g].store(compiled->num_deps[g]);
  groups_left.store(static_cast<int>(n));
  total_ops = static_cast<int>(plan.steps.size() * k);
}

Result<std::vector<Tensor>> Instance::task_outputs(size_t t) const {
  if (t < outputs.size()) return outputs[t];
  if (t >= bindings.size()) return Internal("instance: no outputs for task " + std::to_string(t));
  return exec::collect_outputs(*compiled->schedule.plan, bindings[t]);
}

namespace {

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace

StageExecutor::StageExecutor(int num_streams, int threads_per_stream, MetricsRecorder* metrics, TraceRecorder* trace,
                             int spin_us)
    : metrics_(metrics), trace_(trace), spin_us_(resolve_spin_us(spin_us, num_streams, threads_per_stream,
                                     static_cast<int>(std::thread::hardware_concurrency()))) {
  num_streams = std::max(1, num_streams);
  for (int i = 0; i < num_streams; ++i) pools_.push_back(std::make_unique<ThreadPool>(threads_per_stream));
  for (int i = 0; i < num_streams; ++i) streams_.emplace_back([this, i] { stream_loop(i); });
}

StageExecutor::~StageExecutor() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : streams_) t.join();
}

size_t StageExecutor::ready_groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return ready_.size();
}

void StageExecutor::submit(std::shared_ptr<Instance> inst) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    inst->seq = next_seq_++;
    for (size_t g = 0; g < inst->compiled->groups.size(); ++g)
      if (inst->compiled->num_deps[g] == 0) ready_.push(Work{inst->seq, static_cast<int>(g), inst});
    queued_.store(ready_.size(), std::memory_order_release);
  }
  cv_.notify_all();
}

bool StageExecutor::take_oldest_locked(Work& w) {
  if (ready_.empty()) return false;
  w = ready_.top();
  ready_.pop();
  queued_.store(ready_.size(), std::memory_order_release);
  return true;
}

bool StageExecutor::poll(Work& w) {
  if (queued_.load(std::memory_order_acquire) == 0) return false;
  std::lock_guard<std::mutex> lock(mu_);
  return take_oldest_locked(w);
}

void StageExecutor::stream_loop(int stream) {
  Work w;
  for (;;) {
    if (!w.inst && spin_us_ > 0) {
      const auto until = Clock::now() + std::chrono::microseconds(spin_us_);
      // Yielding every 64 polls (a few microseconds): a stream thread the kernel placed
      // on this core (it may wake a sleeping thread onto the waker's core) runs instead
      // of waiting for the poll to end. Measured on googlenet_small's greedy schedule:
      // as fast as pure pause-polling, and it keeps squeezenet's fine-grained schedule
      // from losing whole polling windows.
      for (int i = 1; !poll(w); ++i) {
        if ((i & 63) == 0) {
          std::this_thread::yield();
          if (Clock::now() >= until) break;
        } else {
          cpu_relax();
        }
      }
    }
    if (!w.inst) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
      if (!take_oldest_locked(w)) return;  // stopping with nothing left
    }
    w = run_group(stream, w);
  }
}

StageExecutor::Work StageExecutor::run_group(int stream, const Work& w) {
  Instance& inst = *w.inst;
  const exec::CompiledSchedule& cs = *inst.compiled;
  const exec::ExecutionPlan& plan = *cs.schedule.plan;
  const exec::Group& group = *cs.groups[w.group];
  busy_.fetch_add(1);
  auto group_begin = Clock::now();
  const exec::MergedConv* merged = cs.merged[w.group].get();
  // A merged group runs as one wide convolution: one pass of the loop stands for all.
  for (const exec::OpRef& r : group.ops) {
    if (inst.cancelled.load(std::memory_order_relaxed)) break;
    if (inst.task_failed[r.task].load(std::memory_order_acquire)) continue;
    const exec::Step& step = plan.steps[r.step];
    auto b = Clock::now();
    Status st = merged ? exec::run_merged_conv(plan, *merged, inst.bindings[r.task], pools_[stream].get())
                       : exec::run_step(plan, step, inst.bindings[r.task], pools_[stream].get());
    auto e = Clock::now();
    if (!st.ok()) {
      std::lock_guard<std::mutex> lock(inst.error_mu);
      if (!inst.task_failed[r.task].load()) {
        inst.task_error[r.task] = st;
        inst.task_failed[r.task].store(true, std::memory_order_release);
      }
      continue;
    }
    inst.ops_done.fetch_add(1, std::memory_order_relaxed);
    if (trace_) {
      const ir::Node& n = plan.graph->nodes[step.node];
      TraceSlice s;
      s.stream = stream;
      s.name = n.name;
      s.op_type = n.op_type;
      s.model = inst.model;
      s.task_index = r.task;
      s.task_id = r.task < static_cast<int>(inst.task_ids.size()) ? inst.task_ids[r.task] : 0;
      s.stage = cs.stage_of[w.group];
      s.group = w.group;
      s.begin = b;
      s.end = e;
      trace_->add(std::move(s));
    }
    if (merged) {
      inst.ops_done.fetch_add(static_cast<int>(group.ops.size()) - 1, std::memory_order_relaxed);
      break;
    }
  }
  if (metrics_) metrics_->on_stream_busy(stream, group_begin, Clock::now());
  busy_.fetch_sub(1);

  // Release successors; they run even after an error so the instance still completes
  // (they skip their operators because `cancelled` is set). This stream takes the
  // oldest ready group itself, under the same lock, and wakes the others only for what
  // is left: a chain of groups stays on one core, with its tensors in that core's
  // cache, instead of racing a woken stream for the successor (the virtual executor
  // gives a stream that just finished a group the first pick, without wake-up latency).
  Work next;
  bool more = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s : cs.successors[w.group])
      if (inst.deps_left[s].fetch_sub(1) == 1) ready_.push(Work{inst.seq, s, w.inst});
    take_oldest_locked(next);
    more = !ready_.empty();
  }
  if (more) cv_.notify_all();
  if (inst.groups_left.fetch_sub(1) == 1 && inst.on_done) inst.on_done(inst);
  return next;
}

}  // namespace top::runtime

#include "runtime/executor_calibration.h"

#include <algorithm>
#include <chrono>
#include <atomic>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>

#include "runtime/stage_executor.h"
#include "runtime/trace.h"
#include "sched/generators.h"
#include "util/median.h"

namespace top::runtime {

Result<double> run_instance_ms(StageExecutor& ex, const std::shared_ptr<const exec::CompiledSchedule>& cs,
                               const std::vector<Tensor>& inputs, std::vector<exec::Arena>& arenas) {
  auto inst = std::make_shared<Instance>();
  inst->compiled = cs;
  inst->inputs.assign(static_cast<size_t>(cs->schedule.num_tasks), inputs);
  inst->arenas = std::move(arenas);
  TOP_RETURN_IF_ERROR(inst->bind());
  std::promise<std::chrono::steady_clock::time_point> done;
  inst->on_done = [&done](Instance&) { done.set_value(std::chrono::steady_clock::now()); };
  const auto t0 = std::chrono::steady_clock::now();
  ex.submit(inst);
  const auto t1 = done.get_future().get();
  const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
  for (const Status& st : inst->task_error) TOP_RETURN_IF_ERROR(st);
  arenas = std::move(inst->arenas);
  return ms;
}

Result<double> measure_group_overhead_ms(std::shared_ptr<const exec::ExecutionPlan> plan,
                                         const std::vector<Tensor>& inputs, int repeat) {
  const int steps = static_cast<int>(plan->steps.size());
  if (steps < 2) return InvalidArgument("measure_group_overhead_ms: the plan needs at least two operators");
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  TOP_ASSIGN_OR_RETURN(exec::Schedule one, sched::sequential_schedule(tg));
  exec::Schedule chain = one;
  chain.stages.clear();
  for (int s = 0; s < steps; ++s) chain.stages.push_back(exec::Stage{{exec::Group{{exec::OpRef{0, s}}}}});
  chain.generator = "chain";
  TOP_ASSIGN_OR_RETURN(auto one_cs, exec::CompiledSchedule::compile(std::move(one)));
  TOP_ASSIGN_OR_RETURN(auto chain_cs, exec::CompiledSchedule::compile(std::move(chain)));
  StageExecutor ex(1, 1, nullptr, nullptr);
  std::vector<exec::Arena> a1, a2;
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, one_cs, inputs, a1).status());  // warm-up
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, chain_cs, inputs, a2).status());
  std::vector<double> t_one, t_chain;
  for (int r = 0; r < std::max(1, repeat); ++r) {
    TOP_ASSIGN_OR_RETURN(double x, run_instance_ms(ex, one_cs, inputs, a1));
    TOP_ASSIGN_OR_RETURN(double y, run_instance_ms(ex, chain_cs, inputs, a2));
    t_one.push_back(x);
    t_chain.push_back(y);
  }
  return std::max(0.0, (median(t_chain) - median(t_one)) / (steps - 1));
}

Result<double> measure_wake_ms(int repeat) {
  using Clock = std::chrono::steady_clock;
  auto busy_for = [](std::chrono::microseconds d) {
    const auto until = Clock::now() + d;
    while (Clock::now() < until) {
    }
  };
  std::mutex mu;
  std::condition_variable cv;
  bool go = false, stop = false;
  std::atomic<int64_t> woke_ns{0};
  std::atomic<int> acks{0};
  std::thread waiter([&] {
    for (;;) {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return go || stop; });
      if (!go) return;
      go = false;
      lock.unlock();
      woke_ns.store(Clock::now().time_since_epoch().count(), std::memory_order_release);
      acks.fetch_add(1, std::memory_order_release);
    }
  });
  std::vector<double> lat;
  Status status = Status::Ok();
  for (int r = 0; r < std::max(1, repeat) + 2 && status.ok(); ++r) {
    busy_for(std::chrono::microseconds(200));  // the waiter is asleep again by now
    const int before = acks.load(std::memory_order_acquire);
    int64_t sent;
    {
      std::lock_guard<std::mutex> lock(mu);
      go = true;
      sent = Clock::now().time_since_epoch().count();
    }
    cv.notify_one();
    busy_for(std::chrono::microseconds(300));  // the notifier goes on computing
    const auto give_up = Clock::now() + std::chrono::seconds(2);
    while (acks.load(std::memory_order_acquire) == before) {
      if (Clock::now() > give_up) {
        status = Internal("measure_wake_ms: the waiting thread did not wake in 2 s");
        break;
      }
      std::this_thread::yield();
    }
    if (status.ok() && r >= 2) lat.push_back(std::chrono::duration<double, std::milli>(
                                  Clock::duration(woke_ns.load(std::memory_order_acquire) - sent)).count());
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  cv.notify_one();
  waiter.join();
  TOP_RETURN_IF_ERROR(status);
  return std::max(0.0, median(lat));
}

Result<ScheduleCorun> measure_schedule_corun(std::shared_ptr<const exec::ExecutionPlan> plan,
                                             const std::vector<Tensor>& inputs, int streams, int repeat) {
  using Clock = std::chrono::steady_clock;
  streams = std::max(2, streams);
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  sched::GeneratorOptions go;
  go.max_groups = streams;
  TOP_ASSIGN_OR_RETURN(exec::Schedule seq, sched::sequential_schedule(tg));
  TOP_ASSIGN_OR_RETURN(exec::Schedule greedy, sched::make_schedule("greedy", tg, go));
  TOP_ASSIGN_OR_RETURN(auto seq_cs, exec::CompiledSchedule::compile(std::move(seq)));
  TOP_ASSIGN_OR_RETURN(auto greedy_cs, exec::CompiledSchedule::compile(std::move(greedy)));
  TraceRecorder trace(Clock::now());
  StageExecutor ex(streams, 1, nullptr, &trace);
  std::vector<exec::Arena> a1, a2;
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, seq_cs, inputs, a1).status());  // warm-up, not traced below
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, greedy_cs, inputs, a2).status());
  std::vector<RunWindow> windows;
  for (int r = 0; r < std::max(1, repeat); ++r)
    for (bool g : {false, true}) {
      RunWindow w{Clock::now(), {}, g};
      TOP_RETURN_IF_ERROR(run_instance_ms(ex, g ? greedy_cs : seq_cs, inputs, g ? a2 : a1).status());
      w.end = Clock::now();
      windows.push_back(w);
    }
  ScheduleCorun out = schedule_corun_from_trace(trace.slices(), windows);
  out.measurement.method = "the model's greedy schedule on " + std::to_string(streams) +
                           " one-thread streams, traced: operators overlapping another stream's for over half "
                           "their time, against their sequential-run medians (" +
                           std::to_string(out.overlapped_ops) + " operators)";
  return out;
}

ScheduleCorun schedule_corun_from_trace(const std::vector<TraceSlice>& slices, const std::vector<RunWindow>& windows) {
  using Clock = std::chrono::steady_clock;
  // Each run's slices: runs do not overlap in time.
  std::vector<std::vector<const TraceSlice*>> per_run(windows.size());
  for (const TraceSlice& s : slices)
    for (size_t i = 0; i < windows.size(); ++i)
      if (s.begin >= windows[i].begin && s.end <= windows[i].end) {
        per_run[i].push_back(&s);
        break;
      }
  auto us = [](Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); };
  std::map<std::string, std::vector<double>> seq_us;  // node name -> durations
  for (size_t i = 0; i < windows.size(); ++i)
    if (!windows[i].greedy)
      for (const TraceSlice* s : per_run[i]) seq_us[s->name].push_back(us(s->end - s->begin));
  std::map<std::string, double> seq_median;
  for (auto& [name, v] : seq_us) seq_median[name] = median(v);
  struct Sums {
    double concurrent = 0, alone = 0;
    int n = 0;
  };
  std::map<std::string, Sums> by_type;
  Sums all;
  for (size_t i = 0; i < windows.size(); ++i) {
    if (!windows[i].greedy) continue;
    for (const TraceSlice* s : per_run[i]) {
      auto it = seq_median.find(s->name);
      if (it == seq_median.end()) continue;
      double overlap = 0;
      for (const TraceSlice* o : per_run[i])
        if (o->stream != s->stream) overlap += std::max(0.0, us(std::min(s->end, o->end) - std::max(s->begin, o->begin)));
      const double dur = us(s->end - s->begin);
      if (dur <= 0 || overlap <= 0.5 * dur) continue;
      for (Sums* x : {&by_type[s->op_type], &all}) {
        x->concurrent += dur;
        x->alone += it->second;
        ++x->n;
      }
    }
  }
  ScheduleCorun out;
  profile::ConcurrencyMeasurement& m = out.measurement;
  m.streams = 2;  // operators are compared while one other stream computed
  m.threads_per_stream = 1;
  m.alone_ms = all.alone / 1000.0;
  m.concurrent_ms = all.concurrent / 1000.0;
  out.overlapped_ops = all.n;
  m.pairwise_slowdown = all.alone > 0 ? all.concurrent / all.alone : 1.0;
  for (const auto& [type, x] : by_type)
    if (x.n >= 3 && x.alone > 0) m.by_op_type[type] = x.concurrent / x.alone;
  m.method = "traced runs: operators overlapping another stream's for over half their time, against their "
             "sequential-run medians";
  return out;
}

Status calibrate_executor(profile::Profile& profile, std::shared_ptr<const exec::ExecutionPlan> plan,
                          const std::vector<Tensor>& inputs, int streams, bool concurrency) {
  if (plan->steps.size() >= 2) {
    TOP_ASSIGN_OR_RETURN(profile.group_overhead_ms, measure_group_overhead_ms(plan, inputs));
  }
  TOP_ASSIGN_OR_RETURN(profile.stream_wake_ms, measure_wake_ms());
  if (!concurrency || streams < 2) return Status::Ok();
  TOP_ASSIGN_OR_RETURN(ScheduleCorun corun, measure_schedule_corun(plan, inputs, streams));
  if (corun.has_overlap()) {
    profile.has_sibling_concurrency = true;
    profile.sibling_concurrency = std::move(corun.measurement);
  }
  return Status::Ok();
}

}  // namespace top::runtime

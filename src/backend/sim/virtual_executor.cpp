#include "backend/sim/virtual_executor.h"

#include <algorithm>

#include "runtime/stream_spin.h"

namespace top::backend::sim {

namespace {

// Finishing within rounding of the clock counts as finished (equal ops end together).
bool done(double remaining, double now) { return remaining <= 1e-12 * std::max(1.0, now); }
// Callers hand back event times rounded to whole nanoseconds.
constexpr double kTimeSlackMs = 1e-6;

}  // namespace

std::shared_ptr<const TimedSchedule> TimedSchedule::build(const profile::CostModel& cost,
                                                          std::shared_ptr<const exec::CompiledSchedule> compiled,
                                                          int threads_per_stream) {
  auto t = std::make_shared<TimedSchedule>();
  const exec::ExecutionPlan& plan = *compiled->schedule.plan;
  std::vector<TimedOp> per_step(plan.steps.size());
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    profile::OpEstimate e = cost.op(plan, plan.steps[i], threads_per_stream);
    per_step[i].ms = std::max(1e-9, e.ms);
    per_step[i].demand = std::clamp(e.demand, 1e-9, 1.0);
    per_step[i].corun_per_extra = cost.corun_per_extra(e.op_type);
    per_step[i].sibling_corun_per_extra = cost.corun_per_extra(e.op_type, /*sibling=*/true);
  }
  // The executor's own cost per group, when the profile measured it, is paid before
  // the group's first operator.
  const double group_ms = cost.profile() ? cost.profile()->group_overhead_ms : 0.0;
  for (const exec::Group* g : compiled->groups) {
    std::vector<TimedOp> ops;
    if (g->merged) {  // one wide convolution (exec/conv_merge.h)
      std::vector<int> steps;
      for (const exec::OpRef& r : g->ops) steps.push_back(r.step);
      profile::OpEstimate e = cost.merged_conv(plan, steps, threads_per_stream);
      ops.push_back(TimedOp{std::max(1e-9, e.ms) + group_ms, std::clamp(e.demand, 1e-9, 1.0), cost.corun_per_extra("Conv"),
                            cost.corun_per_extra("Conv", true), g->ops.empty() ? 0 : g->ops.front().task});
      t->serial_ms += ops.back().ms;
      t->total_ops += 1;
      t->groups.push_back(std::move(ops));
      continue;
    }
    ops.reserve(g->ops.size());
    for (const exec::OpRef& r : g->ops) {
      ops.push_back(per_step[static_cast<size_t>(r.step)]);
      ops.back().task = r.task;
      t->serial_ms += ops.back().ms;
    }
    t->total_ops += static_cast<int>(ops.size());
    if (!ops.empty()) {
      ops.front().ms += group_ms;
      t->serial_ms += group_ms;
    }
    t->groups.push_back(std::move(ops));
  }
  t->compiled = std::move(compiled);
  return t;
}

VirtualExecutor::VirtualExecutor(int num_streams, StreamDispatch dispatch)
    : dispatch_{std::max(0.0, dispatch.wake_ms), std::max(0.0, dispatch.spin_ms)},
      streams_(static_cast<size_t>(std::max(1, num_streams))) {}

bool VirtualExecutor::is_running(const Stream& s) const { return s.busy && s.starts_at <= now_ + kTimeSlackMs; }

uint64_t VirtualExecutor::submit(std::shared_ptr<const TimedSchedule> schedule) {
  const uint64_t id = next_id_++;
  InstanceState& st = instances_[id];
  const exec::CompiledSchedule& cs = *schedule->compiled;
  st.deps_left = cs.num_deps;
  st.groups_left = static_cast<int>(cs.groups.size());
  st.schedule = std::move(schedule);
  for (size_t g = 0; g < st.deps_left.size(); ++g)
    if (st.deps_left[g] == 0) ready_.push({id, static_cast<int>(g)});
  if (st.groups_left == 0) empty_done_.push_back(id);  // nothing to run: done on the next advance
  dispatch();
  return id;
}

double VirtualExecutor::busy_streams() const {
  double n = 0;
  for (const Stream& s : streams_) n += s.busy ? 1 : 0;
  return n;
}

double VirtualExecutor::progress(uint64_t id) const {
  auto it = instances_.find(id);
  if (it == instances_.end() || it->second.schedule->total_ops == 0) return 0;
  return static_cast<double>(it->second.ops_done) / it->second.schedule->total_ops;
}

void VirtualExecutor::update_rates() {
  double total_demand = 0;
  size_t running = 0;
  for (const Stream& s : streams_)
    if (is_running(s)) {
      const TimedSchedule& ts = *instances_.at(s.instance).schedule;
      total_demand += ts.groups[static_cast<size_t>(s.group)][s.op].demand;
      ++running;
    }
  const double share = total_demand > 1.0 ? 1.0 / total_demand : 1.0;
  auto op_of = [this](const Stream& s) -> const TimedOp& {
    return instances_.at(s.instance).schedule->groups[static_cast<size_t>(s.group)][s.op];
  };
  for (Stream& s : streams_) {
    if (!is_running(s)) continue;
    const TimedOp& op = op_of(s);
    // Siblings (operators of the same task) interfere more than operators of other
    // tasks: they share inputs and arena (Profile::sibling_concurrency).
    bool sibling = false;
    for (const Stream& o : streams_)
      if (&o != &s && is_running(o) && o.instance == s.instance && op_of(o).task == op.task) sibling = true;
    const double slowdown =
        profile::CostModel::corun_slowdown(sibling ? op.sibling_corun_per_extra : op.corun_per_extra, running);
    s.rate = share / slowdown;
  }
}

void VirtualExecutor::dispatch() {
  bool changed = false;
  // Streams that just finished a group first (they pick before waking anyone), then the
  // polling ones, then the sleeping ones, which start after the wake-up latency.
  auto polling = [this](const Stream& s) { return now_ - s.idle_since <= dispatch_.spin_ms + kTimeSlackMs; };
  for (int pass = 0; pass < 3; ++pass)
  for (size_t i = 0; i < streams_.size() && !ready_.empty(); ++i) {
    Stream& s = streams_[i];
    if (s.busy) continue;
    const int kind = s.awake ? 0 : polling(s) ? 1 : 2;
    if (kind != pass) continue;
    auto [id, group] = ready_.top();
    ready_.pop();
    const TimedSchedule& ts = *instances_.at(id).schedule;
    s.busy = true;
    s.instance = id;
    s.group = group;
    s.op = 0;
    s.group_begin = now_;
    s.starts_at = kind == 2 ? now_ + dispatch_.wake_ms : now_;
    s.remaining = ts.groups[static_cast<size_t>(group)].empty() ? 0 : ts.groups[static_cast<size_t>(group)][0].ms;
    changed = true;
  }
  if (changed) update_rates();
}

double VirtualExecutor::next_event_ms() const {
  double t = empty_done_.empty() ? kNever : now_;
  for (const Stream& s : streams_) {
    if (!s.busy) continue;
    t = std::min(t, is_running(s) ? now_ + s.remaining / s.rate : s.starts_at);
  }
  return t;
}

void VirtualExecutor::finish_op(int si, std::vector<uint64_t>& finished) {
  Stream& s = streams_[static_cast<size_t>(si)];
  InstanceState& st = instances_.at(s.instance);
  const std::vector<TimedOp>& ops = st.schedule->groups[static_cast<size_t>(s.group)];
  if (!ops.empty()) st.ops_done++;
  if (++s.op < ops.size()) {
    s.remaining += ops[s.op].ms;
    return;
  }
  s.busy = false;
  s.awake = true;
  s.idle_since = now_;
  if (busy_hook_) busy_hook_(si, s.group_begin, now_);
  for (int succ : st.schedule->compiled->successors[static_cast<size_t>(s.group)])
    if (--st.deps_left[static_cast<size_t>(succ)] == 0) ready_.push({s.instance, succ});
  if (--st.groups_left == 0) {
    finished.push_back(s.instance);
    instances_.erase(s.instance);
  }
}

void VirtualExecutor::advance_to(double t_ms, std::vector<uint64_t>& finished) {
  const double dt = std::max(0.0, t_ms - now_);
  size_t was_running = 0;
  for (Stream& s : streams_)
    if (is_running(s)) {
      s.remaining -= dt * s.rate;
      ++was_running;
    }
  now_ = std::max(now_, t_ms);
  // Empty instances queued by submit() finish here, at once.
  for (uint64_t id : empty_done_) {
    finished.push_back(id);
    instances_.erase(id);
  }
  empty_done_.clear();
  size_t now_running = 0;
  for (const Stream& s : streams_) now_running += is_running(s) ? 1 : 0;
  bool changed = now_running != was_running;  // a dispatch latency ended
  for (size_t i = 0; i < streams_.size(); ++i) {
    // A stream may finish several operators at once (zero-length ones, rounding).
    while (streams_[i].busy && done(streams_[i].remaining, now_)) {
      finish_op(static_cast<int>(i), finished);
      changed = true;
    }
  }
  if (changed) {
    update_rates();
    dispatch();
  }
  for (Stream& s : streams_) s.awake = false;
}

double predict_schedule_ms(const profile::CostModel& cost, const std::shared_ptr<const exec::CompiledSchedule>& compiled,
                           int num_streams, int threads_per_stream, StreamDispatch dispatch) {
  VirtualExecutor ex(num_streams, dispatch);
  ex.submit(TimedSchedule::build(cost, compiled, threads_per_stream));
  std::vector<uint64_t> finished;
  while (finished.empty() && ex.next_event_ms() < VirtualExecutor::kNever) ex.advance_to(ex.next_event_ms(), finished);
  return ex.now_ms();
}

}  // namespace top::backend::sim

namespace top::backend::sim {

StreamDispatch default_dispatch(const profile::CostModel& cost, int num_streams, int threads_per_stream) {
  // GPU: cudaStreamWaitEvent between streams is a few microseconds.
  if (cost.device().is_gpu()) return StreamDispatch{0.005, 0.0};
  // CPU: a futex wake of a sleeping stream thread while the notifier computes, measured
  // at 30-60 us on the 2-vCPU CI machine.
  const profile::Profile* p = cost.profile();
  const double wake = p && p->stream_wake_ms > 0 ? p->stream_wake_ms : 0.045;
  const int spin_us = runtime::resolve_spin_us(runtime::kSpinAuto, num_streams, threads_per_stream,
                                               cost.device().compute_units);
  return StreamDispatch{wake, spin_us / 1000.0};
}

}  // namespace top::backend::sim

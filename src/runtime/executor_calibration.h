// What the stage executor itself costs per operator group, measured on this machine.
//
// The same plan runs as one group (the sequential schedule) and as one group per
// operator (a chain of single-operator stages), alternately on a one-stream, one-thread
// StageExecutor; the difference of the medians over the extra groups is the per-group
// cost: taking a group off the ready queue, counting down its successors' dependencies,
// pushing them and notifying the other streams. The simulator adds it to every group
// (profile::Profile::group_overhead_ms), which matters for fine-grained schedules: a
// greedy schedule of a small CNN has one group per one or two operators.
#pragma once

#include <chrono>
#include <memory>
#include <vector>

#include "exec/compiled_schedule.h"
#include "exec/executor.h"
#include "exec/plan.h"
#include "profile/profile_io.h"
#include "runtime/trace.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::runtime {

class StageExecutor;

// Runs one instance of `cs` (every one of its num_tasks tasks with `inputs`) on `ex`
// to completion and returns its wall time in ms, from submit() to the end of its last
// group (not counting the caller's own wake-up); the first task error is the result's.
// `arenas` is reused across calls (pass the same vector each time).
Result<double> run_instance_ms(StageExecutor& ex, const std::shared_ptr<const exec::CompiledSchedule>& cs,
                               const std::vector<Tensor>& inputs, std::vector<exec::Arena>& arenas);

// Milliseconds per group (>= 0); `repeat` alternating pairs of runs (median).
Result<double> measure_group_overhead_ms(std::shared_ptr<const exec::ExecutionPlan> plan,
                                         const std::vector<Tensor>& inputs, int repeat = 15);

// How long a stream thread sleeping on a condition variable takes to run after another
// thread notifies it and goes on computing (as a stream does after releasing a
// successor group): the median of `repeat` wake-ups, in ms
// (profile::Profile::stream_wake_ms). On a VM this is the guest's futex wake plus the
// host waking the idle vCPU: 30-60 us on the 2-vCPU CI machine.
Result<double> measure_wake_ms(int repeat = 60);

// How much slower operators run while another stream computes, inside the model's own
// multi-stream schedule: the greedy schedule for `streams` one-thread streams and the
// sequential one run alternately on a StageExecutor with a trace; every operator of a
// greedy run that overlapped another stream's operator for more than half its time is
// compared with its median time in the sequential runs. On this 2-vCPU VM that is
// 1.06x (inception_v3_small) to 1.2x (googlenet_small), where two unsynchronized copies
// of a whole model (profile_plan's concurrency) show none: operators of one schedule
// overlap with their siblings, which share inputs and arena, at the moments the
// schedule makes them meet. Fills profile::ConcurrencyMeasurement (pairwise and per op
// type; op types with fewer than 3 overlapped operators fall back to the pairwise
// figure); has_overlap is false when the schedule never overlapped operators.
struct ScheduleCorun {
  profile::ConcurrencyMeasurement measurement;
  int overlapped_ops = 0;  // over all greedy runs
  bool has_overlap() const { return overlapped_ops > 0; }
};
// The analysis behind it, on any trace: `windows` are the runs (they do not overlap in
// time), the sequential ones giving each operator's median, the greedy ones the
// overlapped operators (slices are matched to operators by node name).
struct RunWindow {
  std::chrono::steady_clock::time_point begin, end;
  bool greedy = false;
};
ScheduleCorun schedule_corun_from_trace(const std::vector<TraceSlice>& slices, const std::vector<RunWindow>& windows);
Result<ScheduleCorun> measure_schedule_corun(std::shared_ptr<const exec::ExecutionPlan> plan,
                                             const std::vector<Tensor>& inputs, int streams = 2, int repeat = 15);

// Everything above into a CPU profile of `plan`: group_overhead_ms (plans of two or
// more operators), stream_wake_ms and, when `concurrency` and the greedy schedule on
// `streams` streams overlapped operators, the in-schedule co-run measurement as the
// profile's sibling_concurrency (profile_plan's two-copy figure stays the one for
// operators of different tasks). Used by `toprt profile`, `toprt schedules` and the
// fidelity test.
Status calibrate_executor(profile::Profile& profile, std::shared_ptr<const exec::ExecutionPlan> plan,
                          const std::vector<Tensor>& inputs, int streams = 2, bool concurrency = true);

}  // namespace top::runtime

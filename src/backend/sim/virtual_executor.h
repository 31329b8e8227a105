// VirtualExecutor: the stage executor's semantics on a virtual clock, for the sim backend
// and the simulator. No tensor math and no threads: operators take the time the cost
// model says.
//
// Same rules as runtime::StageExecutor: an instance's group becomes ready when the
// groups producing its inputs are done (CompiledSchedule's dependency graph); an idle
// stream takes the ready group of the oldest instance first, then the lowest group
// index; a stream runs its group's operators in order. Operators running at the same
// moment — on every stream, of every instance and model — share the device by the cost
// model's rule (profile/cost_model.h): each demands a share (CPU: its threads / cores;
// GPU: its occupancy); while the total demand is <= 1 all run at their alone speed,
// beyond it every one slows by the total; a profile's measured co-run slow-down
// multiplies on top when two or more run.
//
//   auto timed = TimedSchedule::build(cost_model, compiled, /*threads_per_stream=*/1);
//   VirtualExecutor ex(/*num_streams=*/2);
//   uint64_t id = ex.submit(timed, /*now_ms=*/0);
//   std::vector<uint64_t> done;
//   while (done.empty()) ex.advance_to(ex.next_event_ms(), done);
//   double latency_ms = ex.now_ms();
//
// Thread safety: none (one simulation thread).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <queue>
#include <unordered_map>
#include <vector>

#include "profile/cost_model.h"
#include "exec/compiled_schedule.h"

namespace top::backend::sim {

// One operator as the virtual executor runs it.
struct TimedOp {
  double ms = 0;        // alone on the device (with its stream's threads)
  double demand = 1;    // share of the device it keeps busy, (0, 1]
  double corun_per_extra = 0;  // measured co-run slow-down per extra running operator
  double sibling_corun_per_extra = 0;  // the same when one of them is of the same task
  int task = 0;                 // which task of the instance (OpRef::task)
};

// A compiled schedule with every operator's cost looked up once (the event loop does no
// cost-model lookups).
struct TimedSchedule {
  std::shared_ptr<const exec::CompiledSchedule> compiled;
  std::vector<std::vector<TimedOp>> groups;  // CompiledSchedule::groups order
  int total_ops = 0;
  double serial_ms = 0;  // every operator one after another, alone

  static std::shared_ptr<const TimedSchedule> build(const profile::CostModel& cost,
                                                    std::shared_ptr<const exec::CompiledSchedule> compiled,
                                                    int threads_per_stream);
};

// How a stream comes to a group that another stream or a submit made ready. A stream
// that has just finished a group takes the next ready one at once (it picks before the
// others are woken); an idle stream still polling (idle for <= spin_ms) starts it at
// once too; a sleeping one after wake_ms (a thread wake-up on the CPU, an event wait on
// a GPU).
struct StreamDispatch {
  double wake_ms = 0;
  double spin_ms = 0;
};

class VirtualExecutor {
 public:
  static constexpr double kNever = std::numeric_limits<double>::infinity();

  explicit VirtualExecutor(int num_streams, StreamDispatch dispatch = {});

  // Called when a stream finishes a group: (stream, begin ms, end ms).
  void set_stream_busy_hook(std::function<void(int, double, double)> hook) { busy_hook_ = std::move(hook); }

  // Starts an instance at the current time; returns its id (ids grow: older = smaller).
  uint64_t submit(std::shared_ptr<const TimedSchedule> schedule);
  // When the next running operator finishes (kNever when nothing runs).
  double next_event_ms() const;
  // Moves the clock to `t_ms` (>= now, <= next_event_ms()); operators finishing by then
  // complete, their streams go on, and the ids of instances that finished are appended.
  void advance_to(double t_ms, std::vector<uint64_t>& finished);

  double now_ms() const { return now_; }
  int num_streams() const { return static_cast<int>(streams_.size()); }
  double busy_streams() const;
  size_t ready_groups() const { return ready_.size(); }
  size_t in_flight() const { return instances_.size(); }
  // Fraction of the instance's operators done (0 for an unknown id).
  double progress(uint64_t id) const;

 private:
  struct InstanceState {
    std::shared_ptr<const TimedSchedule> schedule;
    std::vector<int> deps_left;
    int groups_left = 0;
    int ops_done = 0;
  };
  struct Stream {
    bool busy = false;
    uint64_t instance = 0;
    int group = 0;
    size_t op = 0;
    double remaining = 0;  // alone-time left of the current operator
    double rate = 1;       // alone-ms done per virtual ms, under the current sharing
    double group_begin = 0;
    double starts_at = 0;  // the group's first operator begins then (dispatch latency)
    bool awake = false;    // finished a group at the current instant: no dispatch latency
    double idle_since = -kNever;  // when it finished its last group (polls until + spin_ms)
  };
  using Ready = std::pair<uint64_t, int>;  // (instance id, group): oldest instance first

  bool is_running(const Stream& s) const;  // busy and past its dispatch latency
  void dispatch();
  void update_rates();
  // The stream's operator finished: next operator, or the group is done.
  void finish_op(int s, std::vector<uint64_t>& finished);

  double now_ = 0;
  StreamDispatch dispatch_;
  uint64_t next_id_ = 0;
  std::vector<Stream> streams_;
  std::unordered_map<uint64_t, InstanceState> instances_;
  std::priority_queue<Ready, std::vector<Ready>, std::greater<Ready>> ready_;
  std::vector<uint64_t> empty_done_;  // instances without groups, finished on the next advance
  std::function<void(int, double, double)> busy_hook_;
};

// Latency of one instance of `compiled` run alone on `num_streams` streams with
// `threads_per_stream` threads each, by the event-driven model above (groups start when
// their producers are done — unlike CostModel::schedule_ms's stage barriers, an upper
// bound).
double predict_schedule_ms(const profile::CostModel& cost, const std::shared_ptr<const exec::CompiledSchedule>& compiled,
                           int num_streams, int threads_per_stream, StreamDispatch dispatch = {});

// The device's stream dispatch (see StreamDispatch). CPU: the profile's measured thread
// wake-up (profile::Profile::stream_wake_ms; 45 us when not measured) and the stage
// executor's default polling (runtime/stream_spin.h) for these streams on the device's
// cores. GPU: a cross-stream event wait, 5 us, and no polling.
StreamDispatch default_dispatch(const profile::CostModel& cost, int num_streams, int threads_per_stream);

}  // namespace top::backend::sim

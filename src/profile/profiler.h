// Profiler: measures a plan's operators on a backend (the CPU executor by default) and
// writes a device profile.
//
// Each operator is timed by the executor's StepObserver over `repeat` runs (after
// `warmup`), at the requested intra-op thread count and, by default, at one thread too
// (what a stream of the stage executor uses); the profile keeps medians per operator key.
// Concurrency: two copies of the plan run at once on two one-thread streams, and each
// operator's median time there over its median alone gives the co-run slow-down, per op
// type and overall — beyond the plain sharing of cores, which the cost model handles.
// Calibration measures this CPU's single-thread SGEMM rate, copy bandwidth and thread
// pool dispatch overhead, which replace the assumed figures of cpu_host().
//
//   auto plan = exec::make_plan(model.graph(), shapes).value();
//   profile::ProfilerOptions opts;
//   opts.threads = 2;
//   auto run = profile::profile_plan(*plan, input_ptrs, opts).value();
//   profile::save_profile(run.profile, "profiles/cpu.json");
//
// Thread safety: profile_plan may be called from any thread; it starts its own threads
// and pools. Timings are meaningful only when nothing else loads the machine.
#pragma once

#include <string>
#include <vector>

#include "exec/plan.h"
#include "profile/device.h"
#include "profile/profile_io.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::backend {
class Backend;
}

namespace top::profile {

struct ProfilerOptions {
  int threads = 0;            // intra-op threads of the main measurement; 0 = every core
  int repeat = 20;            // timed runs
  int warmup = 3;             // untimed runs first
  bool single_thread = true;  // also measure at one thread (when threads != 1)
  bool concurrency = true;    // co-run slow-down on two one-thread streams
  bool calibrate = true;      // measure SGEMM rate, bandwidth, dispatch overhead
  std::string model_name;     // recorded in the profile's "models"
  // Profile on this backend instead of the CPU executor (e.g. the CUDA backend): each
  // step is timed from its launch until the device finished it (a backend synchronises
  // after every step when given an observer), so a GPU operator's time includes its
  // launch. `device` then describes the device (e.g. device_by_name("h100-sxm")); CPU
  // calibration and the one-thread and co-run passes do not apply and are skipped.
  backend::Backend* backend = nullptr;
  DeviceSpec device;
};

struct StepTiming {
  int step = 0;
  std::string node, op_type, key;
  int threads = 1;
  double ms = 0;  // median
};

struct ProfileRun {
  Profile profile;
  std::vector<StepTiming> steps;          // every step of the plan at `threads`, plan order
  std::vector<StepTiming> steps_1thread;  // the same at one thread (empty when not measured)
  double run_ms = 0;                      // median of whole runs at `threads`
  int threads = 1;
};

// This machine's CPU with measured figures: peak = single-thread SGEMM rate x cores,
// bandwidth = multi-threaded copy rate, launch overhead = a thread-pool round trip.
DeviceSpec calibrate_cpu();

// InvalidArgument for repeat < 1 or warmup < 0; a failing run's Status names the node.
Result<ProfileRun> profile_plan(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                const ProfilerOptions& opts = {});

}  // namespace top::profile

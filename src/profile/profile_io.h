// Device profiles: measured operator latencies and concurrency slow-downs of one device,
// saved as JSON under profiles/ and read back by the cost model.
//
//   {"format": 1, "device": {...DeviceSpec...}, "created": "2025-...Z", "host_threads": 2,
//    "models": ["squeezenet1_1_small"],
//    "ops": [{"op_type": "Conv", "key": "Conv|f32[1,3,64,64];...|9f0c...", "node": "conv1",
//             "shapes": [[1,3,64,64], ...], "flops": 1.2e7, "bytes": 4.1e5,
//             "threads": 2, "ms": 0.081, "samples": 20}, ...],
//    "concurrency": {"streams": 2, "threads_per_stream": 1, "pairwise_slowdown": 1.07,
//                    "by_op_type": {"Conv": 1.05, ...}, "alone_ms": .., "concurrent_ms": ..}}
//
// An operator is identified by its key: op type, input dtypes and shapes, and a hash of
// its attributes (op_key()); a measurement also records the intra-op thread count it
// ran with, so one profile may hold the same key at 1 and at N threads.
//
// Thread safety: values; save/load touch only the named file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "profile/device.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::profile {

struct OpMeasurement {
  std::string op_type;
  std::string key;
  std::string node;           // one node this was measured on (for people reading the file)
  std::vector<Shape> shapes;  // input shapes (absent optional inputs omitted)
  double flops = 0;
  double bytes = 0;
  double output_elements = 0;
  int threads = 1;  // intra-op threads it ran with
  double ms = 0;    // median
  int samples = 0;
};

// Slow-down of operators when two streams run at once, each with `threads_per_stream`
// threads: concurrent time / alone time (1 = no interference).
struct ConcurrencyMeasurement {
  int streams = 2;
  int threads_per_stream = 1;
  double pairwise_slowdown = 1.0;
  std::map<std::string, double> by_op_type;
  double alone_ms = 0;       // one run of the measured model(s), alone
  double concurrent_ms = 0;  // the same while another copy runs
  std::string method;        // how it was measured
};

struct Profile {
  int format = 1;
  DeviceSpec device;
  std::vector<OpMeasurement> ops;
  // Co-run slow-down of operators of different tasks (two copies of a plan on two
  // streams, profile_plan).
  bool has_concurrency = false;
  ConcurrencyMeasurement concurrency;
  // Co-run slow-down of operators of the same task running side by side (sibling
  // branches, which share inputs and arena), measured inside the model's own greedy
  // schedule (runtime::measure_schedule_corun). Absent: `concurrency` applies to both.
  bool has_sibling_concurrency = false;
  ConcurrencyMeasurement sibling_concurrency;
  std::string created;  // ISO 8601 UTC
  int host_threads = 0;
  // The stage executor's own cost per operator group (taking it from the ready queue,
  // releasing its successors), measured by runtime/executor_calibration.h; 0 = unknown.
  // The simulator adds it to every group.
  double group_overhead_ms = 0;
  // How long a sleeping stream thread takes to wake while the notifying one computes,
  // measured by runtime/executor_calibration.h; 0 = unknown. The simulator charges it to
  // a group taken by a stream that was no longer polling (backend/sim/virtual_executor.h).
  double stream_wake_ms = 0;
  std::vector<std::string> models;

  // The measurement of `key` at exactly `threads` (any thread count when threads <= 0),
  // else null.
  const OpMeasurement* find(const std::string& key, int threads = 0) const;
  // Every measurement of `key`, any thread count.
  std::vector<const OpMeasurement*> find_all(const std::string& key) const;
  // Adds or replaces (same key and threads) `other`'s measurements; the concurrency
  // block is averaged with weights of the measured times. InvalidArgument when the
  // devices differ.
  Status merge(const Profile& other);
};

// "Conv|f32[1,3,64,64];f32[64,3,3,3];f32[64]|<16 hex digits of the attribute hash>".
std::string op_key(const std::string& op_type, const std::vector<DataType>& dtypes, const std::vector<Shape>& shapes,
                   const ir::Attributes& attrs);
std::string op_key(const exec::ExecutionPlan& plan, const exec::Step& step);
// FNV-1a over the attributes in name order (kinds, values; tensors by dtype, shape, bytes).
uint64_t attributes_hash(const ir::Attributes& attrs);
// Input shapes of a step (absent optional inputs omitted).
std::vector<Shape> step_input_shapes(const exec::ExecutionPlan& plan, const exec::Step& step);
// Elements of the step's outputs: the parallelism the occupancy model starts from.
double step_output_elements(const exec::ExecutionPlan& plan, const exec::Step& step);

std::string profile_to_json(const Profile& p, int indent = 1);
// `origin` names the source in errors ("profiles/x.json: ops[3]: missing 'ms'").
Result<Profile> profile_from_json(const std::string& text, const std::string& origin = "profile");
Status save_profile(const Profile& p, const std::string& path);
Result<Profile> load_profile(const std::string& path);

// The current time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

}  // namespace top::profile

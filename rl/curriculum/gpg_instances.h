// What GPG trains and is judged on: partitioning problems ("instances") — a task graph
// (one model's plan, k copies merged side by side), a device with its cost model, a
// number of streams — with the baselines' predicted latencies precomputed.
//
// Devices: "cpu" is a measured CPU profile (profiles/*.json, one thread per stream, as
// the runtime's CPU streams run); any other name is a device description
// (profile::device_by_name: "h100-sxm", "h200", "a100", ...), priced analytically.
// Graphs: seeded RandWire/NASNet-style graphs (rl/graphs) — training draws seeds below
// kHeldOutFirstSeed, evaluation uses seeds from it, so held-out graphs are never seen in
// training — and the zoo's models, planned by the caller.
//
// Thread safety: pure functions; instances are immutable once made and may be shared.
#pragma once

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "profile/cost_model.h"
#include "rl/features/graph_features.h"
#include "sched/generators.h"

namespace top::rl {

constexpr uint64_t kHeldOutFirstSeed = 1000000;

struct GpgDevice {
  std::string name;
  std::shared_ptr<const profile::CostModel> cost;
  int threads_per_stream = 0;
};
// "cpu" needs cpu_profile (a profile JSON); other names are device descriptions.
Result<std::vector<GpgDevice>> gpg_devices(const std::vector<std::string>& names, const std::string& cpu_profile);

struct NamedPlan {
  std::string name;
  std::shared_ptr<const exec::ExecutionPlan> plan;
};

// An ONNX model planned for batch 1 (every symbolic dimension 1), named `name`.
Result<NamedPlan> plan_onnx(const std::string& path, const std::string& name);

struct GpgInstance {
  std::string name;  // "<graph> k=<k> <device> x<streams>"
  exec::TaskGraph graph;
  GpgDevice device;
  int streams = 2;
  sched::GeneratorOptions options;  // cost_model_options for the device, max_groups = streams
  GraphFeatures features;
  double sequential_ms = 0, greedy_ms = 0;  // predicted (rl::predicted_schedule_ms)
  double ios_dp_ms = -1, ios_dp_time_ms = -1;  // after add_ios_dp: predicted, and its run time
};
Result<GpgInstance> make_gpg_instance(const NamedPlan& plan, int k, const GpgDevice& device, int streams);
// Runs ios-dp on the instance (as `toprt schedules` does: the cost model's stage model
// and merge stages) and records its predicted latency and how long it took.
Status add_ios_dp(GpgInstance& in);

struct CurriculumOptions {
  std::vector<GpgDevice> devices;
  std::vector<NamedPlan> zoo;       // drawn with probability zoo_share
  double zoo_share = 0.2;
  bool include_large = true;        // synthetic graphs up to ~400 operators
  std::vector<int> ks = {1, 2, 4};  // tasks merged
  int min_streams = 2, max_streams = 4;
  int max_nodes = 1200;             // redraw instances larger than this (k x steps)
};
// One random training instance (synthetic seeds below kHeldOutFirstSeed, or a zoo model).
Result<GpgInstance> draw_training_instance(const CurriculumOptions& c, std::mt19937_64& rng);
// A fixed evaluation set: `synthetic` graphs from seeds kHeldOutFirstSeed.., each with
// a k, device and stream count drawn from the seed, then every zoo model at every k
// (2 streams) on one device in turn, or on every device.
Result<std::vector<GpgInstance>> held_out_instances(const CurriculumOptions& c, int synthetic,
                                                    bool every_device = false);

}  // namespace top::rl

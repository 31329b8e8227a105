// Graph features: what the GPG partitioner's network sees of a task graph and a device,
// as plain float vectors (no Torch here, so this is unit- and TSan-testable and the
// runtime could compute it on any thread).
//
// A TaskGraph (one task, k merged side by side, or one batched task) plus the cost model
// of the device it will run on become:
//   * per operator (kOpFeatures): op class (one-hot), log FLOPs, log bytes moved, the
//     predicted latency alone on the device (log and relative to the mean), its share
//     of the device, ASAP depth, the longest path (in predicted ms) from the source and
//     to the sink and the slack against the critical path, fan-in/out, which task copy
//     it belongs to, source/sink flags and the profile's co-run slow-down;
//   * per edge (kEdgeFeatures): the bytes of the tensors it carries (log);
//   * per device and run (kDeviceFeatures): GPU or CPU, SMs/cores, bandwidth, peak
//     FLOP rate, launch overhead, streams, threads per stream, k, mean co-run slow-down,
//     so one network can serve several devices.
// Every value is scaled to roughly [0, 1] (logs divided by a fixed range) so graphs of
// any size and devices of any speed share one input distribution.
//
// The schema (names, order, scaling) is versioned: feature_schema_hash() changes with
// it, and a checkpoint records the hash it was trained with (rl/policies/checkpoint.h
// refuses a mismatch).
//
//   profile::CostModel cm(profile::h100_sxm());
//   auto f = rl::graph_features(exec::TaskGraph::build(plan, 2), cm, /*streams=*/2, /*threads_per_stream=*/0);
//   f->node[i * rl::kOpFeatures + j]   // feature j of operator i (TaskGraph node order)
//
// Thread safety: a pure function of its arguments (CostModel const methods only read).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "profile/cost_model.h"
#include "top/status.h"

namespace top::rl {

constexpr int kOpFeatures = 22;
constexpr int kEdgeFeatures = 1;
constexpr int kDeviceFeatures = 10;

struct GraphFeatures {
  int num_nodes = 0;
  std::vector<float> node;                   // num_nodes x kOpFeatures, row-major
  std::vector<int> edge_src, edge_dst;       // producer -> consumer, TaskGraph node ids
  std::vector<float> edge;                   // edges x kEdgeFeatures
  std::vector<float> device;                 // kDeviceFeatures
  // Raw values the decoder's step features and the reward need (not scaled):
  std::vector<double> op_ms;                 // predicted latency alone, per node
  std::vector<double> to_sink_ms;            // longest path to a sink, the node included
  double critical_path_ms = 0;               // longest source-to-sink path
  double total_ms = 0;                       // every operator one after another
};

// Errors: InvalidArgument for a TaskGraph not built from its plan, a cycle, or streams /
// threads out of range.
Result<GraphFeatures> graph_features(const exec::TaskGraph& g, const profile::CostModel& cost, int streams,
                                     int threads_per_stream);

// Names of the per-operator, per-edge and per-device features, in order.
const std::vector<std::string>& op_feature_names();
const std::vector<std::string>& device_feature_names();
// A hash of the schema: the names above, their counts and kFeatureSchemaVersion.
uint64_t feature_schema_hash();
constexpr int kFeatureSchemaVersion = 1;

}  // namespace top::rl

#include "rl/features/graph_features.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "rl/features/fnv1a.h"

namespace top::rl {

namespace {

// log10(1 + v) / range, clamped to [0, 1.5]: bounded inputs for any graph or device.
float log_scaled(double v, double range) {
  if (!std::isfinite(v) || v <= 0) return 0.0f;
  return static_cast<float>(std::min(1.5, std::log10(1.0 + v) / range));
}

float clamp01(double v) {
  if (!std::isfinite(v)) return 0.0f;
  return static_cast<float>(std::clamp(v, 0.0, 1.0));
}

}  // namespace

const std::vector<std::string>& op_feature_names() {
  static const std::vector<std::string> names = {
      "class_conv", "class_gemm", "class_elementwise", "class_transcendental", "class_pool_norm",
      "class_data_movement", "class_other", "log_flops", "log_bytes", "log_latency_us", "latency_vs_mean",
      "device_share", "depth", "from_source", "to_sink", "slack", "fan_in", "fan_out", "task_copy",
      "is_source", "is_sink", "corun_per_extra"};
  return names;
}

const std::vector<std::string>& device_feature_names() {
  static const std::vector<std::string> names = {
      "is_gpu", "log_units", "log_bandwidth", "log_peak_flops", "log_launch_us", "streams", "threads_per_stream",
      "tasks", "mean_corun", "log_ops"};
  return names;
}

uint64_t feature_schema_hash() {
  // FNV-1a over the version, the counts and every name: any change to the schema changes it.
  uint64_t h = kFnv1aOffset;
  auto mix = [&h](const std::string& s) { h = fnv1a_field(s, h); };
  mix("v" + std::to_string(kFeatureSchemaVersion));
  mix(std::to_string(kOpFeatures) + "/" + std::to_string(kEdgeFeatures) + "/" + std::to_string(kDeviceFeatures));
  for (const auto& n : op_feature_names()) mix(n);
  mix("edge_log_bytes");
  for (const auto& n : device_feature_names()) mix(n);
  return h;
}

Result<GraphFeatures> graph_features(const exec::TaskGraph& g, const profile::CostModel& cost, int streams,
                                     int threads_per_stream) {
  static_assert(static_cast<int>(profile::OpClass::kCount) == 7, "op class one-hot assumes 7 classes");
  if (!g.plan) return InvalidArgument("graph features: task graph has no plan");
  const exec::ExecutionPlan& plan = *g.plan;
  const int steps = static_cast<int>(plan.steps.size());
  const size_t n = g.ops.size();
  if (g.num_tasks < 1 || n != static_cast<size_t>(g.num_tasks) * steps || g.preds.size() != n || g.succs.size() != n)
    return InvalidArgument("graph features: task graph is inconsistent with its plan (build it with TaskGraph::build)");
  if (streams < 1 || streams > 256) return InvalidArgument("graph features: streams must be in 1..256");
  if (threads_per_stream < 0 || threads_per_stream > 4096)
    return InvalidArgument("graph features: threads_per_stream must be in 0..4096");
  for (size_t i = 0; i < n; ++i)
    for (int p : g.preds[i])
      if (p < 0 || static_cast<size_t>(p) >= i)
        return InvalidArgument("graph features: task graph nodes are not in topological order");

  GraphFeatures f;
  f.num_nodes = static_cast<int>(n);

  // Per step (shared by the k copies): work, estimate, co-run coefficient.
  std::vector<profile::OpWork> work(steps);
  std::vector<profile::OpEstimate> est(steps);
  std::vector<double> corun(steps);
  for (int s = 0; s < steps; ++s) {
    work[s] = profile::describe_step(plan, plan.steps[s]);
    est[s] = cost.op(work[s], threads_per_stream);
    corun[s] = cost.corun_per_extra(work[s].op_type);
  }
  f.op_ms.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double ms = est[g.ops[i].step].ms;
    f.op_ms[i] = std::isfinite(ms) && ms > 0 ? ms : 0.0;
    f.total_ms += f.op_ms[i];
  }

  // Depth and longest paths (node order is topological, checked above).
  std::vector<int> depth(n, 0);
  std::vector<double> from_source(n, 0);
  int max_depth = 0;
  for (size_t i = 0; i < n; ++i) {
    double best = 0;
    for (int p : g.preds[i]) {
      depth[i] = std::max(depth[i], depth[p] + 1);
      best = std::max(best, from_source[p]);
    }
    from_source[i] = best + f.op_ms[i];
    max_depth = std::max(max_depth, depth[i]);
  }
  f.to_sink_ms.assign(n, 0);
  for (size_t r = n; r-- > 0;) {
    double best = 0;
    for (int s : g.succs[r]) best = std::max(best, f.to_sink_ms[s]);
    f.to_sink_ms[r] = best + f.op_ms[r];
    f.critical_path_ms = std::max(f.critical_path_ms, f.to_sink_ms[r]);
  }
  const double cp = f.critical_path_ms > 0 ? f.critical_path_ms : 1.0;
  const double mean_ms = n ? f.total_ms / static_cast<double>(n) : 0.0;

  f.node.assign(n * kOpFeatures, 0.0f);
  double corun_sum = 0;
  for (size_t i = 0; i < n; ++i) {
    const int s = g.ops[i].step;
    float* row = &f.node[i * kOpFeatures];
    row[static_cast<int>(profile::classify_op(work[s].op_type))] = 1.0f;
    row[7] = log_scaled(work[s].flops, 12);
    row[8] = log_scaled(work[s].bytes, 10);
    row[9] = log_scaled(f.op_ms[i] * 1e3, 6);
    row[10] = mean_ms > 0 ? log_scaled(f.op_ms[i] / mean_ms, 2) : 0.0f;
    row[11] = clamp01(est[s].demand);
    row[12] = max_depth > 0 ? static_cast<float>(depth[i]) / max_depth : 0.0f;
    row[13] = clamp01(from_source[i] / cp);
    row[14] = clamp01(f.to_sink_ms[i] / cp);
    row[15] = clamp01(1.0 - (from_source[i] + f.to_sink_ms[i] - f.op_ms[i]) / cp);
    row[16] = log_scaled(static_cast<double>(g.preds[i].size()), 1.5);
    row[17] = log_scaled(static_cast<double>(g.succs[i].size()), 1.5);
    row[18] = g.num_tasks > 1 ? static_cast<float>(g.ops[i].task) / (g.num_tasks - 1) : 0.0f;
    row[19] = g.preds[i].empty() ? 1.0f : 0.0f;
    row[20] = g.succs[i].empty() ? 1.0f : 0.0f;
    row[21] = clamp01(corun[s]);
    corun_sum += corun[s];
  }

  // Edges: bytes of the producer's outputs the consumer reads.
  std::unordered_map<ir::ValueId, int> producer_of;  // value -> step
  for (int s = 0; s < steps; ++s)
    for (ir::ValueId v : plan.steps[s].outputs)
      if (v != ir::kNoValue) producer_of[v] = s;
  for (size_t i = 0; i < n; ++i) {
    const int cs = g.ops[i].step;
    for (int p : g.preds[i]) {
      const int ps = g.ops[p].step;
      double bytes = 0;
      for (ir::ValueId v : plan.steps[cs].inputs) {
        if (v == ir::kNoValue) continue;
        auto it = producer_of.find(v);
        if (it != producer_of.end() && it->second == ps && static_cast<size_t>(v) < plan.slots.size())
          bytes += static_cast<double>(plan.slots[v].bytes);
      }
      f.edge_src.push_back(p);
      f.edge_dst.push_back(static_cast<int>(i));
      f.edge.push_back(log_scaled(bytes, 9));
    }
  }

  const profile::DeviceSpec& d = cost.device();
  f.device = {d.is_gpu() ? 1.0f : 0.0f,
              log_scaled(d.compute_units, 3),
              log_scaled(d.memory_bandwidth, 13),
              log_scaled(d.peak_fp32_flops, 15),
              log_scaled(d.launch_overhead_s * 1e6, 3),
              static_cast<float>(std::min(streams, 16)) / 16.0f,
              static_cast<float>(std::min(threads_per_stream, 64)) / 64.0f,
              static_cast<float>(std::min(g.num_tasks, 16)) / 16.0f,
              clamp01(n ? corun_sum / static_cast<double>(n) : 0.0),
              log_scaled(static_cast<double>(n), 4)};
  return f;
}

}  // namespace top::rl

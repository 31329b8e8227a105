#include "rl/features/agent_features.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "rl/features/fnv1a.h"

namespace top::rl {

double reference_ms(const ModelObservation& m) {
  if (m.slo_ms > 0) return m.slo_ms;
  if (m.recent_latency_ms > 0) return 5 * m.recent_latency_ms;
  return 50;
}

AgentObservation agent_observation(const LaunchObservation& obs) {
  AgentObservation o;
  o.num_models = static_cast<int>(std::min<size_t>(obs.models.size(), kMaxAgentModels));
  o.model.resize(static_cast<size_t>(o.num_models) * kModelFeatures);
  o.ref_ms.resize(o.num_models);
  size_t total_queue = 0;
  for (int i = 0; i < o.num_models; ++i) {
    const ModelObservation& m = obs.models[i];
    const double ref = reference_ms(m);
    o.ref_ms[i] = ref;
    total_queue += m.queue_length;
    float* f = &o.model[static_cast<size_t>(i) * kModelFeatures];
    f[0] = static_cast<float>(std::log1p(static_cast<double>(m.queue_length)));
    f[1] = static_cast<float>(std::min(m.oldest_wait_ms / ref, 8.0));
    f[2] = static_cast<float>(std::log1p(m.arrival_rate_per_s * ref / 1000.0));
    f[3] = static_cast<float>(std::log1p(m.arrival_rate_short_per_s * ref / 1000.0));
    f[4] = static_cast<float>(std::log1p(static_cast<double>(m.in_flight_instances)));
    f[5] = static_cast<float>(std::log1p(static_cast<double>(m.in_flight_tasks)));
    f[6] = static_cast<float>(m.mean_progress);
    f[7] = static_cast<float>(std::min(m.recent_latency_ms / ref, 8.0));
    f[8] = static_cast<float>(std::min(m.ms_since_last_dequeue / ref, 4.0));
    f[9] = m.batchable ? 1.0f : 0.0f;
    f[10] = static_cast<float>(m.slo_miss_rate);
    f[11] = m.slo_ms > 0 ? 1.0f : 0.0f;
    const double ops = static_cast<double>(m.graph_operators);
    f[12] = static_cast<float>(std::log1p(ops) / 8);
    f[13] = static_cast<float>(std::log1p(ops / static_cast<double>(std::max<size_t>(1, m.graph_depth))) / 4);
    f[14] = static_cast<float>(std::log1p(static_cast<double>(m.graph_width)) / 5);
  }
  o.mean.assign(kModelFeatures, 0.0f);
  for (int i = 0; i < o.num_models; ++i)
    for (int j = 0; j < kModelFeatures; ++j) o.mean[j] += o.model[static_cast<size_t>(i) * kModelFeatures + j];
  for (float& x : o.mean) x /= static_cast<float>(std::max(1, o.num_models));
  const double streams = std::max(1, obs.num_streams);
  o.global = {static_cast<float>(obs.busy_streams / streams), static_cast<float>(std::min(obs.ready_groups / streams, 8.0)),
              static_cast<float>(std::min(obs.in_flight_instances / streams, 8.0)),
              static_cast<float>(o.num_models / 4.0), static_cast<float>(std::log1p(static_cast<double>(total_queue)))};
  return o;
}

void actor_context(const AgentObservation& o, int m, float* out) {
  std::copy_n(&o.model[static_cast<size_t>(m) * kModelFeatures], kModelFeatures, out);
  std::copy_n(o.mean.data(), kModelFeatures, out + kModelFeatures);
  std::copy_n(o.global.data(), kGlobalFeatures, out + 2 * kModelFeatures);
}

uint64_t agent_feature_schema_hash() {
  uint64_t h = kFnv1aOffset;
  for (const char* n : {"log1p_queue", "oldest_wait_ref", "log1p_rate_ref", "log1p_rate_short_ref", "log1p_inflight_inst",
                        "log1p_inflight_tasks", "progress", "latency_ref", "since_dequeue_ref_cap4", "batchable",
                        "slo_miss_rate", "has_slo", "log1p_ops_over_8", "log1p_ops_per_depth_over_4",
                        "log1p_width_over_5", "g:busy_per_stream", "g:ready_per_stream", "g:inflight_per_stream",
                        "g:models_over_4", "g:log1p_total_queue", "ctx:self_mean_global", "ref:slo_or_5x_latency_or_50"})
    h = fnv1a_field(n, h);
  return h;
}

}  // namespace top::rl

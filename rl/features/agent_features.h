// What the learned task launcher and model scheduler see (issue #11): a LaunchObservation
// turned into numbers that mean the same on a CPU and on an H100.
//
// Times are measured in the model's reference time ref_ms: its SLO when it has one, else
// 5x its recent latency (the SLO a deployment would typically set), else 50 ms before the
// first task finished. So "the head waited 0.4 ref" means the same urgency on any device,
// and a policy trained on the CPU profile and on H100 descriptions can act on both.
//
// Per model (kModelFeatures): log1p(queue), oldest wait / ref, log1p(arrival rate x ref)
// at two time scales, log1p(in-flight instances), log1p(in-flight tasks), mean progress,
// recent latency / ref, min(time since last dequeue / ref, 4), batchable, SLO miss rate,
// has an SLO, and the graph's statistics (the graph embedding until GPG's encoder serves
// here): log1p(operators) / 8, log1p(operators / depth) / 4 (mean operator parallelism),
// log1p(width) / 5 (the widest level). Global (kGlobalFeatures): busy streams / streams, ready groups / streams,
// in-flight instances / streams, models / 4, log1p(total queue).
// An actor reads one model at a time: [its features ; the mean over all models ;
// global] (kActorContext values), so parameters are shared across models and the
// number of models may vary.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "top/policy.h"

namespace top::rl {

constexpr int kModelFeatures = 15;
constexpr int kGlobalFeatures = 5;
constexpr int kActorContext = 2 * kModelFeatures + kGlobalFeatures;
constexpr int kMaxAgentModels = 8;  // models one observation may hold (training pads to 4)

// The reference time of one model (see above).
double reference_ms(const ModelObservation& m);

struct AgentObservation {
  int num_models = 0;
  std::vector<float> model;    // num_models x kModelFeatures, in the LaunchObservation's order
  std::vector<float> global;   // kGlobalFeatures
  std::vector<double> ref_ms;  // per model
  std::vector<float> mean;     // kModelFeatures: the mean over the models, for every actor context
};
AgentObservation agent_observation(const LaunchObservation& obs);

// The actor input of model m: kActorContext floats written to `out`.
void actor_context(const AgentObservation& o, int m, float* out);

// Names the features and their order; a checkpoint trained on others is refused.
uint64_t agent_feature_schema_hash();

}  // namespace top::rl

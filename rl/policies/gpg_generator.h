// The `gpg` schedule generator: the learned GNN partitioner (rl/policies/gpg_network.h)
// behind the library's ScheduleGenerator interface (sched/registry.h).
//
// For a TaskGraph and GeneratorOptions it computes the graph features on the options'
// cost model (GeneratorOptions::cost_model; without one, this machine's analytical CPU
// description, profile::cpu_host), encodes the graph once, decodes a partition greedily
// (and, with samples > 0, that many sampled ones more, keeping the best), then prices
// it and the greedy and sequential schedules with the simulator's virtual executor
// (backend::sim::predict_schedule_ms with the device's default dispatch: the pricing of
// `toprt schedules`' predicted column) and returns the cheapest — never predicted slower
// than greedy or sequential. The name tells which won: "gpg", "gpg(greedy)" or
// "gpg(sequential)"; Schedule::predicted_ms is its price.
//
//   TOP_RETURN_IF_ERROR(top::rl::register_gpg_generator());   // the committed checkpoint
//   auto s = top::sched::make_schedule("gpg", tg, sched::cost_model_options(cm, plan, 1));
//
// register_gpg_generator registers "gpg" (greedy decoding) and "gpg-best8" (best of the
// greedy and 7 sampled partitions: a few milliseconds more for a better partition).
//
// Thread safety: generate() is const and may run on several threads at once.
#pragma once

#include <memory>
#include <string>

#include "profile/cost_model.h"
#include "rl/policies/gpg_network.h"
#include "sched/registry.h"

namespace top::rl {

// The simulator's prediction of one instance of `s` run alone (what the guard and the
// training reward use).
Result<double> predicted_schedule_ms(const profile::CostModel& cost, const exec::Schedule& s, int streams,
                                     int threads_per_stream);

struct GpgOptions {
  int samples = 0;           // sampled partitions besides the greedy one
  double temperature = 1.0;  // of the sampling
  uint64_t seed = 1;         // sampling is seeded: same graph, same partition
};

// Where the time of one partition went, and what the guard compared.
struct GpgOutcome {
  exec::Schedule schedule;  // the returned (cheapest) one
  double gpg_ms = 0, greedy_ms = 0, sequential_ms = 0;  // predicted latency of each
  double features_ms = 0, encode_ms = 0, decode_ms = 0, price_ms = 0;  // wall time spent
};

class GpgGenerator : public sched::ScheduleGenerator {
 public:
  GpgGenerator(std::shared_ptr<const GpgNetwork> net, GpgOptions opts, std::string description);
  Result<exec::Schedule> generate(const exec::TaskGraph& g, const sched::GeneratorOptions& opts) const override;
  std::string description() const override { return description_; }
  Result<GpgOutcome> partition(const exec::TaskGraph& g, const sched::GeneratorOptions& opts) const;

 private:
  std::shared_ptr<const GpgNetwork> net_;
  GpgOptions opts_;
  std::string description_;
};

// The checkpoint users get without training: $TOP_GPG_CHECKPOINT when set, else the
// committed rl/checkpoints/gpg.json of the source tree.
std::string default_gpg_checkpoint();
// Reads and validates a checkpoint (rl/checkpoint/checkpoint.h) into a network.
Result<std::shared_ptr<const GpgNetwork>> load_gpg_network(const std::string& manifest_path);
// Registers "gpg" and "gpg-best8" from the checkpoint (empty: default_gpg_checkpoint()).
// On error nothing is registered and "gpg" stays reserved with the error as its reason.
Status register_gpg_generator(const std::string& manifest_path = "");

}  // namespace top::rl

// GPG against the other generators on a set of instances (rl/curriculum/gpg_instances.h):
// what the trainer reports on its held-out set and the benchmark tabulates.
//
// Per instance: GPG's own partition (before the guard) and the guarded result, greedy,
// sequential and (when the instance has it) ios-dp, all priced by the simulator's
// virtual executor, and GPG's partition time. The summary is what the quality
// bar asks: the geometric mean of GPG / ios-dp, how often GPG is no worse than greedy,
// and whether it is ever worse than sequential.
#pragma once

#include <string>
#include <vector>

#include "rl/curriculum/gpg_instances.h"
#include "rl/policies/gpg_generator.h"

namespace top::rl {

struct GpgEvalRow {
  std::string name;
  int nodes = 0;
  double gpg_raw_ms = 0;  // GPG's partition, unguarded
  double gpg_ms = 0;      // after the guard (what the generator returns)
  std::string chosen;     // "gpg", "gpg(greedy)" or "gpg(sequential)"
  double greedy_ms = 0, sequential_ms = 0, ios_dp_ms = -1;
  double gpg_time_ms = 0, ios_dp_time_ms = -1;  // wall time to partition
};

struct GpgEvalSummary {
  int instances = 0;
  int with_ios_dp = 0;
  double geo_raw_vs_ios_dp = 0;   // geometric mean of gpg_raw / ios-dp (instances with ios-dp)
  double geo_vs_ios_dp = 0;       // same, guarded
  double geo_raw_vs_greedy = 0;   // geometric mean of gpg_raw / greedy
  double raw_not_worse_than_greedy = 0;  // fraction with gpg_raw <= greedy (+0.01%)
  int guarded_worse_than_sequential = 0;
  double mean_gpg_time_ms = 0;
};

Result<std::vector<GpgEvalRow>> evaluate_gpg(const GpgGenerator& gen, const std::vector<GpgInstance>& set);
GpgEvalSummary summarize(const std::vector<GpgEvalRow>& rows);

}  // namespace top::rl

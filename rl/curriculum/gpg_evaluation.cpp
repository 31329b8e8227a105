#include "rl/curriculum/gpg_evaluation.h"

#include <chrono>
#include <cmath>

namespace top::rl {

Result<std::vector<GpgEvalRow>> evaluate_gpg(const GpgGenerator& gen, const std::vector<GpgInstance>& set) {
  std::vector<GpgEvalRow> rows;
  for (const GpgInstance& in : set) {
    const auto t0 = std::chrono::steady_clock::now();
    TOP_ASSIGN_OR_RETURN(GpgOutcome o, gen.partition(in.graph, in.options));
    GpgEvalRow r;
    r.gpg_time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    r.name = in.name;
    r.nodes = static_cast<int>(in.graph.ops.size());
    r.gpg_raw_ms = o.gpg_ms;
    r.gpg_ms = o.schedule.predicted_ms;
    r.chosen = o.schedule.generator;
    r.greedy_ms = o.greedy_ms;
    r.sequential_ms = o.sequential_ms;
    r.ios_dp_ms = in.ios_dp_ms;
    r.ios_dp_time_ms = in.ios_dp_time_ms;
    rows.push_back(r);
  }
  return rows;
}

GpgEvalSummary summarize(const std::vector<GpgEvalRow>& rows) {
  GpgEvalSummary s;
  double log_raw_ios = 0, log_ios = 0, log_greedy = 0, time = 0;
  int not_worse = 0;
  for (const GpgEvalRow& r : rows) {
    ++s.instances;
    time += r.gpg_time_ms;
    log_greedy += std::log(r.gpg_raw_ms / r.greedy_ms);
    if (r.gpg_raw_ms <= r.greedy_ms * 1.0001) ++not_worse;
    if (r.gpg_ms > r.sequential_ms * 1.0001) ++s.guarded_worse_than_sequential;
    if (r.ios_dp_ms > 0) {
      ++s.with_ios_dp;
      log_raw_ios += std::log(r.gpg_raw_ms / r.ios_dp_ms);
      log_ios += std::log(r.gpg_ms / r.ios_dp_ms);
    }
  }
  if (s.instances > 0) {
    s.geo_raw_vs_greedy = std::exp(log_greedy / s.instances);
    s.raw_not_worse_than_greedy = static_cast<double>(not_worse) / s.instances;
    s.mean_gpg_time_ms = time / s.instances;
  }
  if (s.with_ios_dp > 0) {
    s.geo_raw_vs_ios_dp = std::exp(log_raw_ios / s.with_ios_dp);
    s.geo_vs_ios_dp = std::exp(log_ios / s.with_ios_dp);
  }
  return s;
}

}  // namespace top::rl

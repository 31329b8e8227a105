// Arrival processes: when inference tasks arrive. Used by `toprt bench`, the
// simulator and the benchmarks; deterministic for a seed.
//   poisson:rate=R                         exponential gaps at R tasks/s
//   bursty:on_rate=R1,off_rate=R2,on_s=A,off_s=B   Poisson at R1 for A s, then R2 for B s,
//                                          repeated (off_rate defaults to 0)
//   ramp:from=R1,to=R2                     rate changing linearly from R1 to R2 over the
//                                          duration given to times() (thinning)
//   diurnal:mean=R,amplitude=A,period_s=P rate R*(1 + A*sin(2*pi*t/P)), 0 <= A <= 1, P > 0
//                                          (thinning)
//   flash:base=R1,peak=R2,at_s=T,width_s=W Poisson at R1, a flash crowd at R2 from T s
//                                          for W s (W > 0), then R1 again
//   trace:file=PATH                        one timestamp (seconds) per line, replayed in
//                                          sorted order; '#' starts a comment; seed unused;
//                                          columns after the first are ignored (so a
//                                          `toprt bench --write-arrivals` file replays)
// Rates are >= 0 (0 means no arrivals). The trace file is read by parse_arrival, so a
// missing file (NotFound) or a bad line (InvalidArgument naming the line) shows up there.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "top/status.h"

namespace top::sim {

class ArrivalProcess {
 public:
  virtual ~ArrivalProcess() = default;
  // Arrival times in seconds from 0, ascending, all < duration_s.
  virtual std::vector<double> times(double duration_s, uint64_t seed) const = 0;
  // How many arrivals times() draws at most, in expectation (candidates at the peak
  // rate), so that a caller can refuse a spec like poisson:rate=1e12 before times()
  // tries to hold a trillion of them.
  virtual double expected_draws(double duration_s) const = 0;
  virtual std::string describe() const = 0;
};

// Parses the spec forms above; InvalidArgument names the bad key or value.
Result<std::unique_ptr<ArrivalProcess>> parse_arrival(const std::string& spec);

// The same spec with every rate (rate, on_rate, off_rate, from, to, mean, base, peak)
// multiplied by `factor` >= 0 and the durations kept: a pattern written in units of a
// device's capacity becomes tasks/s. A trace is returned unchanged (its timestamps are
// absolute). Errors as parse_arrival's.
Result<std::string> scale_arrival_rates(const std::string& spec, double factor);

// A mix of models with shares ("resnet50:2,googlenet:1"): assigns each arrival a model
// index by share, deterministically for a seed. "a,b" gives equal shares; InvalidArgument
// for an empty name, a repeated name, a negative share or shares summing to 0.
struct ModelMix {
  std::vector<std::string> names;
  std::vector<double> shares;  // normalised to sum 1
};
Result<ModelMix> parse_mix(const std::string& spec);
// n model indices (empty when the mix names no model).
std::vector<int> assign_models(const ModelMix& mix, size_t n, uint64_t seed);
// A shifting mix: arrival i at times_s[i] gets a model index (into from.names) drawn
// with shares interpolated linearly from `from` (t = 0) to `to` (t >= duration_s).
// `to` is matched by name; a model of `from` that `to` does not name ends at share 0,
// and a name only in `to` is never drawn (list it in `from` with share 0).
std::vector<int> assign_models_shifting(const ModelMix& from, const ModelMix& to, const std::vector<double>& times_s,
                                        double duration_s, uint64_t seed);

}  // namespace top::sim

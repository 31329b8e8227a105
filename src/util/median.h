// The median of timing samples: the middle value, or the mean of the two middle ones
// for an even count; 0 for no samples. Used by every place that reports or calibrates
// from repeated measurements (profiler, cost model, executor calibration, benchmarks).
#pragma once

#include <algorithm>
#include <vector>

namespace top {

inline double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

}  // namespace top

// Request metrics of the server in Prometheus form: a counter per (model, version,
// protocol, code) and latency histograms (request and queue time) per (model, version),
// so that rate() and sums across replicas work (a summary's quantiles cannot be added).
//
// Thread safety: record() and append_prometheus() may be called from any thread.
#pragma once

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace top::serve {

class RequestMetrics {
 public:
  // Seconds; upper bounds of the histogram buckets (+Inf is implicit).
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1,     2.5,   5,     10};

  // One answered request. `request_s` < 0: refused before it was timed (a malformed
  // body: counted, not in the duration histogram); `queue_s` < 0: it never reached a queue.
  void record(const std::string& model, const std::string& version, const char* protocol, int http_status,
              double request_s, double queue_s);
  void append_prometheus(std::string& out) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size() + 1> counts{};
    double sum = 0;
    uint64_t count = 0;
    void add(double v);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> request_seconds_, queue_seconds_;
};

}  // namespace top::serve

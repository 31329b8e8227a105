// Request metrics of the server in Prometheus form: a counter per (model, version,
// protocol, code) and latency histograms (request and queue time) per (model, version),
// so that rate() and sums across replicas work (a summary's quantiles cannot be added).
//
// Thread safety: record() and append_prometheus() may be called from any thread.
#pragma once

#include <vector>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace top::serve {

class RequestMetrics {
 public:
  RequestMetrics();

  // One answered request. `request_s` < 0: refused before it was timed (a malformed
  // body: counted, not in the duration histogram); `queue_s` < 0: it never reached a queue.
  void record(const std::string& model, const std::string& version, const char* protocol, int http_status,
              double request_s, double queue_s);
  void append_prometheus(std::string& out) const;

 private:
  // Upper bounds of the buckets in seconds: the runtime's (top::latency_bucket_bounds_ms),
  // so the server's and the runtime's histograms line up; +Inf is implicit.
  std::vector<double> bounds_s_;
  struct Histogram {
    std::vector<uint64_t> counts;
    double sum = 0;
    uint64_t count = 0;
    void add(const std::vector<double>& bounds, double v);
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> request_seconds_, queue_seconds_;
};

}  // namespace top::serve

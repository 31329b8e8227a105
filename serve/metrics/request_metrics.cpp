#include "serve/metrics/request_metrics.h"

#include <fmt/format.h>

#include "top/stats.h"

namespace top::serve {

RequestMetrics::RequestMetrics() {
  for (double ms : latency_bucket_bounds_ms()) bounds_s_.push_back(ms / 1000.0);
}

void RequestMetrics::Histogram::add(const std::vector<double>& bounds, double v) {
  if (counts.empty()) counts.resize(bounds.size() + 1);
  size_t b = 0;
  while (b < bounds.size() && v > bounds[b]) ++b;
  ++counts[b];
  sum += v;
  ++count;
}

void RequestMetrics::record(const std::string& model, const std::string& version, const char* protocol,
                            int http_status, double request_s, double queue_s) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{model, version, protocol, http_status}];
  if (request_s >= 0) request_seconds_[{model, version}].add(bounds_s_, request_s);
  if (queue_s >= 0) queue_seconds_[{model, version}].add(bounds_s_, queue_s);
}

namespace {

template <class Histogram, class Buckets>
void append_histogram(std::string& out, const char* name, const std::string& labels, const Histogram& h,
                      const Buckets& buckets) {
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= buckets.size(); ++b) {
    cumulative += h.counts[b];
    const std::string le = b < buckets.size() ? fmt::format("{}", buckets[b]) : "+Inf";
    out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels, le, cumulative);
  }
  out += fmt::format("{}_sum{{{}}} {}\n{}_count{{{}}} {}\n", name, labels, h.sum, name, labels, h.count);
}

}  // namespace

void RequestMetrics::append_prometheus(std::string& out) const {
  std::lock_guard<std::mutex> lock(mu_);
  out += "# HELP top_inference_requests_total Inference requests answered, by protocol and HTTP status code.\n"
         "# TYPE top_inference_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [model, version, protocol, code] = key;
    out += fmt::format("top_inference_requests_total{{{},{},{},{}}} {}\n", prometheus_label("model", model),
                       prometheus_label("version", version), prometheus_label("protocol", protocol),
                       prometheus_label("code", std::to_string(code)), n);
  }
  const auto histograms = [&](const char* name, const char* help, const auto& by_model) {
    out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
    for (const auto& [key, h] : by_model) {
      append_histogram(out, name, prometheus_label("model", key.first) + "," + prometheus_label("version", key.second), h,
                       bounds_s_);
    }
  };
  histograms("top_inference_request_duration_seconds", "Time from a request's arrival to its answer.", request_seconds_);
  histograms("top_inference_queue_duration_seconds", "Time a request's task waited in its model's queue.", queue_seconds_);
}

}  // namespace top::serve

// RuntimeStats as JSON (nlohmann) and as Prometheus text exposition format 0.0.4.
#include <charconv>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "top/stats.h"

namespace top {

std::string to_json(const RuntimeStats& s) {
  nlohmann::json j;
  j["elapsed_s"] = s.elapsed_s;
  j["throughput_per_s"] = s.throughput_per_s;
  j["callback_exceptions"] = s.callback_exceptions;
  j["models"] = nlohmann::json::array();
  for (const ModelStats& m : s.models) {
    nlohmann::json q = nlohmann::json::array();
    for (const auto& [t, len] : m.queue_length_over_time) q.push_back({t, len});
    j["models"].push_back({
        {"model", m.model},
        {"submitted", m.submitted},
        {"rejected", m.rejected},
        {"completed", m.completed},
        {"failed", m.failed},
        {"queue_length", m.queue_length},
        {"max_queue_length", m.max_queue_length},
        {"in_flight", m.in_flight},
        {"throughput_per_s", m.throughput_per_s},
        {"latency_mean_ms", m.latency_mean_ms},
        {"latency_p50_ms", m.latency_p50_ms},
        {"latency_p95_ms", m.latency_p95_ms},
        {"latency_p99_ms", m.latency_p99_ms},
        {"latency_max_ms", m.latency_max_ms},
        {"queue_wait_mean_ms", m.queue_wait_mean_ms},
        {"queue_length_over_time", std::move(q)},
    });
  }
  j["streams"] = nlohmann::json::array();
  for (const StreamStats& st : s.streams) {
    j["streams"].push_back({{"stream", st.stream}, {"busy_fraction", st.busy_fraction}, {"groups_run", st.groups_run}});
  }
  // Model names come from users: replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Label values escape backslash, double quote and line feed (exposition format 0.0.4).
std::string escape_label(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return std::string(buf, res.ptr);
}

std::string format_value(uint64_t v) { return std::to_string(v); }

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    out_ += help;
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }
  // labels: already formatted `key="value",...` (may be empty).
  template <class V>
  void sample(const std::string& name, const std::string& labels, V value) {
    out_ += name;
    if (!labels.empty()) {
      out_ += '{';
      out_ += labels;
      out_ += '}';
    }
    out_ += ' ';
    out_ += format_value(value);
    out_ += '\n';
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string label(const char* key, const std::string& value) {
  return std::string(key) + "=\"" + escape_label(value) + "\"";
}

}  // namespace

std::string to_prometheus(const RuntimeStats& s) {
  return to_prometheus(s, [](const std::string& model) { return label("model", model); });
}

std::string prometheus_label(const std::string& key, const std::string& value) { return label(key.c_str(), value); }

std::string to_prometheus(const RuntimeStats& s, const std::function<std::string(const std::string&)>& model_labels) {
  Exposition e;
  std::map<std::string, std::string> labels_of;
  for (const ModelStats& m : s.models) labels_of[m.model] = model_labels(m.model);
  const auto per_model = [&](const char* name, const char* type, const char* help, auto field) {
    e.family(name, type, help);
    for (const ModelStats& m : s.models) e.sample(name, labels_of[m.model], field(m));
  };

  per_model("top_tasks_submitted_total", "counter", "Tasks accepted by submit().",
            [](const ModelStats& m) { return m.submitted; });
  per_model("top_tasks_rejected_total", "counter", "Tasks refused at admission (queue full, unknown model, shutdown).",
            [](const ModelStats& m) { return m.rejected; });
  per_model("top_tasks_completed_total", "counter", "Tasks finished with outputs.",
            [](const ModelStats& m) { return m.completed; });
  per_model("top_tasks_failed_total", "counter", "Tasks finished with an error.",
            [](const ModelStats& m) { return m.failed; });
  per_model("top_queue_length", "gauge", "Tasks waiting in the model's queue.",
            [](const ModelStats& m) { return static_cast<uint64_t>(m.queue_length); });
  per_model("top_max_queue_length", "gauge", "Highest queue length seen.",
            [](const ModelStats& m) { return static_cast<uint64_t>(m.max_queue_length); });
  per_model("top_in_flight", "gauge", "Tasks dequeued and not yet finished.",
            [](const ModelStats& m) { return static_cast<uint64_t>(m.in_flight); });
  per_model("top_throughput_per_second", "gauge", "Completed tasks per second since start.",
            [](const ModelStats& m) { return m.throughput_per_s; });
  per_model("top_queue_wait_mean_seconds", "gauge", "Mean time from submit to dequeue.",
            [](const ModelStats& m) { return m.queue_wait_mean_ms / 1000.0; });

  e.family("top_task_latency_seconds", "summary", "Time from submit to result of completed tasks.");
  for (const ModelStats& m : s.models) {
    const std::string& model = labels_of[m.model];
    e.sample("top_task_latency_seconds", model + ",quantile=\"0.5\"", m.latency_p50_ms / 1000.0);
    e.sample("top_task_latency_seconds", model + ",quantile=\"0.95\"", m.latency_p95_ms / 1000.0);
    e.sample("top_task_latency_seconds", model + ",quantile=\"0.99\"", m.latency_p99_ms / 1000.0);
    e.sample("top_task_latency_seconds_sum", model, m.latency_mean_ms / 1000.0 * static_cast<double>(m.completed));
    e.sample("top_task_latency_seconds_count", model, m.completed);
  }

  e.family("top_task_duration_seconds", "histogram", "Time from submit to result of completed tasks.");
  for (const ModelStats& m : s.models) {
    const std::string& model = labels_of[m.model];
    for (const auto& [bound_ms, count] : m.latency_histogram_ms) {
      const std::string le = std::isfinite(bound_ms) ? format_value(bound_ms / 1000.0) : "+Inf";
      e.sample("top_task_duration_seconds_bucket", model + ",le=\"" + le + "\"", count);
    }
    const uint64_t n = m.latency_histogram_ms.empty() ? 0 : m.latency_histogram_ms.back().second;
    e.sample("top_task_duration_seconds_sum", model, m.latency_mean_ms / 1000.0 * static_cast<double>(n));
    e.sample("top_task_duration_seconds_count", model, n);
  }

  e.family("top_stream_busy_ratio", "gauge", "Fraction of elapsed time the stream ran operators.");
  for (const StreamStats& st : s.streams) {
    e.sample("top_stream_busy_ratio", label("stream", std::to_string(st.stream)), st.busy_fraction);
  }
  e.family("top_stream_groups_run_total", "counter", "Operator groups run on the stream.");
  for (const StreamStats& st : s.streams) {
    e.sample("top_stream_groups_run_total", label("stream", std::to_string(st.stream)), st.groups_run);
  }

  e.family("top_elapsed_seconds", "gauge", "Seconds since the runtime started.");
  e.sample("top_elapsed_seconds", "", s.elapsed_s);
  e.family("top_throughput_all_per_second", "gauge", "Completed tasks per second since start, all models.");
  e.sample("top_throughput_all_per_second", "", s.throughput_per_s);
  e.family("top_callback_exceptions_total", "counter", "Exceptions thrown by completion callbacks (caught).");
  e.sample("top_callback_exceptions_total", "", s.callback_exceptions);
  return e.take();
}

}  // namespace top

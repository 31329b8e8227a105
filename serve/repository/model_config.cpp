#include "serve/repository/model_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace top::serve {

namespace {

using nlohmann::json;

Status type_error(const std::string& what, const std::string& key, const char* expected) {
  return InvalidArgument(fmt::format("{}: '{}' must be {}", what, key, expected));
}

Result<int> int_in(const json& v, const std::string& what, const std::string& key, int lo, int hi) {
  if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
    return InvalidArgument(fmt::format("{}: '{}' must be an integer in [{}, {}]", what, key, lo, hi));
  return static_cast<int>(v.get<int64_t>());
}

Result<double> ms_in(const json& v, const std::string& what, const std::string& key) {
  if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 3.6e6)
    return InvalidArgument(fmt::format("{}: '{}' must be a number of milliseconds in [0, 3600000]", what, key));
  return v.get<double>();
}

Result<VersionPolicy> parse_version_policy(const json& v, const std::string& what) {
  const char* expected = R"(one of {"latest": N}, {"all": {}}, {"specific": [versions]})";
  if (!v.is_object() || v.size() != 1) return type_error(what, "version_policy", expected);
  VersionPolicy p;
  const auto& [kind, arg] = *v.items().begin();
  if (kind == "latest") {
    p.kind = VersionPolicy::Kind::kLatest;
    const json n = arg.is_object() && arg.contains("num_versions") ? arg["num_versions"] : arg;
    TOP_ASSIGN_OR_RETURN(p.latest, int_in(n, what, "version_policy.latest", 1, 1000));
  } else if (kind == "all") {
    p.kind = VersionPolicy::Kind::kAll;
  } else if (kind == "specific") {
    p.kind = VersionPolicy::Kind::kSpecific;
    const json list = arg.is_object() && arg.contains("versions") ? arg["versions"] : arg;
    if (!list.is_array() || list.empty()) return type_error(what, "version_policy.specific", "a non-empty array of versions");
    for (const json& x : list) {
      if (!x.is_number_integer() || x.get<int64_t>() < 1)
        return type_error(what, "version_policy.specific", "an array of integers >= 1");
      p.specific.push_back(x.get<int64_t>());
    }
  } else {
    return type_error(what, "version_policy", expected);
  }
  return p;
}

}  // namespace

Result<ModelConfig> parse_model_config(const std::string& text, const std::string& what) {
  const json root = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument(what + ": not valid JSON");
  if (!root.is_object()) return InvalidArgument(what + ": must be a JSON object");
  ModelConfig c;
  bool batching_keys = false;
  for (const auto& [key, v] : root.items()) {
    if (key == "max_batch_size") {
      TOP_ASSIGN_OR_RETURN(c.max_batch_size, int_in(v, what, key, 0, 256));
      batching_keys = true;
    } else if (key == "max_queue_delay_ms") {
      TOP_ASSIGN_OR_RETURN(c.max_queue_delay_ms, ms_in(v, what, key));
      batching_keys = true;
    } else if (key == "instance_count") {
      TOP_ASSIGN_OR_RETURN(c.instance_count, int_in(v, what, key, 1, 64));
      batching_keys = true;
    } else if (key == "policy") {
      if (!v.is_string() || v.get<std::string>().empty()) return type_error(what, key, "a policy spec string");
      c.policy = v.get<std::string>();
    } else if (key == "slo_ms") {
      TOP_ASSIGN_OR_RETURN(c.slo_ms, ms_in(v, what, key));
    } else if (key == "queue_bound") {
      TOP_ASSIGN_OR_RETURN(c.queue_bound, int_in(v, what, key, 1, 1 << 20));
    } else if (key == "timeout_ms") {
      TOP_ASSIGN_OR_RETURN(c.timeout_ms, ms_in(v, what, key));
    } else if (key == "version_policy") {
      TOP_ASSIGN_OR_RETURN(c.version_policy, parse_version_policy(v, what));
    } else if (key == "default_model_filename") {
      const std::string f = v.is_string() ? v.get<std::string>() : "";
      if (f.empty() || f.find('/') != std::string::npos || f == "." || f == "..")
        return type_error(what, key, "a file name (no '/')");
      c.default_model_filename = f;
    } else if (key == "platform") {
      if (!v.is_string() || (v.get<std::string>() != "onnx" && v.get<std::string>() != "onnxruntime_onnx"))
        return type_error(what, key, "\"onnx\"");
    } else {
      return InvalidArgument(fmt::format("{}: unknown key '{}' (max_batch_size, max_queue_delay_ms, instance_count, "
                                         "policy, slo_ms, queue_bound, timeout_ms, version_policy, "
                                         "default_model_filename, platform)", what, key));
    }
  }
  if (batching_keys && !c.policy.empty()) {
    return InvalidArgument(what + ": 'policy' replaces max_batch_size, max_queue_delay_ms and instance_count; give one or "
                                  "the other");
  }
  return c;
}

std::string launch_policy_spec(const ModelConfig& c) {
  if (!c.policy.empty()) return c.policy;
  if (c.max_batch_size > 1) {
    return fmt::format("dynbatch:batch={},delay={},instances={}", c.max_batch_size, c.max_queue_delay_ms,
                       c.instance_count);
  }
  return fmt::format("fixed:k=1,instances={}", c.instance_count);
}

std::vector<int64_t> select_versions(const VersionPolicy& policy, const std::vector<int64_t>& available) {
  switch (policy.kind) {
    case VersionPolicy::Kind::kAll: return available;
    case VersionPolicy::Kind::kLatest: {
      const size_t n = std::min(available.size(), static_cast<size_t>(policy.latest));
      return std::vector<int64_t>(available.end() - static_cast<std::ptrdiff_t>(n), available.end());
    }
    case VersionPolicy::Kind::kSpecific: {
      std::vector<int64_t> out;
      for (int64_t v : available) {
        if (std::count(policy.specific.begin(), policy.specific.end(), v)) out.push_back(v);
      }
      return out;
    }
  }
  return {};
}

}  // namespace top::serve

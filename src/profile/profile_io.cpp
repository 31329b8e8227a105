#include "profile/profile_io.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "ir/graph.h"

namespace top::profile {

using nlohmann::json;

// ---- keys ----------------------------------------------------------------------------

namespace {

struct Fnv {
  uint64_t h = 14695981039346656037ull;
  void bytes(const void* p, size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < n; ++i) {
      h ^= b[i];
      h *= 1099511628211ull;
    }
  }
  void str(const std::string& s) {
    u64(s.size());
    bytes(s.data(), s.size());
  }
  void u64(uint64_t v) { bytes(&v, sizeof v); }
  void tensor(const Tensor& t) {
    u64(static_cast<uint64_t>(t.dtype()));
    for (int64_t d : t.shape()) u64(static_cast<uint64_t>(d));
    if (t.defined() && t.raw_data()) bytes(t.raw_data(), t.nbytes());
  }
};

void hash_attributes(Fnv& f, const ir::Attributes& attrs) {
  for (const auto& [name, a] : attrs.items()) {  // std::map: name order
    f.str(name);
    f.u64(static_cast<uint64_t>(a.kind));
    switch (a.kind) {
      case ir::Attribute::Kind::kInt:
        f.u64(static_cast<uint64_t>(a.i));
        break;
      case ir::Attribute::Kind::kFloat:
        f.bytes(&a.f, sizeof a.f);
        break;
      case ir::Attribute::Kind::kString:
        f.str(a.s);
        break;
      case ir::Attribute::Kind::kInts:
        for (int64_t v : a.ints) f.u64(static_cast<uint64_t>(v));
        break;
      case ir::Attribute::Kind::kFloats:
        for (float v : a.floats) f.bytes(&v, sizeof v);
        break;
      case ir::Attribute::Kind::kStrings:
        for (const auto& s : a.strings) f.str(s);
        break;
      case ir::Attribute::Kind::kTensor:
        f.tensor(a.t);
        break;
      case ir::Attribute::Kind::kGraph:
      case ir::Attribute::Kind::kType:
        break;
    }
  }
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string key_of(const std::string& op_type, const std::vector<DataType>& dtypes, const std::vector<Shape>& shapes,
                   uint64_t hash) {
  std::string k = op_type + "|";
  for (size_t i = 0; i < shapes.size(); ++i) {
    if (i) k += ";";
    k += dtype_name(i < dtypes.size() ? dtypes[i] : DataType::kUndefined);
    k += shape_str(shapes[i]);
  }
  return k + "|" + hex64(hash);
}

}  // namespace

uint64_t attributes_hash(const ir::Attributes& attrs) {
  Fnv f;
  hash_attributes(f, attrs);
  return f.h;
}

std::string op_key(const std::string& op_type, const std::vector<DataType>& dtypes, const std::vector<Shape>& shapes,
                   const ir::Attributes& attrs) {
  return key_of(op_type, dtypes, shapes, attributes_hash(attrs));
}

std::vector<Shape> step_input_shapes(const exec::ExecutionPlan& plan, const exec::Step& step) {
  std::vector<Shape> out;
  for (ir::ValueId v : step.inputs)
    if (v != ir::kNoValue && static_cast<size_t>(v) < plan.slots.size()) out.push_back(plan.slots[v].shape);
  return out;
}

double step_output_elements(const exec::ExecutionPlan& plan, const exec::Step& step) {
  double n = 0;
  for (ir::ValueId v : step.outputs)
    if (v != ir::kNoValue && static_cast<size_t>(v) < plan.slots.size())
      n += static_cast<double>(std::max<int64_t>(shape_numel(plan.slots[v].shape), 0));
  return n;
}

std::string op_key(const exec::ExecutionPlan& plan, const exec::Step& step) {
  const ir::Node& node = plan.graph->nodes[static_cast<size_t>(step.node)];
  std::vector<DataType> dtypes;
  std::vector<Shape> shapes;
  Fnv f;
  hash_attributes(f, node.attrs);
  for (ir::ValueId v : step.inputs) {
    if (v == ir::kNoValue || static_cast<size_t>(v) >= plan.slots.size()) continue;
    const exec::Slot& s = plan.slots[v];
    dtypes.push_back(s.dtype);
    shapes.push_back(s.shape);
    // Small constant inputs are parameters that change the work (Reshape targets, Pad
    // amounts, Resize scales); weights are large and their values do not matter.
    if (s.kind == exec::Slot::Kind::kConstant && s.constant.defined() && s.constant.numel() <= 64) f.tensor(s.constant);
  }
  // A fused step (exec/fusion.h) runs another kernel than its node's: the absorbed
  // operators show in its cost, which then tells it apart from the plain operator.
  if (step.op) {
    f.str(step.float16_via_float32 ? "float16-via-float32" : "fused");
    f.bytes(&step.cost.flops, sizeof step.cost.flops);
    f.bytes(&step.cost.bytes, sizeof step.cost.bytes);
  }
  return key_of(node.op_type, dtypes, shapes, f.h);
}

// ---- Profile --------------------------------------------------------------------------

const OpMeasurement* Profile::find(const std::string& key, int threads) const {
  for (const auto& m : ops)
    if (m.key == key && (threads <= 0 || m.threads == threads)) return &m;
  return nullptr;
}

std::vector<const OpMeasurement*> Profile::find_all(const std::string& key) const {
  std::vector<const OpMeasurement*> out;
  for (const auto& m : ops)
    if (m.key == key) out.push_back(&m);
  return out;
}

// Weighted by measured time: the merged factor is total concurrent / total alone.
static void merge_concurrency(bool& has, ConcurrencyMeasurement& c, bool other_has, const ConcurrencyMeasurement& o) {
  if (!other_has) return;
  if (!has) {
    c = o;
    has = true;
    return;
  }
  double wa = c.alone_ms, wb = o.alone_ms;
  if (wa + wb > 0) c.pairwise_slowdown = (c.pairwise_slowdown * wa + o.pairwise_slowdown * wb) / (wa + wb);
  for (const auto& [type, f] : o.by_op_type) {
    auto it = c.by_op_type.find(type);
    c.by_op_type[type] = it == c.by_op_type.end() || wa + wb <= 0 ? f : (it->second * wa + f * wb) / (wa + wb);
  }
  c.alone_ms += o.alone_ms;
  c.concurrent_ms += o.concurrent_ms;
}

Status Profile::merge(const Profile& other) {
  if (other.device.name != device.name)
    return InvalidArgument("cannot merge a profile of device '" + other.device.name + "' into one of '" + device.name +
                           "'");
  for (const auto& m : other.ops) {
    auto it = std::find_if(ops.begin(), ops.end(),
                           [&](const OpMeasurement& o) { return o.key == m.key && o.threads == m.threads; });
    if (it != ops.end()) {
      *it = m;
    } else {
      ops.push_back(m);
    }
  }
  for (const auto& name : other.models)
    if (std::find(models.begin(), models.end(), name) == models.end()) models.push_back(name);
  merge_concurrency(has_concurrency, concurrency, other.has_concurrency, other.concurrency);
  merge_concurrency(has_sibling_concurrency, sibling_concurrency, other.has_sibling_concurrency,
                    other.sibling_concurrency);
  if (other.group_overhead_ms > 0) group_overhead_ms = other.group_overhead_ms;  // the newer measurement
  if (other.stream_wake_ms > 0) stream_wake_ms = other.stream_wake_ms;
  if (device.measured || !other.device.measured) return Status::Ok();
  device = other.device;  // calibrated figures win over assumed ones
  return Status::Ok();
}

// ---- JSON -----------------------------------------------------------------------------

namespace {

json device_to_json(const DeviceSpec& d) {
  return json{{"name", d.name},
              {"kind", device_kind_name(d.kind)},
              {"description", d.description},
              {"peak_fp32_flops", d.peak_fp32_flops},
              {"peak_tf32_tensor_flops", d.peak_tf32_tensor_flops},
              {"peak_fp16_tensor_flops", d.peak_fp16_tensor_flops},
              {"memory_bandwidth", d.memory_bandwidth},
              {"memory_bandwidth_per_unit", d.memory_bandwidth_per_unit},
              {"memory_bytes", d.memory_bytes},
              {"cache_bytes", d.cache_bytes},
              {"cache_bandwidth", d.cache_bandwidth},
              {"compute_units", d.compute_units},
              {"threads_per_unit", d.threads_per_unit},
              {"max_concurrent_kernels", d.max_concurrent_kernels},
              {"launch_overhead_s", d.launch_overhead_s},
              {"measured", d.measured},
              {"source", d.source}};
}

// Errors carry a path like "device.peak_fp32_flops"; parse helpers throw this and the
// entry point turns it into a Status, so nothing escapes the library.
struct ParseError {
  std::string where, what;
};

const json& field(const json& j, const char* name, const std::string& where) {
  if (!j.is_object()) throw ParseError{where, "is not an object"};
  auto it = j.find(name);
  if (it == j.end()) throw ParseError{where, std::string("missing '") + name + "'"};
  return *it;
}

double number(const json& j, const char* name, const std::string& where, bool required = true, double def = 0) {
  if (!j.contains(name)) {
    if (required) throw ParseError{where, std::string("missing '") + name + "'"};
    return def;
  }
  const json& v = j.at(name);
  if (!v.is_number()) throw ParseError{where + "." + name, "is not a number"};
  double d = v.get<double>();
  if (!std::isfinite(d)) throw ParseError{where + "." + name, "is not finite"};
  return d;
}

double non_negative(const json& j, const char* name, const std::string& where, bool required = true, double def = 0) {
  double d = number(j, name, where, required, def);
  if (d < 0) throw ParseError{where + "." + name, "is negative (" + std::to_string(d) + ")"};
  return d;
}

std::string text(const json& j, const char* name, const std::string& where, bool required = true) {
  if (!j.contains(name)) {
    if (required) throw ParseError{where, std::string("missing '") + name + "'"};
    return "";
  }
  if (!j.at(name).is_string()) throw ParseError{where + "." + name, "is not a string"};
  return j.at(name).get<std::string>();
}

DeviceSpec device_from_json(const json& j, const std::string& where) {
  DeviceSpec d;
  d.name = text(j, "name", where);
  if (d.name.empty()) throw ParseError{where + ".name", "is empty"};
  std::string kind = text(j, "kind", where);
  if (kind == "gpu") {
    d.kind = DeviceKind::kGpu;
  } else if (kind == "cpu") {
    d.kind = DeviceKind::kCpu;
  } else {
    throw ParseError{where + ".kind", "must be \"gpu\" or \"cpu\", got \"" + kind + "\""};
  }
  d.description = text(j, "description", where, false);
  d.peak_fp32_flops = non_negative(j, "peak_fp32_flops", where);
  d.peak_tf32_tensor_flops = non_negative(j, "peak_tf32_tensor_flops", where, false);
  d.peak_fp16_tensor_flops = non_negative(j, "peak_fp16_tensor_flops", where, false);
  d.memory_bandwidth = non_negative(j, "memory_bandwidth", where);
  d.memory_bandwidth_per_unit = non_negative(j, "memory_bandwidth_per_unit", where, false);
  d.memory_bytes = non_negative(j, "memory_bytes", where, false);
  d.cache_bytes = non_negative(j, "cache_bytes", where, false);
  d.cache_bandwidth = non_negative(j, "cache_bandwidth", where, false);
  d.compute_units = static_cast<int>(non_negative(j, "compute_units", where));
  d.threads_per_unit = static_cast<int>(non_negative(j, "threads_per_unit", where, false, 1));
  d.max_concurrent_kernels = static_cast<int>(non_negative(j, "max_concurrent_kernels", where, false, 1));
  d.launch_overhead_s = non_negative(j, "launch_overhead_s", where, false);
  if (j.contains("measured")) d.measured = j.at("measured").is_boolean() && j.at("measured").get<bool>();
  d.source = text(j, "source", where, false);
  if (d.peak_fp32_flops <= 0) throw ParseError{where + ".peak_fp32_flops", "must be positive"};
  if (d.memory_bandwidth <= 0) throw ParseError{where + ".memory_bandwidth", "must be positive"};
  if (d.compute_units < 1) throw ParseError{where + ".compute_units", "must be at least 1"};
  if (d.threads_per_unit < 1) d.threads_per_unit = 1;
  if (d.max_concurrent_kernels < 1) d.max_concurrent_kernels = 1;
  return d;
}

ConcurrencyMeasurement concurrency_from_json(const json& c, const std::string& where) {
  ConcurrencyMeasurement cm;
  cm.streams = static_cast<int>(non_negative(c, "streams", where, false, 2));
  cm.threads_per_stream = static_cast<int>(non_negative(c, "threads_per_stream", where, false, 1));
  cm.pairwise_slowdown = non_negative(c, "pairwise_slowdown", where);
  if (cm.pairwise_slowdown <= 0) throw ParseError{where + ".pairwise_slowdown", "must be positive"};
  if (c.contains("by_op_type")) {
    const json& b = c.at("by_op_type");
    if (!b.is_object()) throw ParseError{where + ".by_op_type", "is not an object"};
    for (auto it = b.begin(); it != b.end(); ++it) {
      if (!it.value().is_number() || it.value().get<double>() <= 0)
        throw ParseError{where + ".by_op_type." + it.key(), "is not a positive number"};
      cm.by_op_type[it.key()] = it.value().get<double>();
    }
  }
  cm.alone_ms = non_negative(c, "alone_ms", where, false);
  cm.concurrent_ms = non_negative(c, "concurrent_ms", where, false);
  cm.method = text(c, "method", where, false);
  return cm;
}

json concurrency_to_json(const ConcurrencyMeasurement& c) {
  return json{{"streams", c.streams},
              {"threads_per_stream", c.threads_per_stream},
              {"pairwise_slowdown", c.pairwise_slowdown},
              {"by_op_type", c.by_op_type},
              {"alone_ms", c.alone_ms},
              {"concurrent_ms", c.concurrent_ms},
              {"method", c.method}};
}


Profile parse(const json& root) {
  Profile p;
  if (!root.is_object()) throw ParseError{"top level", "is not a JSON object"};
  p.format = static_cast<int>(number(root, "format", "top level", false, 1));
  if (p.format != 1)
    throw ParseError{"format", "version " + std::to_string(p.format) + " is not supported (expected 1)"};
  p.device = device_from_json(field(root, "device", "top level"), "device");
  p.created = text(root, "created", "top level", false);
  p.host_threads = static_cast<int>(non_negative(root, "host_threads", "top level", false));
  p.group_overhead_ms = non_negative(root, "group_overhead_ms", "top level", false);
  p.stream_wake_ms = non_negative(root, "stream_wake_ms", "top level", false);
  if (root.contains("models")) {
    const json& m = root.at("models");
    if (!m.is_array()) throw ParseError{"models", "is not an array"};
    for (size_t i = 0; i < m.size(); ++i) {
      if (!m[i].is_string()) throw ParseError{"models[" + std::to_string(i) + "]", "is not a string"};
      p.models.push_back(m[i].get<std::string>());
    }
  }
  const json& ops = field(root, "ops", "top level");
  if (!ops.is_array()) throw ParseError{"ops", "is not an array"};
  for (size_t i = 0; i < ops.size(); ++i) {
    std::string where = "ops[" + std::to_string(i) + "]";
    const json& o = ops[i];
    OpMeasurement m;
    m.op_type = text(o, "op_type", where);
    m.key = text(o, "key", where);
    if (m.key.empty()) throw ParseError{where + ".key", "is empty"};
    m.node = text(o, "node", where, false);
    if (o.contains("shapes")) {
      const json& shapes = o.at("shapes");
      if (!shapes.is_array()) throw ParseError{where + ".shapes", "is not an array"};
      for (size_t s = 0; s < shapes.size(); ++s) {
        if (!shapes[s].is_array()) throw ParseError{where + ".shapes[" + std::to_string(s) + "]", "is not an array"};
        Shape shape;
        for (const json& d : shapes[s]) {
          if (!d.is_number_integer())
            throw ParseError{where + ".shapes[" + std::to_string(s) + "]", "has a non-integer dimension"};
          shape.push_back(d.get<int64_t>());
        }
        m.shapes.push_back(shape);
      }
    }
    m.flops = non_negative(o, "flops", where, false);
    m.bytes = non_negative(o, "bytes", where, false);
    m.output_elements = non_negative(o, "output_elements", where, false);
    m.threads = static_cast<int>(non_negative(o, "threads", where, false, 1));
    if (m.threads < 1) throw ParseError{where + ".threads", "must be at least 1"};
    m.ms = non_negative(o, "ms", where);
    m.samples = static_cast<int>(non_negative(o, "samples", where, false));
    p.ops.push_back(std::move(m));
  }
  if (root.contains("concurrency") && !root.at("concurrency").is_null()) {
    p.concurrency = concurrency_from_json(root.at("concurrency"), "concurrency");
    p.has_concurrency = true;
  }
  if (root.contains("sibling_concurrency") && !root.at("sibling_concurrency").is_null()) {
    p.sibling_concurrency = concurrency_from_json(root.at("sibling_concurrency"), "sibling_concurrency");
    p.has_sibling_concurrency = true;
  }
  return p;
}

}  // namespace

std::string profile_to_json(const Profile& p, int indent) {
  json root;
  root["format"] = p.format;
  root["device"] = device_to_json(p.device);
  root["created"] = p.created;
  root["host_threads"] = p.host_threads;
  if (p.group_overhead_ms > 0) root["group_overhead_ms"] = p.group_overhead_ms;
  if (p.stream_wake_ms > 0) root["stream_wake_ms"] = p.stream_wake_ms;
  root["models"] = p.models;
  root["concurrency"] = p.has_concurrency ? concurrency_to_json(p.concurrency) : json(nullptr);
  if (p.has_sibling_concurrency) root["sibling_concurrency"] = concurrency_to_json(p.sibling_concurrency);
  std::vector<json> ops;
  for (const auto& m : p.ops) {
    json shapes = json::array();
    for (const auto& s : m.shapes) shapes.push_back(s);
    ops.push_back(json{{"op_type", m.op_type},
                       {"key", m.key},
                       {"node", m.node},
                       {"shapes", shapes},
                       {"flops", m.flops},
                       {"bytes", m.bytes},
                       {"output_elements", m.output_elements},
                       {"threads", m.threads},
                       {"ms", m.ms},
                       {"samples", m.samples}});
  }
  if (indent < 0) {
    root["ops"] = ops;
    return root.dump();
  }
  // Readable and diff-friendly: the header indented, then one operator per line, last.
  root["ops"] = json::array();
  std::string head = root.dump(indent);
  size_t at = head.rfind("[]");
  std::string body = "[";
  for (size_t i = 0; i < ops.size(); ++i) body += (i ? ",\n" : "\n") + std::string(2 * indent, ' ') + ops[i].dump();
  body += ops.empty() ? "]" : "\n" + std::string(indent, ' ') + "]";
  return head.replace(at, 2, body);
}

Result<Profile> profile_from_json(const std::string& text_in, const std::string& origin) {
  json root = json::parse(text_in, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument(origin + ": not valid JSON");
  try {
    return parse(root);
  } catch (const ParseError& e) {
    return InvalidArgument(origin + ": " + e.where + ": " + e.what);
  } catch (const std::exception& e) {  // nlohmann type errors on odd inputs
    return InvalidArgument(origin + ": " + e.what());
  }
}

Status save_profile(const Profile& p, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return InvalidArgument("cannot write profile '" + path + "': " + std::strerror(errno));
  f << profile_to_json(p) << "\n";
  f.close();
  if (!f) return InvalidArgument("cannot write profile '" + path + "': write failed");
  return Status::Ok();
}

Result<Profile> load_profile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return NotFound("profile '" + path + "' cannot be opened: " + std::strerror(errno));
  std::stringstream ss;
  ss << f.rdbuf();
  return profile_from_json(ss.str(), path);
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace top::profile

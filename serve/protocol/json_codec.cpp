#include "serve/protocol/json_codec.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <vector>

#include "serve/protocol/datatype.h"
#include "top/limits.h"
#include "util/half.h"

namespace top::serve {

namespace {

using nlohmann::json;

// Deeper than any tensor a client sends ([batch][c][h][w] is 4): a cap keeps the parser's
// and our own walks bounded on a body of ten million '['.
constexpr int kMaxJsonDepth = 64;

// A JSON string literal; bytes that are not UTF-8 (a model name from a URL) become U+FFFD
// instead of making dump() throw.
std::string quote(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

bool depth_within_limit(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

template <class T>
bool store_integer(const json& v, void* dst) {
  T out;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    out = static_cast<T>(u);
  } else if (v.is_number_integer()) {
    const int64_t i = v.get<int64_t>();
    if constexpr (std::is_signed_v<T>) {
      if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) || i > static_cast<int64_t>(std::numeric_limits<T>::max()))
        return false;
    } else {
      if (i < 0 || static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max())) return false;
    }
    out = static_cast<T>(i);
  } else {
    return false;
  }
  std::memcpy(dst, &out, sizeof(T));
  return true;
}

// One JSON element into element `i` of `t`; false when its JSON type or range does not fit.
bool store_element(const json& v, Tensor& t, int64_t i) {
  char* base = static_cast<char*>(t.raw_data()) + static_cast<size_t>(i) * dtype_size(t.dtype());
  switch (t.dtype()) {
    case DataType::kBool:
      if (!v.is_boolean()) return false;
      *reinterpret_cast<bool*>(base) = v.get<bool>();
      return true;
    case DataType::kUint8: return store_integer<uint8_t>(v, base);
    case DataType::kUint16: return store_integer<uint16_t>(v, base);
    case DataType::kUint32: return store_integer<uint32_t>(v, base);
    case DataType::kUint64: return store_integer<uint64_t>(v, base);
    case DataType::kInt8: return store_integer<int8_t>(v, base);
    case DataType::kInt16: return store_integer<int16_t>(v, base);
    case DataType::kInt32: return store_integer<int32_t>(v, base);
    case DataType::kInt64: return store_integer<int64_t>(v, base);
    default: break;
  }
  if (!v.is_number()) return false;
  const double d = v.get<double>();
  switch (t.dtype()) {
    case DataType::kFloat32: *reinterpret_cast<float*>(base) = static_cast<float>(d); return true;
    case DataType::kFloat64: *reinterpret_cast<double*>(base) = d; return true;
    case DataType::kFloat16: *reinterpret_cast<uint16_t*>(base) = float_to_half(static_cast<float>(d)); return true;
    case DataType::kBFloat16: *reinterpret_cast<uint16_t*>(base) = float_to_bfloat16(static_cast<float>(d)); return true;
    default: return false;
  }
}

// "data" may be flat (row-major) or nested as the shape; either way its leaves are read
// in order. Iterative: the depth is already capped, but recursion is not needed.
Status fill_from_json(const json& data, Tensor& t, const std::string& what) {
  const int64_t n = t.numel();
  int64_t count = 0;
  std::vector<std::pair<const json*, size_t>> stack;
  if (!data.is_array()) return InvalidArgument(what + ": 'data' must be an array");
  stack.emplace_back(&data, 0);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next == node->size()) {
      stack.pop_back();
      continue;
    }
    const json& v = (*node)[next++];
    if (v.is_array()) {
      stack.emplace_back(&v, 0);
      continue;
    }
    if (count >= n) return InvalidArgument(fmt::format("{}: 'data' has more than the {} elements of its shape", what, n));
    if (!store_element(v, t, count)) {
      return InvalidArgument(fmt::format("{}: element {} ({}) is not a {} value", what, count, v.dump(),
                                         v2_datatype_name(t.dtype())));
    }
    ++count;
  }
  if (count != n) return InvalidArgument(fmt::format("{}: 'data' has {} elements, its shape needs {}", what, count, n));
  return Status::Ok();
}

Result<Shape> parse_shape(const json& shape, const std::string& what) {
  if (!shape.is_array()) return InvalidArgument(what + ": 'shape' must be an array of integers");
  if (shape.size() > 32) return InvalidArgument(what + ": 'shape' has more than 32 dimensions");
  Shape out;
  for (const json& d : shape) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return InvalidArgument(fmt::format("{}: 'shape' has {} (dimensions are integers >= 0)", what, d.dump()));
    }
    out.push_back(d.get<int64_t>());
  }
  return out;
}

// A parameter of the protocol's "parameters" objects: absent, or of the JSON type asked.
const json* parameter(const json& obj, const char* key) {
  auto params = obj.find("parameters");
  if (params == obj.end() || !params->is_object()) return nullptr;
  auto it = params->find(key);
  return it == params->end() ? nullptr : &*it;
}

Result<InferInput> parse_input(const json& in, size_t index, std::string_view binary, size_t& binary_cursor,
                               size_t json_text_size) {
  std::string what = fmt::format("inputs[{}]", index);
  if (!in.is_object()) return InvalidArgument(what + " must be an object");
  auto name = in.find("name");
  if (name == in.end() || !name->is_string()) return InvalidArgument(what + ": 'name' (a string) is missing");
  InferInput out;
  out.name = name->get<std::string>();
  what = fmt::format("input '{}'", out.name);
  auto dt = in.find("datatype");
  if (dt == in.end() || !dt->is_string()) return InvalidArgument(what + ": 'datatype' (a string) is missing");
  const auto dtype = parse_v2_datatype(dt->get<std::string>());
  if (!dtype) {
    return InvalidArgument(fmt::format("{}: datatype {} is not supported (BOOL, UINT8..UINT64, INT8..INT64, FP16, BF16, "
                                       "FP32, FP64)", what, dt->dump()));
  }
  auto sh = in.find("shape");
  if (sh == in.end()) return InvalidArgument(what + ": 'shape' is missing");
  TOP_ASSIGN_OR_RETURN(Shape shape, parse_shape(*sh, what));
  // Over the allocation limit is the client's request being too large: 400, not 500.
  auto checked = checked_tensor_bytes(*dtype, shape, what);
  if (!checked.ok()) return InvalidArgument(checked.status().message());
  const size_t bytes = *checked;

  // Everything the body must hold is checked before the tensor is allocated: a 100-byte
  // request must not make the server zero-fill gigabytes before it says 400.
  const json* binary_size = parameter(in, "binary_data_size");
  auto data = in.find("data");
  if (binary_size) {
    if (data != in.end()) return InvalidArgument(what + ": has both 'data' and binary_data_size");
    if (!binary_size->is_number_unsigned() && !(binary_size->is_number_integer() && binary_size->get<int64_t>() >= 0))
      return InvalidArgument(what + ": binary_data_size must be an integer >= 0");
    const uint64_t size = binary_size->get<uint64_t>();
    if (size != bytes) {
      return InvalidArgument(fmt::format("{}: binary_data_size is {} bytes, {} {} needs {}", what, size,
                                         v2_datatype_name(*dtype), shape_str(shape), bytes));
    }
    if (binary.size() - binary_cursor < size) {
      return InvalidArgument(fmt::format("{}: binary_data_size {} runs past the end of the body ({} bytes left)", what,
                                         size, binary.size() - binary_cursor));
    }
    TOP_ASSIGN_OR_RETURN(out.tensor, Tensor::allocate(*dtype, shape));
    if (size) std::memcpy(out.tensor.raw_data(), binary.data() + binary_cursor, size);
    if (*dtype == DataType::kBool) {  // any non-zero byte is true; kernels read bools as 0/1
      uint8_t* b = static_cast<uint8_t*>(out.tensor.raw_data());
      for (size_t i = 0; i < size; ++i) b[i] = b[i] != 0;
    }
    binary_cursor += size;
    return out;
  }
  if (data == in.end()) return InvalidArgument(what + ": 'data' is missing (or binary_data_size for binary data)");
  // Every JSON element takes at least two characters of the body (a digit and a comma).
  const int64_t numel = shape_numel(shape);
  if (static_cast<uint64_t>(numel) > json_text_size / 2 + 1) {
    return InvalidArgument(fmt::format("{}: 'data' cannot hold the {} elements of {} in a {}-byte request", what, numel,
                                       shape_str(shape), json_text_size));
  }
  TOP_ASSIGN_OR_RETURN(out.tensor, Tensor::allocate(*dtype, shape));
  TOP_RETURN_IF_ERROR(fill_from_json(*data, out.tensor, what));
  return out;
}

Result<int64_t> integer_parameter(const json& root, const char* key) {
  const json* p = parameter(root, key);
  if (!p) return int64_t{0};
  if (!p->is_number_integer()) return InvalidArgument(fmt::format("parameter '{}' must be an integer", key));
  return p->get<int64_t>();
}

void append_json_data(std::string& out, const Tensor& t) {
  const int64_t n = t.numel();
  out.reserve(out.size() + static_cast<size_t>(n) * 12 + 2);
  out.push_back('[');
  auto buf = std::back_inserter(out);
  for (int64_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    switch (t.dtype()) {
      case DataType::kBool: out += t.data<bool>()[i] ? "true" : "false"; break;
      case DataType::kFloat32: {
        const float v = t.data<float>()[i];
        if (std::isfinite(v)) fmt::format_to(buf, "{}", v);
        else out += "null";  // JSON has no NaN or infinity
        break;
      }
      case DataType::kFloat64: {
        const double v = t.data<double>()[i];
        if (std::isfinite(v)) fmt::format_to(buf, "{}", v);
        else out += "null";
        break;
      }
      case DataType::kFloat16:
      case DataType::kBFloat16: {
        const uint16_t h = t.data<uint16_t>()[i];
        const float v = t.dtype() == DataType::kFloat16 ? half_to_float(h) : bfloat16_to_float(h);
        if (std::isfinite(v)) fmt::format_to(buf, "{}", v);
        else out += "null";
        break;
      }
      case DataType::kUint64: fmt::format_to(buf, "{}", t.data<uint64_t>()[i]); break;
      default: fmt::format_to(buf, "{}", t.item_as_int(i)); break;
    }
  }
  out.push_back(']');
}

}  // namespace

int http_status_of(const Status& s) {
  switch (s.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kInvalidModel:
    case StatusCode::kUnsupported: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kResourceExhausted:
    case StatusCode::kUnavailable:
    case StatusCode::kCancelled: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    case StatusCode::kOutOfMemory:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

Result<InferRequest> parse_infer_request(std::string_view body, long long header_length, const std::string& model,
                                         const std::string& version) {
  std::string_view text = body, binary;
  if (header_length >= 0) {
    if (static_cast<unsigned long long>(header_length) > body.size()) {
      return InvalidArgument(fmt::format("Inference-Header-Content-Length {} is longer than the body ({} bytes)",
                                         header_length, body.size()));
    }
    text = body.substr(0, static_cast<size_t>(header_length));
    binary = body.substr(static_cast<size_t>(header_length));
  }
  if (!depth_within_limit(text)) return InvalidArgument(fmt::format("request JSON nests deeper than {}", kMaxJsonDepth));
  const json root = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return InvalidArgument("request body is not valid JSON");
  if (!root.is_object()) return InvalidArgument("request body must be a JSON object");

  InferRequest req;
  req.model = model;
  req.version = version;
  if (auto id = root.find("id"); id != root.end()) {
    if (!id->is_string()) return InvalidArgument("'id' must be a string");
    req.id = id->get<std::string>();
  }
  if (auto p = root.find("parameters"); p != root.end() && !p->is_object()) {
    return InvalidArgument("'parameters' must be an object");
  }
  if (const json* b = parameter(root, "binary_data_output")) {
    if (!b->is_boolean()) return InvalidArgument("parameter 'binary_data_output' must be a boolean");
    req.binary_outputs = b->get<bool>();
  }
  TOP_ASSIGN_OR_RETURN(req.timeout_us, integer_parameter(root, "timeout"));
  if (req.timeout_us < 0) return InvalidArgument("parameter 'timeout' must be >= 0 (microseconds)");
  TOP_ASSIGN_OR_RETURN(int64_t priority, integer_parameter(root, "priority"));
  if (priority < -1000000 || priority > 1000000) return InvalidArgument("parameter 'priority' is out of range");
  req.priority = static_cast<int>(priority);

  auto inputs = root.find("inputs");
  if (inputs == root.end() || !inputs->is_array()) return InvalidArgument("'inputs' (an array) is missing");
  size_t cursor = 0;
  for (size_t i = 0; i < inputs->size(); ++i) {
    TOP_ASSIGN_OR_RETURN(InferInput in, parse_input((*inputs)[i], i, binary, cursor, text.size()));
    for (const InferInput& prev : req.inputs) {
      if (prev.name == in.name) return InvalidArgument("input '" + in.name + "' is given twice");
    }
    req.inputs.push_back(std::move(in));
  }
  if (cursor != binary.size()) {
    return InvalidArgument(fmt::format("the body has {} bytes of binary data after the inputs' binary_data_size",
                                       binary.size() - cursor));
  }
  if (auto outputs = root.find("outputs"); outputs != root.end()) {
    if (!outputs->is_array()) return InvalidArgument("'outputs' must be an array");
    for (size_t i = 0; i < outputs->size(); ++i) {
      const json& o = (*outputs)[i];
      auto name = o.is_object() ? o.find("name") : o.end();
      if (!o.is_object() || name == o.end() || !name->is_string())
        return InvalidArgument(fmt::format("outputs[{}] needs a 'name' (a string)", i));
      RequestedOutput out{name->get<std::string>(), req.binary_outputs};
      if (const json* b = parameter(o, "binary_data")) {
        if (!b->is_boolean()) return InvalidArgument(fmt::format("outputs[{}]: 'binary_data' must be a boolean", i));
        out.binary = b->get<bool>();
      }
      for (const RequestedOutput& prev : req.outputs) {
        if (prev.name == out.name) return InvalidArgument("output '" + out.name + "' is requested twice");
      }
      req.outputs.push_back(std::move(out));
    }
  }
  return req;
}

std::string encode_infer_response(const InferResponse& response, long long* header_length) {
  std::string out = "{\"model_name\":" + quote(response.model);
  if (!response.version.empty()) out += ",\"model_version\":" + quote(response.version);
  if (!response.id.empty()) out += ",\"id\":" + quote(response.id);
  out += ",\"outputs\":[";
  bool any_binary = false;
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const InferOutput& o = response.outputs[i];
    if (i) out.push_back(',');
    out += "{\"name\":" + quote(o.name) + ",\"datatype\":\"" + v2_datatype_name(o.tensor.dtype()) + "\",\"shape\":[";
    for (size_t d = 0; d < o.tensor.shape().size(); ++d) out += fmt::format("{}{}", d ? "," : "", o.tensor.shape()[d]);
    out += "]";
    if (o.binary) {
      out += fmt::format(",\"parameters\":{{\"binary_data_size\":{}}}}}", o.tensor.nbytes());
      any_binary = true;
    } else {
      out += ",\"data\":";
      append_json_data(out, o.tensor);
      out += "}";
    }
  }
  out += "]}";
  *header_length = -1;
  if (any_binary) {
    *header_length = static_cast<long long>(out.size());
    for (const InferOutput& o : response.outputs) {
      if (o.binary) out.append(static_cast<const char*>(o.tensor.raw_data()), o.tensor.nbytes());
    }
  }
  return out;
}

std::string encode_error(const std::string& message) { return "{\"error\":" + quote(message) + "}"; }

namespace {

json tensor_metadata_json(const std::vector<TensorMetadata>& tensors) {
  json out = json::array();
  for (const TensorMetadata& t : tensors) out.push_back({{"name", t.name}, {"datatype", t.datatype}, {"shape", t.shape}});
  return out;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string encode_server_metadata(const std::string& name, const std::string& version,
                                   const std::vector<std::string>& extensions) {
  return dump({{"name", name}, {"version", version}, {"extensions", extensions}});
}

std::string encode_model_metadata(const ModelMetadata& md) {
  return dump({{"name", md.name},
               {"versions", md.versions},
               {"platform", md.platform},
               {"inputs", tensor_metadata_json(md.inputs)},
               {"outputs", tensor_metadata_json(md.outputs)}});
}

std::string encode_repository_index(const std::vector<RepositoryIndexEntry>& index) {
  json out = json::array();
  for (const RepositoryIndexEntry& e : index) {
    json entry = {{"name", e.name}, {"state", e.state}};
    if (!e.version.empty()) entry["version"] = e.version;
    if (!e.reason.empty()) entry["reason"] = e.reason;
    out.push_back(std::move(entry));
  }
  return dump(out);
}

}  // namespace top::serve

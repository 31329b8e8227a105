#include "inputs.h"

#include <charconv>
#include <random>
#include <set>

#include "top/limits.h"
#include "util/half.h"
#include "util/npy.h"

namespace toprt {

top::Shape concrete_shape(const top::TensorInfo& info, const InputSpec& spec) {
  top::Shape s = info.shape;
  for (size_t d = 0; d < s.size(); ++d) {
    if (s[d] >= 0) continue;
    const std::string& name = d < info.dim_names.size() ? info.dim_names[d] : std::string();
    auto it = spec.dims.find(name);
    if (!name.empty() && it != spec.dims.end()) s[d] = it->second;
    else s[d] = d == 0 ? spec.batch : 1;
  }
  return s;
}

std::string declared_shape_str(const top::TensorInfo& info) {
  std::string out = "[";
  for (size_t d = 0; d < info.shape.size(); ++d) {
    if (d) out += ",";
    const std::string name = d < info.dim_names.size() ? info.dim_names[d] : std::string();
    out += info.shape[d] >= 0 ? std::to_string(info.shape[d]) : name.empty() ? "?" : name;
  }
  return out + "]";
}

std::string describe_random_inputs(const top::Model& model, const InputSpec& spec, const std::vector<top::Tensor>& inputs) {
  std::string out;
  const auto infos = model.inputs();
  for (size_t i = 0; i < infos.size() && i < inputs.size(); ++i) {
    if (spec.files.count(infos[i].name)) continue;
    const top::DataType t = infos[i].dtype;
    const bool real = t == top::DataType::kFloat32 || t == top::DataType::kFloat64 || t == top::DataType::kFloat16 ||
                      t == top::DataType::kBFloat16;
    const char* values = real ? "N(0,1)" : t == top::DataType::kBool ? "true/false" : t == top::DataType::kUint8 ? "integers in [0,256)" : "integers in [0,10)";
    out += "input      " + infos[i].name + " " + top::dtype_name(t) + " " + top::shape_str(inputs[i].shape()) +
           " random " + values + " (seed " + std::to_string(spec.seed) + "; --input " + infos[i].name + "=FILE.npy to give it)\n";
  }
  return out;
}

namespace {

// --batch and a --dim naming the same (first) dimension must agree.
top::Status check_batch_agrees(const top::Model& model, const InputSpec& spec) {
  if (!spec.batch_given) return top::Status::Ok();
  for (const auto& info : model.inputs()) {
    if (info.shape.empty() || info.shape[0] >= 0 || info.dim_names.empty()) continue;
    auto it = spec.dims.find(info.dim_names[0]);
    if (it != spec.dims.end() && it->second != spec.batch) {
      return top::InvalidArgument("--batch " + std::to_string(spec.batch) + " and --dim " + it->first + "=" +
                                  std::to_string(it->second) + " disagree about the first dimension of input '" +
                                  info.name + "' (give one)");
    }
  }
  return top::Status::Ok();
}

// A --dim for a name no input has would silently change nothing; say so instead.
top::Status check_dim_names(const top::Model& model, const InputSpec& spec) {
  std::set<std::string> known;
  for (const auto& info : model.inputs())
    for (size_t d = 0; d < info.dim_names.size() && d < info.shape.size(); ++d)
      if (info.shape[d] < 0 && !info.dim_names[d].empty()) known.insert(info.dim_names[d]);
  for (const auto& [name, value] : spec.dims) {
    if (known.count(name)) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    return top::InvalidArgument("--dim " + name + ": the model has no symbolic dimension '" + name + "' (" +
                                (list.empty() ? std::string("it has none") : "it has: " + list) + ")");
  }
  return top::Status::Ok();
}

}  // namespace

top::Result<std::vector<top::Tensor>> make_inputs(const top::Model& model, const InputSpec& spec) {
  std::vector<top::Tensor> out;
  std::mt19937_64 rng(spec.seed);
  for (const auto& [name, path] : spec.files) {
    bool known = false;
    for (const auto& info : model.inputs()) known |= info.name == name;
    if (!known) {
      std::string list;
      for (const auto& info : model.inputs()) list += (list.empty() ? "" : ", ") + info.name;
      return top::InvalidArgument("--input " + name + ": the model has no input named '" + name + "' (its inputs: " + list + ")");
    }
  }
  TOP_RETURN_IF_ERROR(check_dim_names(model, spec));
  TOP_RETURN_IF_ERROR(check_batch_agrees(model, spec));
  for (const auto& info : model.inputs()) {
    auto f = spec.files.find(info.name);
    if (f != spec.files.end()) {
      auto t = top::npy::load(f->second);
      if (!t.ok()) return t.status().with_context("--input " + info.name);
      out.push_back(*t);
      continue;
    }
    const top::Shape shape = concrete_shape(info, spec);
    // The same check allocate() makes, with a message that names the input.
    TOP_RETURN_IF_ERROR(top::checked_tensor_bytes(info.dtype, shape, "random input '" + info.name + "'").status());
    TOP_ASSIGN_OR_RETURN(top::Tensor t, top::Tensor::allocate(info.dtype, shape));
    std::normal_distribution<float> normal(0.f, 1.f);
    for (int64_t i = 0; i < t.numel(); ++i) {
      switch (info.dtype) {
        case top::DataType::kFloat32: t.data<float>()[i] = normal(rng); break;
        case top::DataType::kFloat64: t.data<double>()[i] = normal(rng); break;
        case top::DataType::kFloat16: t.data<uint16_t>()[i] = top::float_to_half(normal(rng)); break;
        case top::DataType::kBFloat16: t.data<uint16_t>()[i] = top::float_to_bfloat16(normal(rng)); break;
        case top::DataType::kInt64: t.data<int64_t>()[i] = static_cast<int64_t>(rng() % 10); break;
        case top::DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(rng() % 10); break;
        case top::DataType::kBool: t.data<bool>()[i] = rng() % 2; break;
        case top::DataType::kUint8: t.data<uint8_t>()[i] = static_cast<uint8_t>(rng() % 256); break;
        case top::DataType::kUint16: t.data<uint16_t>()[i] = static_cast<uint16_t>(rng() % 10); break;
        case top::DataType::kUint32: t.data<uint32_t>()[i] = static_cast<uint32_t>(rng() % 10); break;
        case top::DataType::kUint64: t.data<uint64_t>()[i] = rng() % 10; break;
        default:
          return top::Unsupported(std::string("cannot generate random input of dtype ") + top::dtype_name(info.dtype) +
                                  " for '" + info.name + "': pass it with --input");
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

top::Result<std::pair<std::string, std::string>> split_assignment(const std::string& s) {
  size_t eq = s.find('=');
  if (eq == std::string::npos || eq == 0) return top::InvalidArgument("expected NAME=VALUE, got '" + s + "'");
  return std::make_pair(s.substr(0, eq), s.substr(eq + 1));
}

top::Result<int64_t> parse_integer(const std::string& text, int64_t lo, int64_t hi, const std::string& what) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < lo || v > hi)
    return top::InvalidArgument(what + ": '" + text + "' is not an integer in [" + std::to_string(lo) + ", " +
                                std::to_string(hi) + "]");
  return v;
}

top::Status parse_dims(const std::vector<std::string>& options, InputSpec& spec) {
  for (const auto& s : options) {
    auto kv = split_assignment(s);
    if (!kv.ok()) return kv.status().with_context("--dim");
    TOP_ASSIGN_OR_RETURN(spec.dims[kv->first], parse_integer(kv->second, 1, INT32_MAX, "--dim " + kv->first));
  }
  return top::Status::Ok();
}

std::vector<const top::Tensor*> PlannedModel::input_ptrs() const {
  std::vector<const top::Tensor*> ptrs;
  for (const auto& t : inputs) ptrs.push_back(&t);
  return ptrs;
}

top::Result<PlannedModel> load_and_plan(const std::string& path, const InputSpec& spec) {
  TOP_ASSIGN_OR_RETURN(top::Model model, top::Model::load(path));
  TOP_ASSIGN_OR_RETURN(std::vector<top::Tensor> inputs, make_inputs(model, spec));
  std::vector<top::Shape> shapes;
  for (const auto& t : inputs) shapes.push_back(t.shape());
  TOP_ASSIGN_OR_RETURN(auto plan, top::exec::make_plan(model.graph(), shapes));
  return PlannedModel{std::move(model), std::move(inputs), std::move(plan)};
}

}  // namespace toprt

#include "ir/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <optional>
#include <unordered_map>

#include "ir/model_files.h"
#include "ir/onnx_shape_inference.h"
#include "ops/op.h"
#include "top/limits.h"

// libonnx exports this overload (check_model(path) uses it to set the model folder for
// external data) but its header does not declare it.
namespace onnx::checker {
void check_model(const ModelProto& model, CheckerContext& ctx);
}

namespace top::ir {

namespace fs = std::filesystem;

namespace {

// Oldest and newest default-domain opsets we accept. Older models should be upgraded
// with onnx.version_converter; newer ones may use semantics we do not implement.
constexpr int kMinOpset = 1;
constexpr int kMaxOpset = 21;
// The highest tensor rank we accept. ONNX sets none, but a file could list millions
// of dims (each a byte on disk, 8 in a Shape, more in every message naming it).
constexpr int kMaxRank = 64;
constexpr int64_t kMaxIrVersion = 10;  // see Importer::run

// The ONNX name of an element type, also of those newer than libonnx 1.12's enum.
std::string dtype_name_of(int onnx_type) {
  if (onnx::TensorProto_DataType_IsValid(onnx_type))
    return onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(onnx_type));
  static const char* const newer[] = {"FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ",
                                      "UINT4", "INT4", "FLOAT4E2M1"};  // 17..23 (IR 9-11)
  if (onnx_type >= 17 && onnx_type <= 23) return newer[onnx_type - 17];
  return std::to_string(onnx_type);
}

Result<DataType> convert_dtype(int onnx_type, const std::string& what) {
  switch (onnx_type) {
    case onnx::TensorProto::FLOAT: return DataType::kFloat32;
    case onnx::TensorProto::DOUBLE: return DataType::kFloat64;
    case onnx::TensorProto::FLOAT16: return DataType::kFloat16;
    case onnx::TensorProto::BFLOAT16: return DataType::kBFloat16;
    case onnx::TensorProto::INT8: return DataType::kInt8;
    case onnx::TensorProto::UINT8: return DataType::kUint8;
    case onnx::TensorProto::INT16: return DataType::kInt16;
    case onnx::TensorProto::INT32: return DataType::kInt32;
    case onnx::TensorProto::INT64: return DataType::kInt64;
    case onnx::TensorProto::BOOL: return DataType::kBool;
    case onnx::TensorProto::UINT16: return DataType::kUint16;
    case onnx::TensorProto::UINT32: return DataType::kUint32;
    case onnx::TensorProto::UINT64: return DataType::kUint64;
    default:
      return Unsupported(what + " has unsupported element type " + dtype_name_of(onnx_type));
  }
}

// Copies `count` elements of a repeated proto field into `dst` of type T.
template <class T, class Field>
void copy_field(const Field& field, T* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<T>(field.Get(static_cast<int>(i)));
}

// How many values the type-specific field of `dt` holds (float_data, int64_data, ...).
int64_t typed_value_count(const onnx::TensorProto& tp, DataType dt) {
  switch (dt) {
    case DataType::kFloat32: return tp.float_data_size();
    case DataType::kFloat64: return tp.double_data_size();
    case DataType::kInt64: return tp.int64_data_size();
    case DataType::kUint32:
    case DataType::kUint64: return tp.uint64_data_size();
    default: return tp.int32_data_size();  // int8/16/32, uint8/16, bool, float16 bit patterns
  }
}

void copy_typed_values(const onnx::TensorProto& tp, Tensor& t, int64_t n) {
  switch (t.dtype()) {
    case DataType::kFloat32: copy_field(tp.float_data(), t.data<float>(), n); break;
    case DataType::kFloat64: copy_field(tp.double_data(), t.data<double>(), n); break;
    case DataType::kInt64: copy_field(tp.int64_data(), t.data<int64_t>(), n); break;
    case DataType::kInt32: copy_field(tp.int32_data(), t.data<int32_t>(), n); break;
    case DataType::kInt16: copy_field(tp.int32_data(), t.data<int16_t>(), n); break;
    case DataType::kInt8: copy_field(tp.int32_data(), t.data<int8_t>(), n); break;
    case DataType::kUint8: copy_field(tp.int32_data(), t.data<uint8_t>(), n); break;
    case DataType::kBool: copy_field(tp.int32_data(), t.data<bool>(), n); break;
    case DataType::kFloat16: copy_field(tp.int32_data(), t.data<uint16_t>(), n); break;  // uint16 bit patterns
    case DataType::kBFloat16: copy_field(tp.int32_data(), t.data<uint16_t>(), n); break;
    case DataType::kUint16: copy_field(tp.int32_data(), t.data<uint16_t>(), n); break;
    case DataType::kUint32: copy_field(tp.uint64_data(), t.data<uint32_t>(), n); break;
    case DataType::kUint64: copy_field(tp.uint64_data(), t.data<uint64_t>(), n); break;
    default: break;  // convert_dtype admits no other type
  }
}

// Calls `fn` on every TensorProto of `g`: initializers, sparse initializers and node
// attributes, subgraphs included (protobuf bounds their nesting at 100 levels).
template <class F>
void for_each_tensor(const onnx::GraphProto& g, F& fn);

template <class F>
void for_each_tensor(const onnx::NodeProto& n, F& fn) {
  for (const auto& a : n.attribute()) {
    if (a.has_t()) fn(a.t());
    for (const auto& t : a.tensors()) fn(t);
    if (a.has_sparse_tensor()) {
      fn(a.sparse_tensor().values());
      fn(a.sparse_tensor().indices());
    }
    for (const auto& s : a.sparse_tensors()) {
      fn(s.values());
      fn(s.indices());
    }
    if (a.has_g()) for_each_tensor(a.g(), fn);
    for (const auto& sub : a.graphs()) for_each_tensor(sub, fn);
  }
}

template <class F>
void for_each_tensor(const onnx::GraphProto& g, F& fn) {
  for (const auto& t : g.initializer()) fn(t);
  for (const auto& s : g.sparse_initializer()) {
    fn(s.values());
    fn(s.indices());
  }
  for (const auto& n : g.node()) for_each_tensor(n, fn);
}

template <class F>
void for_each_tensor(const onnx::ModelProto& m, F&& fn) {
  for_each_tensor(m.graph(), fn);
  for (const auto& f : m.functions())
    for (const auto& n : f.node()) for_each_tensor(n, fn);
}

// Turns TensorProtos into Tensors. A tensor's size comes from its declared dims, which
// a ~100-byte file can set to billions of elements, so every size is checked against
// the data actually present (raw_data, the typed field, the external file) and against
// the limits before anything is allocated.
class TensorLoader {
 public:
  TensorLoader(const std::string& base_dir, size_t total_limit)
      : folder_(base_dir), total_limit_(total_limit), budget_left_(total_limit) {}

  // Every external location in the model must name a file we would read before
  // libonnx's checker sees the model: the checker stat()s model_dir/location, and its
  // pass or fail would otherwise tell a probing author whether any path (through
  // "..", or a link shipped with the model) exists on this machine.
  Status check_external_locations(const onnx::ModelProto& model) {
    Status st = Status::Ok();
    for_each_tensor(model, [&](const onnx::TensorProto& tp) {
      if (!st.ok() || tp.data_location() != onnx::TensorProto::EXTERNAL) return;
      auto ref = parse_external_data(tp);
      st = ref.ok() ? folder_.open_location(ref->location, "tensor '" + tp.name() + "'") : ref.status();
    });
    return st;
  }

  Result<Tensor> convert(const onnx::TensorProto& tp) {
    const std::string what = "tensor '" + tp.name() + "'";
    TOP_ASSIGN_OR_RETURN(DataType dt, convert_dtype(tp.data_type(), what));
    if (tp.dims_size() > kMaxRank)
      return InvalidModel(what + " has rank " + std::to_string(tp.dims_size()) + ", over " + std::to_string(kMaxRank));
    Shape shape(tp.dims().begin(), tp.dims().end());
    auto checked = checked_tensor_bytes(dt, shape, what);
    if (!checked.ok()) {
      // A negative or overflowing dimension is the file's fault, not the caller's.
      if (checked.status().code() == StatusCode::kInvalidArgument) return InvalidModel(checked.status().message());
      return checked.status();
    }
    const size_t bytes = *checked;
    const int64_t n = static_cast<int64_t>(bytes / dtype_size(dt));

    std::optional<ExternalDataRef> external;
    if (tp.data_location() == onnx::TensorProto::EXTERNAL) {
      TOP_ASSIGN_OR_RETURN(external, parse_external_data(tp));
      TOP_RETURN_IF_ERROR(folder_.check(*external, bytes, what));
    } else if (tp.has_raw_data()) {
      if (tp.raw_data().size() != bytes)
        return InvalidModel(what + " holds " + std::to_string(tp.raw_data().size()) + " bytes of data but its shape " +
                            shape_str(shape) + " needs " + std::to_string(bytes));
    } else if (typed_value_count(tp, dt) != n) {
      return InvalidModel(what + " has " + std::to_string(typed_value_count(tp, dt)) + " values but its shape " +
                          shape_str(shape) + " needs " + std::to_string(n));
    }
    if (bytes > budget_left_)
      return OutOfMemory(what + " (" + std::to_string(bytes) +
                         " bytes) brings the model's tensors over their total limit of " +
                         std::to_string(total_limit_) + " bytes");
    budget_left_ -= bytes;

    TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dt, shape));
    if (external) {
      TOP_RETURN_IF_ERROR(folder_.read(*external, t.raw_data(), bytes, what));
    } else if (tp.has_raw_data()) {
      if (bytes) std::memcpy(t.raw_data(), tp.raw_data().data(), bytes);  // little-endian host assumed
    } else {
      copy_typed_values(tp, t, n);
    }
    return t;
  }

 private:
  ExternalDataFolder folder_;
  size_t total_limit_;
  size_t budget_left_;
};

Result<Attribute> convert_attribute(const onnx::AttributeProto& ap, TensorLoader& tensors) {
  Attribute a;
  switch (ap.type()) {
    case onnx::AttributeProto::INT: a.kind = Attribute::Kind::kInt; a.i = ap.i(); break;
    case onnx::AttributeProto::FLOAT: a.kind = Attribute::Kind::kFloat; a.f = ap.f(); break;
    case onnx::AttributeProto::STRING: a.kind = Attribute::Kind::kString; a.s = ap.s(); break;
    case onnx::AttributeProto::INTS:
      a.kind = Attribute::Kind::kInts;
      a.ints.assign(ap.ints().begin(), ap.ints().end());
      break;
    case onnx::AttributeProto::FLOATS:
      a.kind = Attribute::Kind::kFloats;
      a.floats.assign(ap.floats().begin(), ap.floats().end());
      break;
    case onnx::AttributeProto::STRINGS:
      a.kind = Attribute::Kind::kStrings;
      a.strings.assign(ap.strings().begin(), ap.strings().end());
      break;
    case onnx::AttributeProto::TENSOR: {
      a.kind = Attribute::Kind::kTensor;
      TOP_ASSIGN_OR_RETURN(a.t, tensors.convert(ap.t()));
      break;
    }
    case onnx::AttributeProto::GRAPH:
      a.kind = Attribute::Kind::kGraph;  // the importer imports the body (Importer::import_graph)
      break;
    case onnx::AttributeProto::TYPE_PROTO:
      a.kind = Attribute::Kind::kType;
      break;
    default:
      return Unsupported("attribute '" + ap.name() + "' has an unsupported type");
  }
  return a;
}

// The tensor type inside a value's declared type: the tensor's own, a sequence's
// elements', or an optional's content's (optional(tensor) or optional(seq(tensor))).
// Null for maps, sparse tensors and nestings deeper than these.
const onnx::TypeProto_Tensor* declared_tensor_type(const onnx::TypeProto& type, bool& sequence, bool& optional) {
  const onnx::TypeProto* t = &type;
  if (t->has_optional_type()) {
    optional = true;
    t = &t->optional_type().elem_type();
  }
  if (t->has_sequence_type()) {
    sequence = true;
    t = &t->sequence_type().elem_type();
  }
  return t->has_tensor_type() ? &t->tensor_type() : nullptr;
}

void fill_declared_type(const onnx::ValueInfoProto& vi, Value& v) {
  bool sequence = false, optional = false;
  const onnx::TypeProto_Tensor* declared = declared_tensor_type(vi.type(), sequence, optional);
  if (declared == nullptr) return;
  v.is_sequence = sequence;
  v.is_optional = optional;
  const auto& tt = *declared;
  auto dt = convert_dtype(tt.elem_type(), "value '" + vi.name() + "'");
  if (dt.ok()) v.dtype = *dt;
  if (!tt.has_shape() || tt.shape().dim_size() > kMaxRank) return;  // an absurd rank is left undeclared
  v.has_shape = true;
  v.shape.clear();
  v.dim_names.clear();
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value() && d.dim_value() >= 0) {
      v.shape.push_back(d.dim_value());
      v.dim_names.emplace_back();
    } else {
      v.shape.push_back(-1);
      v.dim_names.push_back(d.has_dim_param() ? d.dim_param() : std::string());
    }
  }
}

class Importer {
 public:
  Importer(std::string base_dir, const ImportOptions& opts)
      : base_dir_(std::move(base_dir)),
        opts_(opts),
        tensors_(base_dir_, opts.max_total_tensor_bytes ? opts.max_total_tensor_bytes : physical_memory_bytes()) {}

  Result<std::shared_ptr<Graph>> run(onnx::ModelProto& model) {
    // The header is checked before libonnx sees the model: its checker narrows opset
    // versions to int as well.
    TOP_RETURN_IF_ERROR(check_header(model));
    TOP_ASSIGN_OR_RETURN(int opset, default_opset(model));
    TOP_ASSIGN_OR_RETURN(auto domain_opsets, opset_versions(model));
    TOP_RETURN_IF_ERROR(tensors_.check_external_locations(model));
    const int64_t ir_version = model.ir_version();
    // libonnx 1.12's checker refuses IR 9 and 10 outright, yet what they add to IR 8 is
    // element types (float8 in 9, int4/uint4 in 10: the checker and convert_dtype
    // refuse them by name) and function overloads (fields protobuf keeps as unknown;
    // model-local functions are not run here). So the checker and shape inference see
    // the model as IR 8 and still do every structural check.
    if (ir_version > onnx::IR_VERSION) model.set_ir_version(onnx::IR_VERSION);
    TOP_RETURN_IF_ERROR(run_checker(model));
    auto g = std::make_shared<Graph>();
    g->ir_version = ir_version;
    g->producer_name = model.producer_name();
    g->name = model.graph().name();
    g->default_opset = opset;

    Scope top;
    top.graph = g.get();
    TOP_RETURN_IF_ERROR(import_graph(model.graph(), top, opset, domain_opsets));
    index_ = std::move(top.index);
    TOP_RETURN_IF_ERROR(annotate_with_shape_inference(model, *g));
    return g;
  }

 private:
  // Names visible while one graph is imported: its own values, then (subgraphs) the
  // enclosing graphs'. A subgraph reading an outer value captures it: the value becomes
  // one of the subgraph's inputs and the node an input more (Graph::implicit_inputs).
  struct Scope {
    Graph* graph = nullptr;
    std::unordered_map<std::string, ValueId> index;
    std::unordered_map<std::string, const onnx::ValueInfoProto*> value_info;
    Scope* outer = nullptr;
    std::vector<std::string> captures;  // outer names read, in first-use order
  };

  static bool visible(const Scope* s, const std::string& name) {
    for (; s != nullptr; s = s->outer)
      if (s->index.count(name)) return true;
    return false;
  }

  Status import_graph(const onnx::GraphProto& gp, Scope& scope, int opset,
                      const std::unordered_map<std::string, int>& domain_opsets) {
    Graph* g = scope.graph;
    const bool top_level = scope.outer == nullptr;
    // Weights first: in IR < 4 they may also be listed as graph inputs.
    for (const auto& init : gp.initializer()) {
      if (scope.index.count(init.name())) return InvalidModel("initializer '" + init.name() + "' is defined twice");
      TOP_ASSIGN_OR_RETURN(Tensor t, tensors_.convert(init));
      Value v;
      v.name = init.name();
      v.dtype = t.dtype();
      v.shape = t.shape();
      v.dim_names.assign(v.shape.size(), "");
      v.has_shape = true;
      v.initializer = std::move(t);
      const std::string name = v.name;
      scope.index[name] = g->add_value(std::move(v));
    }
    for (const auto& in : gp.input()) {
      if (scope.index.count(in.name())) continue;  // an initializer with a default value
      bool sequence = false, optional = false;
      const onnx::TypeProto_Tensor* declared = declared_tensor_type(in.type(), sequence, optional);
      if (declared != nullptr && declared->shape().dim_size() > kMaxRank)
        return InvalidModel("graph input '" + in.name() + "' has rank " +
                            std::to_string(declared->shape().dim_size()) + ", over " + std::to_string(kMaxRank));
      Value v;
      v.name = in.name();
      fill_declared_type(in, v);
      // A body's inputs may leave their type to the node that runs it (Loop's carried
      // values); anything else, or a type we do not have, is refused here.
      const bool untyped_body_input = !top_level && !in.type().has_tensor_type() && !in.type().has_sequence_type() &&
                                      !in.type().has_optional_type() && !in.type().has_map_type();
      if (v.dtype == DataType::kUndefined && !untyped_body_input)
        return Unsupported("graph input '" + in.name() + "' is not a tensor of a supported element type");
      v.is_input = true;
      ValueId id = g->add_value(std::move(v));
      scope.index[in.name()] = id;
      g->inputs.push_back(id);
    }
    for (const auto& vi : gp.value_info()) scope.value_info[vi.name()] = &vi;  // declared by the exporter

    std::vector<std::string> unsupported;
    for (int i = 0; i < gp.node_size(); ++i) {
      const onnx::NodeProto& np = gp.node(i);
      Node n;
      n.name = np.name().empty() ? np.op_type() + "_" + std::to_string(i) : np.name();
      n.op_type = np.op_type();
      n.domain = np.domain();
      auto dom = domain_opsets.find(np.domain().empty() ? std::string() : np.domain());
      n.opset = dom != domain_opsets.end() ? dom->second : opset;
      if (np.domain() == "ai.onnx") n.opset = opset;
      std::vector<std::pair<std::shared_ptr<Graph>, std::unique_ptr<Scope>>> bodies;
      for (const auto& ap : np.attribute()) {
        if (ap.type() == onnx::AttributeProto::GRAPHS)
          return Unsupported("node '" + n.name + "': attribute '" + ap.name() + "' holds a list of graphs");
        auto a = convert_attribute(ap, tensors_);
        if (!a.ok()) return a.status().with_context("node '" + n.name + "'");
        if (ap.type() == onnx::AttributeProto::GRAPH) {
          auto body = std::make_shared<Graph>();
          body->name = ap.g().name();
          body->ir_version = g->ir_version;
          body->default_opset = g->default_opset;
          body->producer_name = g->producer_name;
          auto body_scope = std::make_unique<Scope>();
          body_scope->graph = body.get();
          body_scope->outer = &scope;
          Status st = import_graph(ap.g(), *body_scope, opset, domain_opsets);
          if (!st.ok()) return st.with_context("node '" + n.name + "', attribute '" + ap.name() + "'");
          a->g = body;
          bodies.emplace_back(std::move(body), std::move(body_scope));
        }
        n.attrs.set(ap.name(), std::move(a).value());
      }
      for (const auto& name : np.input()) n.inputs.push_back(name.empty() ? kNoValue : value_for(scope, name, false));
      if (!bodies.empty()) {
        // Every body gets the union of the bodies' captures, in one order, as inputs.
        std::vector<std::string> implicit;
        for (const auto& b : bodies)
          for (const std::string& c : b.second->captures)
            if (std::find(implicit.begin(), implicit.end(), c) == implicit.end()) implicit.push_back(c);
        for (auto& b : bodies) {
          for (const std::string& c : implicit) {
            ValueId id = value_for(*b.second, c, false);  // the capture made while importing, or a new one
            b.first->values[static_cast<size_t>(id)].is_input = true;
            b.first->inputs.push_back(id);
          }
          b.first->implicit_inputs = implicit;
        }
        for (const std::string& c : implicit) n.inputs.push_back(value_for(scope, c, false));
      }
      for (const auto& name : np.output()) {
        if (name.empty()) {
          n.outputs.push_back(kNoValue);
          continue;
        }
        ValueId id = value_for(scope, name, true);
        if (g->values[id].producer >= 0 || g->values[id].initializer.defined() || g->values[id].is_input)
          return InvalidModel("value '" + name + "' is produced twice (again by node '" + n.name + "')");
        g->values[id].producer = static_cast<NodeId>(g->nodes.size());  // provisional, add_node sets it too
        n.outputs.push_back(id);
      }
      auto op = ops::OpRegistry::builtin().create(n);
      if (!op.ok()) {
        if (op.status().code() != StatusCode::kUnsupported) return op.status();
        unsupported.push_back(op.status().message());
      } else {
        n.op = std::shared_ptr<ops::Op>(std::move(op).value());
      }
      g->add_node(std::move(n));
    }
    if (!unsupported.empty()) {
      std::string msg = unsupported.front();
      if (unsupported.size() > 1) msg += " (and " + std::to_string(unsupported.size() - 1) + " more unsupported nodes)";
      return Unsupported(msg);
    }
    for (const auto& out : gp.output()) {
      auto it = scope.index.find(out.name());
      if (it == scope.index.end()) {
        // A body may return an outer value directly: that is a capture too.
        if (top_level || !visible(scope.outer, out.name()))
          return InvalidModel("graph output '" + out.name() + "' is never produced");
        value_for(scope, out.name(), false);
        it = scope.index.find(out.name());
      }
      Value& v = g->values[it->second];
      if (v.dtype == DataType::kUndefined || !v.has_shape) fill_declared_type(out, v);
      v.is_output = true;
      g->outputs.push_back(it->second);
    }
    if (g->outputs.empty()) return InvalidModel(top_level ? "graph has no outputs" : "subgraph '" + g->name + "' has no outputs");
    // Every consumed value must come from somewhere (a capture is a body input).
    for (const Node& n : g->nodes)
      for (ValueId v : n.inputs)
        if (v != kNoValue && g->values[v].producer < 0 && !g->values[v].is_input && !g->values[v].initializer.defined())
          return InvalidModel("node '" + n.name + "' reads value '" + g->values[v].name +
                              "' which no node, input or initializer provides");
    auto topo = g->topological_order();
    if (!topo.ok()) return topo.status();
    return Status::Ok();
  }

  static Status check_header(const onnx::ModelProto& model) {
    if (!model.has_graph()) return InvalidModel("file holds no graph (is it an ONNX model?)");
    if (model.ir_version() <= 0) return InvalidModel("model has no ir_version (is it an ONNX model?)");
    if (model.ir_version() > kMaxIrVersion)
      return Unsupported("model has IR version " + std::to_string(model.ir_version()) + "; IR versions up to " +
                         std::to_string(kMaxIrVersion) + " are read");
    return Status::Ok();
  }

  Status run_checker(const onnx::ModelProto& model) {
    // ONNX's checker and shape inference report problems by throwing; they must not
    // escape the library, so each becomes a Status. With a model folder the checker
    // looks at external data too: libonnx 1.12 only stat()s model_dir/location (it
    // opens nothing, so a FIFO cannot block it), and only after
    // check_external_locations accepted every location; opening and reading is ours
    // alone (ExternalDataFolder).
    if (opts_.run_checker) {
      try {
        onnx::checker::CheckerContext ctx;
        ctx.set_model_dir(base_dir_.empty() ? std::string(".") : base_dir_);
        onnx::checker::check_model(model, ctx);
      } catch (const std::exception& e) {
        return InvalidModel(std::string("ONNX checker: ") + first_line(e.what()));
      } catch (...) {
        return InvalidModel("ONNX checker failed");
      }
    }
    return Status::Ok();
  }

  // The default domain's opset, checked as the int64 the file holds before it is
  // narrowed to int.
  static Result<int> default_opset(const onnx::ModelProto& model) {
    std::optional<int64_t> version;
    for (const auto& imp : model.opset_import())
      if (imp.domain().empty() || imp.domain() == "ai.onnx") version = imp.version();
    // A model of other domains only (ai.onnx.preview.training's optimisers) has no
    // default-domain node (the checker refuses one without its opset): the latest opset
    // stands in.
    if (!version && model.opset_import_size() > 0) return static_cast<int>(kMaxOpset);
    if (!version) return InvalidModel("model declares no opset for the default ONNX domain");
    if (*version < kMinOpset || *version > kMaxOpset)
      return Unsupported("model uses opset " + std::to_string(*version) + "; supported opsets are " +
                         std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset));
    return static_cast<int>(*version);
  }

  // Every domain's opset version as int; versions are int64 in the file, and narrowing
  // an out-of-range one would turn 2^32+13 into 13 and pass every later check.
  static Result<std::unordered_map<std::string, int>> opset_versions(const onnx::ModelProto& model) {
    std::unordered_map<std::string, int> versions;
    for (const auto& imp : model.opset_import()) {
      if (imp.version() < 1 || imp.version() > std::numeric_limits<int>::max())
        return InvalidModel("opset_import of domain '" + imp.domain() + "' has version " +
                            std::to_string(imp.version()) + ", outside 1 to 2^31-1");
      versions[imp.domain()] = static_cast<int>(imp.version());
    }
    return versions;
  }

  // ONNX shape inference annotates intermediate values with declared types and shapes.
  // It runs only after every node's attributes passed our own operator validation:
  // libonnx divides by attribute values (a Conv stride of 0 from a corrupt file ends
  // in SIGFPE inside convPoolShapeInference), so it must never see unvalidated nodes.
  // What it cannot check in advance (ranks it infers itself) onnx_shape_inference.h guards.
  Status annotate_with_shape_inference(onnx::ModelProto& model, Graph& g) {
    TOP_RETURN_IF_ERROR(infer_onnx_shapes(model));
    for (const auto& vi : model.graph().value_info()) {
      auto it = index_.find(vi.name());
      if (it == index_.end()) continue;
      Value& v = g.values[it->second];
      if (!v.has_shape && !v.initializer.defined()) fill_declared_type(vi, v);
    }
    return Status::Ok();
  }

  static std::string first_line(const std::string& s) {
    std::string line = s.substr(0, s.find('\n'));
    return line.size() > 400 ? line.substr(0, 400) + "..." : line;
  }

  // The value `name` denotes in `scope`. Read (not defining) and unknown here but
  // visible outside, it is captured: a body input that the node will feed.
  static ValueId value_for(Scope& scope, const std::string& name, bool defining) {
    auto it = scope.index.find(name);
    if (it != scope.index.end()) return it->second;
    Value v;
    v.name = name;
    auto vi = scope.value_info.find(name);
    if (vi != scope.value_info.end()) fill_declared_type(*vi->second, v);
    const bool capture = !defining && visible(scope.outer, name);
    v.is_input = capture;
    ValueId id = scope.graph->add_value(std::move(v));
    scope.index[name] = id;
    if (capture) scope.captures.push_back(name);
    return id;
  }

  std::string base_dir_;
  ImportOptions opts_;
  TensorLoader tensors_;
  std::unordered_map<std::string, ValueId> index_;  // the top-level graph's names
};

}  // namespace

Result<std::shared_ptr<Graph>> import_onnx_bytes(const void* data, size_t size, const std::string& base_dir,
                                                 const ImportOptions& opts) {
  if (size == 0) return InvalidModel("model file is empty");
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
    return Unsupported("models over 2 GiB must keep their weights in external data files");
  if (size > opts.max_file_bytes)
    return InvalidModel("model file (" + std::to_string(size) + " bytes) is larger than the configured limit of " +
                        std::to_string(opts.max_file_bytes) + " bytes");
  // libonnx and protobuf throw (bad_alloc, their own checks); nothing may cross the API.
  try {
    onnx::ModelProto model;
    if (!model.ParseFromArray(data, static_cast<int>(size)))
      return InvalidModel("not a valid ONNX protobuf (truncated or corrupt file)");
    Importer importer(base_dir, opts);
    return importer.run(model);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while importing the model");
  } catch (const std::exception& e) {
    return InvalidModel(std::string("import failed: ") + e.what());
  } catch (...) {
    return InvalidModel("import failed");
  }
}

Result<Tensor> import_tensor_proto_bytes(const void* data, size_t size) {
  try {
    onnx::TensorProto tp;
    if (size > static_cast<size_t>(std::numeric_limits<int>::max()) || !tp.ParseFromArray(data, static_cast<int>(size)))
      return InvalidArgument("not a valid ONNX TensorProto (truncated or corrupt)");
    if (tp.data_location() == onnx::TensorProto::EXTERNAL)
      return Unsupported("tensor '" + tp.name() + "' keeps its data in an external file; only inline data is read here");
    TensorLoader loader("", max_allocation_bytes());
    return loader.convert(tp);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while reading a TensorProto");
  }
}

Result<std::shared_ptr<Graph>> import_onnx_file(const std::string& path, const ImportOptions& opts) {
  TOP_ASSIGN_OR_RETURN(ModelFile file, ModelFile::open(path));
  // Sizes are checked before the buffer is allocated.
  if (file.size() > static_cast<uint64_t>(std::numeric_limits<int>::max()))
    return Unsupported("model file '" + path + "' is " + std::to_string(file.size()) +
                       " bytes; models over 2 GiB must keep their weights in external data files");
  if (file.size() > opts.max_file_bytes || file.size() > max_allocation_bytes())
    return OutOfMemory("model file '" + path + "' is " + std::to_string(file.size()) +
                       " bytes, over the limit of " + std::to_string(std::min<uint64_t>(opts.max_file_bytes, max_allocation_bytes())) +
                       " bytes");
  TOP_ASSIGN_OR_RETURN(std::string bytes, file.read_all());
  std::string dir;
  try {
    dir = fs::path(path).parent_path().string();
  } catch (...) {
    return OutOfMemory("out of memory while importing '" + path + "'");
  }
  auto g = import_onnx_bytes(bytes.data(), bytes.size(), dir, opts);
  if (!g.ok()) return g.status().with_context("'" + path + "'");
  return g;
}

}  // namespace top::ir

#include "top/model.h"

#include <filesystem>

#include "ir/graph.h"
#include "ir/onnx_import.h"

namespace top {

namespace {
TensorInfo info_of(const ir::Value& v) {
  TensorInfo t;
  t.name = v.name;
  t.dtype = v.dtype;
  t.shape = v.shape;
  t.dim_names = v.dim_names;
  t.sequence = v.is_sequence;
  t.optional = v.is_optional;
  return t;
}

// The importer turns libonnx's and protobuf's exceptions into Statuses; this is the
// last net for the rest (a std::string that cannot grow), so that nothing thrown
// crosses the public API.
template <class F>
Result<Model> without_exceptions(F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while loading the model");
  } catch (const std::exception& e) {
    return Internal(std::string("loading the model failed: ") + e.what());
  } catch (...) {
    return Internal("loading the model failed");
  }
}

}  // namespace

Result<Model> Model::load(const std::string& path) {
  return without_exceptions([&]() -> Result<Model> {
    TOP_ASSIGN_OR_RETURN(std::shared_ptr<ir::Graph> g, ir::import_onnx_file(path));
    std::string name = std::filesystem::path(path).stem().string();
    return Model(std::move(g), name);
  });
}

Result<Model> Model::load_from_memory(const void* data, size_t size, const std::string& base_dir) {
  return without_exceptions([&]() -> Result<Model> {
    TOP_ASSIGN_OR_RETURN(std::shared_ptr<ir::Graph> g, ir::import_onnx_bytes(data, size, base_dir));
    std::string name = g->name.empty() ? "model" : g->name;
    return Model(std::move(g), name);
  });
}

std::vector<TensorInfo> Model::inputs() const {
  std::vector<TensorInfo> r;
  for (ir::ValueId v : graph_->inputs) r.push_back(info_of(graph_->values[v]));
  return r;
}

std::vector<TensorInfo> Model::outputs() const {
  std::vector<TensorInfo> r;
  for (ir::ValueId v : graph_->outputs) r.push_back(info_of(graph_->values[v]));
  return r;
}

int Model::opset() const { return graph_->default_opset; }
size_t Model::num_nodes() const { return graph_->nodes.size(); }

}  // namespace top

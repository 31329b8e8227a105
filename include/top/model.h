// Model: an ONNX model loaded, checked and ready to plan.
//
// Loading parses the file with libonnx, runs onnx::checker and shape inference,
// converts weights (including external-data files next to the model) and creates every
// operator, so an unsupported operator or a malformed file is reported here, as a
// Status naming the problem, and never later during a run.
//
//   auto model = top::Model::load("models/out/resnet50.onnx");
//   if (!model.ok()) { fprintf(stderr, "%s\n", model.status().to_string().c_str()); }
//   for (const auto& in : model->inputs()) printf("%s %s\n", in.name.c_str(), top::shape_str(in.shape).c_str());
//
// Model files are treated as untrusted input (a hostile author must not be able to
// read other files, block or exhaust the process). Loading guarantees:
//   - nothing throws; every failure is a Status;
//   - the model path must be a regular file: a FIFO, device or directory is refused at
//     once without blocking, and so is a size-0 file (including /proc files);
//   - external data is read only from regular files inside the model's folder (for
//     load_from_memory, `base_dir`), reached without following any symbolic link and
//     without "..", absolute paths or FIFOs; offset and length are strict decimal
//     integers and must fit in the file; unknown external_data keys are refused;
//   - every tensor's declared size is checked against the bytes actually present and
//     against top::max_allocation_bytes() before anything is allocated, and all of a
//     model's tensors together are held to physical memory;
//   - opset and IR versions are range-checked as the int64 the file holds.
//
// Thread safety: a Model is immutable after load; copies share the graph and may be
// used from any thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top {
namespace ir {
class Graph;
}

struct TensorInfo {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;                         // -1 where the dimension is symbolic or unknown
  std::vector<std::string> dim_names;  // the symbolic names ("batch"), "" for fixed dims
  // ONNX seq(tensor) and optional(...) values (Session::run_values, top/value.h): for a
  // sequence, dtype and shape are its elements'.
  bool sequence = false;
  bool optional = false;
};

class Model {
 public:
  static Result<Model> load(const std::string& path);
  // A serialized ModelProto; external data is looked up under `base_dir`.
  static Result<Model> load_from_memory(const void* data, size_t size, const std::string& base_dir = ".");

  const std::string& name() const { return name_; }
  std::vector<TensorInfo> inputs() const;
  std::vector<TensorInfo> outputs() const;
  int opset() const;
  size_t num_nodes() const;

  // The imported graph (internal type; for tools in this repository).
  const std::shared_ptr<const ir::Graph>& graph() const { return graph_; }

 private:
  Model(std::shared_ptr<const ir::Graph> g, std::string name) : graph_(std::move(g)), name_(std::move(name)) {}
  std::shared_ptr<const ir::Graph> graph_;
  std::string name_;
};

}  // namespace top

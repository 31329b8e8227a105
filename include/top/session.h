// Session: synchronous inference of one model on one backend.
//
//   auto model = top::Model::load("squeezenet1_1.onnx").value();
//   top::SessionOptions opts;
//   opts.num_threads = 2;
//   auto session = top::Session::create(model, opts).value();
//   top::Tensor x = top::Tensor::zeros(top::DataType::kFloat32, {1, 3, 224, 224});
//   auto out = session->run({x});          // outputs in model order
//   if (!out.ok()) std::cerr << out.status().to_string() << "\n";
//
// A plan (shapes, folded constants, memory layout) is made once per distinct set of
// input shapes and cached; the batch size may change from run to run when the model
// declares a symbolic batch dimension.
//
// Thread safety: run() may be called from several threads at once; each call uses its
// own activation arena and the backend's shared thread pool.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "top/model.h"
#include "top/status.h"
#include "top/tensor.h"
#include "top/value.h"

namespace top {

struct SessionOptions {
  std::string backend = "cpu";  // "cpu" (more come with later backends)
  int num_threads = 0;          // intra-op threads; 0 = all hardware threads
};

struct OpTiming {
  std::string node;
  std::string op_type;
  double microseconds = 0;
};

struct RunProfile {
  double total_ms = 0;
  std::vector<OpTiming> ops;  // in execution order
};

struct PlanInfo {
  size_t activation_bytes = 0;        // peak activation memory of one run (arena size)
  size_t activation_bytes_naive = 0;  // the same without buffer reuse
  size_t constant_bytes = 0;          // weights and folded constants
  int steps = 0;                      // operators left to run after constant folding
  int folded_nodes = 0;
  double flops = 0;
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(const Model& model, const SessionOptions& opts = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Inputs in the model's input order; returns outputs in the model's output order.
  // InvalidArgument (naming the input) on a wrong count, dtype or shape; OutOfMemory
  // when memory runs out on the way. Never throws (nor does run_named or plan_info).
  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, RunProfile* profile = nullptr);
  // Inputs and outputs by name.
  Result<std::map<std::string, Tensor>> run_named(const std::map<std::string, Tensor>& inputs);
  // Any model, including those whose inputs or outputs are sequences or optionals
  // (TensorInfo::sequence/optional; run() refuses those, naming this). A sequence input
  // must hold tensors of its declared dtype; an optional input may be Value::none().
  // Models with such values, or with sequence operators inside, are interpreted node by
  // node on the CPU backend rather than planned (exec/interpreter.h): no plan_info, and
  // a RunProfile gets only total_ms.
  Result<std::vector<Value>> run_values(const std::vector<Value>& inputs, RunProfile* profile = nullptr);

  // Plan statistics for the given input shapes (plans and caches it if needed).
  Result<PlanInfo> plan_info(const std::vector<Shape>& input_shapes);

  const Model& model() const;
  int num_threads() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace top

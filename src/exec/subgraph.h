// Subgraph: a control-flow body (If's branches, Loop's and Scan's body) planned and run
// by the operator that owns it (exec/control_flow.cpp).
//
// A body is an ir::Graph like a model's: its inputs are the declared ones followed by the
// node's implicit (outer-scope) inputs, which the node passes through. It is planned with
// make_plan for the dtypes and shapes it is run with; small integer and bool inputs (a
// Loop's iteration number, a Slice bound computed outside) are given to the planner as
// values only when a shape rule inside needs them, and such plans are keyed by those
// values. Plans are cached per body (at most kMaxPlans, then the cache starts over), so
// the iterations of a Loop share one plan whenever their shapes allow.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top {
class ThreadPool;
}

namespace top::exec {

class Subgraph {
 public:
  static constexpr size_t kMaxPlans = 256;
  static constexpr int64_t kMaxValueElements = 4096;

  explicit Subgraph(std::shared_ptr<const ir::Graph> graph) : graph_(std::move(graph)) {}

  const ir::Graph& graph() const { return *graph_; }
  size_t num_inputs() const { return graph_->inputs.size(); }
  size_t num_outputs() const { return graph_->outputs.size(); }
  size_t num_implicit_inputs() const { return graph_->implicit_inputs.size(); }
  size_t num_declared_inputs() const { return num_inputs() - num_implicit_inputs(); }

  // Output types and shapes for inputs described by `inputs` (a constant there is a
  // value the body may plan with). On failure, `needing` (when given) lists the body
  // inputs whose values would have let it plan.
  Result<std::vector<ops::ValueInfo>> infer(const std::vector<ops::ValueInfo>& inputs,
                                            std::vector<size_t>* needing = nullptr) const;

  // Runs the body on `inputs` (body-input order); returns its outputs.
  Result<std::vector<Tensor>> run(const std::vector<const Tensor*>& inputs, ThreadPool* pool) const;

 private:
  Result<std::shared_ptr<const ExecutionPlan>> plan_for(const std::vector<ops::ValueInfo>& inputs, bool with_values,
                                                        std::vector<size_t>* needing) const;

  std::shared_ptr<const ir::Graph> graph_;
  mutable std::mutex mu_;
  // Key: dtypes and shapes (and the bytes of the inputs planned by value). A null plan
  // records that these shapes cannot be planned without the values of `needing`.
  struct Cached {
    std::shared_ptr<const ExecutionPlan> plan;
    std::vector<size_t> needing;
  };
  mutable std::map<std::string, Cached> plans_;
};

// Copies `src` into the preallocated `dst` (same dtype and shape), else InvalidArgument
// naming `what`.
Status copy_into(Tensor& dst, const Tensor& src, const std::string& what);

}  // namespace top::exec

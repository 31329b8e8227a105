// Operators on sequence and optional values: SequenceEmpty, SequenceConstruct,
// SequenceInsert, SequenceAt, SequenceErase, SequenceLength, SplitToSequence,
// ConcatFromSequence, SequenceMap, Optional, OptionalHasElement, OptionalGetElement.
//
// Their inputs and outputs are top::Values (a tensor, a sequence of tensors, or none)
// whose number and shapes are only known while running, so they are not planned: a
// graph holding one (or a sequence- or optional-typed value) is run by the interpreter
// (exec/interpreter.h), which calls evaluate(). Their infer() and compute() refuse by
// name, so a planner (Runtime, the CUDA backend) meeting one says why it cannot.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "ops/op.h"
#include "top/value.h"

namespace top::ops {

// A sequence longer than this is refused: a Loop inserting into one without bound must
// end in an error, not in memory exhaustion (each insert copies the element list).
constexpr size_t kMaxSequenceLength = size_t{1} << 16;

struct SequenceContext {
  std::string node_name;
  ThreadPool* pool = nullptr;
  // Runs a body graph (SequenceMap's) on values, as the interpreter runs any graph.
  std::function<Result<std::vector<Value>>(const ir::Graph&, const std::vector<Value>&)> run_body;
};

class SequenceOp : public Op {
 public:
  Status infer(InferContext& ctx) const final;
  Status compute(const KernelContext& ctx) const final;
  // `inputs` in node order, none for an omitted one; returns one value per output.
  virtual Result<std::vector<Value>> evaluate(const std::vector<Value>& inputs, size_t num_outputs,
                                              const SequenceContext& ctx) const = 0;

 protected:
  explicit SequenceOp(std::string op_type) : op_type_(std::move(op_type)) {}
  // "<op> node '<name>': ", for run-time errors.
  std::string prefix(const SequenceContext& ctx) const { return op_type_ + " node '" + ctx.node_name + "': "; }

 private:
  std::string op_type_;
};

}  // namespace top::ops

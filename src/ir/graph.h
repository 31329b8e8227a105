// ir::Graph: the operator DAG of one model, as imported from ONNX.
//
// Values are the edges (tensors), nodes the operators. A value has at most one
// producer; graph inputs and initializers (weights) have none. Shapes here are the
// declared ones: a dimension is -1 when unknown or symbolic (its name kept in
// `dim_names`), and concrete shapes are decided later by exec::plan for the input
// shapes of a run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {
class Op;
}

namespace top::ir {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;

struct Value {
  std::string name;
  DataType dtype = DataType::kUndefined;
  Shape shape;                         // declared; -1 = unknown / symbolic
  std::vector<std::string> dim_names;  // symbolic names per dim ("" when concrete)
  bool has_shape = false;              // false when no shape was declared at all
  // Declared ONNX type kinds beyond plain tensors: seq(tensor(dtype)) and optional(...)
  // of a tensor or a sequence. For a sequence, dtype and shape describe its elements.
  // Graphs with such values are run by exec/interpreter.h, not planned.
  bool is_sequence = false;
  bool is_optional = false;
  NodeId producer = -1;
  std::vector<NodeId> consumers;
  Tensor initializer;  // defined for weights and folded constants
  bool is_input = false;
  bool is_output = false;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" for the default ai.onnx domain
  int opset = 0;       // opset version of the node's domain in this model
  Attributes attrs;
  std::vector<ValueId> inputs;  // kNoValue for an omitted optional input
  std::vector<ValueId> outputs; // kNoValue for an omitted optional output
  std::shared_ptr<ops::Op> op;  // parsed operator, created at import
};

struct OpCost {
  double flops = 0;  // multiply-adds count as 2
  double bytes = 0;  // bytes read (inputs, weights) plus bytes written
};

class Graph {
 public:
  std::string name;
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;   // graph inputs that are not initializers, in order
  std::vector<ValueId> outputs;  // graph outputs, in order
  int64_t ir_version = 0;
  int default_opset = 0;
  // Subgraphs (control-flow bodies) only: the outer-scope values the node's bodies read,
  // by name. The node lists them as inputs after its own, and each body's `inputs` ends
  // with the same values in the same order, so the node passes them straight through.
  std::vector<std::string> implicit_inputs;
  std::string producer_name;

  ValueId find_value(const std::string& value_name) const;
  ValueId add_value(Value v);
  NodeId add_node(Node n);  // also wires producer/consumer links

  // Node ids with every producer before its consumers; an error names a node on a cycle.
  Result<std::vector<NodeId>> topological_order() const;
  // Nodes whose outputs node `n` reads / nodes that read node `n`'s outputs (unique, sorted).
  std::vector<NodeId> predecessors(NodeId n) const;
  std::vector<NodeId> successors(NodeId n) const;
  // Longest path (in nodes) from any source to each node; nodes of equal depth have no
  // path between them, so the largest level size is a lower bound on the DAG's width.
  std::vector<int> depth_levels(const std::vector<NodeId>& topo) const;
  // Maximum antichain size approximated by the widest level of the ASAP schedule.
  int max_level_width(const std::vector<NodeId>& topo) const;
  int64_t parameter_count() const;  // elements in initializers
};

}  // namespace top::ir

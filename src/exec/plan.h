// ExecutionPlan: one model graph specialised for concrete input shapes.
//
// make_plan() propagates dtypes and shapes through every node (each op's own shape
// rule), folds every node whose inputs are all known constants — weights, Constant
// nodes, and the Shape -> Gather -> Concat -> Reshape chains exporters emit — by running
// its CPU kernel once, and assigns every remaining intermediate tensor an offset in one
// activation arena (buffers whose lifetimes do not overlap share memory). Plans are
// immutable and shared by every task that runs with the same input shapes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {
class Op;
class InferContext;
}

namespace top::exec {

struct Slot {
  enum class Kind { kUnused, kInput, kConstant, kActivation, kOutput };
  Kind kind = Kind::kUnused;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  Tensor constant;    // kConstant: the value (weight or folded)
  size_t offset = 0;  // kActivation: byte offset in the arena
  size_t bytes = 0;
  // kActivation: 0 = the plain layout of `shape`; B = channel-blocked (exec/layout.h).
  int channel_block = 0;
};

struct Step {
  ir::NodeId node = -1;
  // The kernel when it differs from the node's own (a fused operator, exec/fusion.h).
  std::shared_ptr<const ops::Op> op;
  // The attributes `op` was built with (set with `op`); other backends build their own
  // kernel for the fused step from these.
  std::shared_ptr<const ir::Attributes> attrs;
  // `op` is the node's float32 kernel between float16 conversions: the node's shape
  // rule refused its float16 inputs (ops/float16_promotion.h). CPU only; other backends
  // build their own kernel from the node.
  bool float16_via_float32 = false;
  std::vector<ir::ValueId> inputs;   // kNoValue for absent optional inputs
  std::vector<ir::ValueId> outputs;  // kNoValue for outputs the model omitted
  ir::OpCost cost;
  // The layouts of inputs and outputs (Slot::channel_block), for the kernel's context;
  // empty when all are plain.
  std::vector<int> in_blocks, out_blocks;
};

struct PlanOptions {
  // Folding runs kernels at plan time; tensors larger than this are left to run time
  // (folding a huge computation would only move the work, and keep a copy resident).
  size_t max_folded_bytes = size_t(256) << 20;
  // Fuse Conv/Gemm with a following residual Add and activation (exec/fusion.h).
  bool fuse = true;
  // Value-specialised plans: per graph input (or empty), its value when the plan may
  // take it as known — shape rules then see it as a constant (a Reshape's shape, a
  // Resize's scales fed as graph inputs) and nodes computed from it fold. Such a plan
  // is valid only for runs whose inputs have exactly these values; whoever caches it
  // keys it by them (Session does).
  std::vector<const Tensor*> input_values;
  // Per graph input (or empty), the dtype to plan it with instead of the declared one:
  // control-flow bodies, whose inputs take their types from the node that runs them.
  std::vector<DataType> input_dtypes;
  // When planning fails because a shape rule needed a value it did not know, the graph
  // inputs (indices into graph.inputs, without a value yet) it is computed from are
  // written here; empty otherwise.
  std::vector<size_t>* inputs_needing_values = nullptr;
  // Run-time shape evaluation (Session, for operators whose output shape depends on
  // computed data): values already computed by running part of the graph. A node whose
  // outputs are all here is not planned; its outputs are constants of the plan.
  std::vector<std::pair<ir::ValueId, Tensor>> known_values;
  // When planning fails because a shape rule needed values it did not know, the values
  // (node inputs) it asked for are written here; empty otherwise.
  std::vector<ir::ValueId>* values_needing_values = nullptr;
  // Give steps the kernels their ops build for exactly this plan (Op::plan_kernel:
  // oneDNN convolutions); false runs every node's reference kernel.
  bool plan_kernels = true;
  // With plan kernels: keep activations channel-blocked between the kernels that take
  // that layout (exec/layout.h), so oneDNN convolutions do not reorder at every step.
  bool blocked_layouts = true;
  // Plan only the nodes the graph outputs depend on (stopping at known values): for the
  // partial graphs of run-time shape evaluation.
  bool prune_dead = false;
};

class ExecutionPlan {
 public:
  std::shared_ptr<const ir::Graph> graph;
  std::vector<Shape> input_shapes;  // per graph input, in graph order
  std::vector<Slot> slots;          // indexed by ValueId
  std::vector<Step> steps;          // topological order, folded nodes removed
  size_t arena_bytes = 0;           // peak activation memory of one run
  size_t naive_bytes = 0;           // what the activations would take without reuse
  int folded_nodes = 0;
  int fused_nodes = 0;  // operators folded into a producer's kernel
  int plan_kernels = 0;  // steps running a kernel built for this plan (Step::op, Op::kernel_name)
  int channel_block = 0;   // B of the blocked activations, 0 when none is blocked
  int blocked_values = 0;  // activations kept channel-blocked (exec/layout.h)
  // Inputs and outputs where a kernel that runs blocked meets a plain activation and
  // converts it (a oneDNN convolution's reorder): the layout boundaries.
  int layout_boundaries = 0;

  double total_flops() const;
};

// Errors name the node whose shape rule failed and the shapes it saw.
Result<std::shared_ptr<const ExecutionPlan>> make_plan(std::shared_ptr<const ir::Graph> graph,
                                                       const std::vector<Shape>& input_shapes,
                                                       const PlanOptions& opts = {});

// The shape-rule context of a planned step: its inputs' and outputs' dtypes and shapes,
// and the values of its constant inputs (which the plan owns).
ops::InferContext step_infer_context(const ExecutionPlan& plan, const Step& step);

// Checks a run's inputs against the graph (count, dtype, rank, fixed dims) and returns
// their shapes in graph-input order.
Result<std::vector<Shape>> check_inputs(const ir::Graph& graph, const std::vector<const Tensor*>& inputs);

}  // namespace top::exec

// Op: one ONNX operator's semantics — attribute parsing, shape rule, cost, CPU kernel.
//
// One object is created per graph node at import (Op::init parses and validates the
// attributes once); infer() and compute() are const and may run concurrently for
// different tasks. Adding an operator: write a class deriving from Op in the file of
// its family (src/ops/<family>.cpp), register it in that file's register_*_ops(), and
// add a test case to tests/ops/gen_op_cases.py. The family list lives in registry.cpp.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ir/graph.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top {
class ThreadPool;
}

namespace top::ops {

// Type, shape and (when known at plan time) value of one operator input or output.
struct ValueInfo {
  DataType dtype = DataType::kUndefined;
  Shape shape;
  const Tensor* constant = nullptr;  // set when the value is a weight or folded constant
  bool present() const { return dtype != DataType::kUndefined; }
};

class InferContext {
 public:
  InferContext(std::string node_name, std::vector<ValueInfo> inputs, size_t num_outputs)
      : node_name_(std::move(node_name)), inputs_(std::move(inputs)), outputs_(num_outputs) {}

  size_t num_inputs() const { return inputs_.size(); }
  // An optional input that the model omitted (or that lies past the end) is absent.
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i].present(); }
  const ValueInfo& input(size_t i) const { return inputs_[i]; }
  const Shape& input_shape(size_t i) const { return inputs_[i].shape; }
  DataType input_dtype(size_t i) const { return inputs_[i].dtype; }
  // The input's value when it is known at plan time, else null. Each present input asked
  // for and not known is remembered (missing_constants): when the op's shape rule then
  // fails, the planner can name the graph inputs whose values would have let it plan.
  const Tensor* constant_input(size_t i) const {
    if (!has_input(i)) return nullptr;
    if (inputs_[i].constant == nullptr) missing_constants_.push_back(i);
    return inputs_[i].constant;
  }
  const std::vector<size_t>& missing_constants() const { return missing_constants_; }

  size_t num_outputs() const { return outputs_.size(); }
  void set_output(size_t i, DataType dtype, Shape shape) {
    if (i < outputs_.size()) outputs_[i] = ValueInfo{dtype, std::move(shape), nullptr};
  }
  // For outputs whose value is known from input shapes alone (Shape, Size): giving the
  // value here lets the planner fold the node even though its input is not constant.
  void set_output_value(size_t i, Tensor value) {
    if (i >= outputs_.size()) return;
    if (output_values_.size() < outputs_.size()) output_values_.resize(outputs_.size());
    outputs_[i] = ValueInfo{value.dtype(), value.shape(), nullptr};
    output_values_[i] = std::move(value);
  }
  const ValueInfo& output(size_t i) const { return outputs_[i]; }
  // The value given by set_output_value, or null.
  const Tensor* output_value(size_t i) const {
    return i < output_values_.size() && output_values_[i].defined() ? &output_values_[i] : nullptr;
  }
  const std::string& node_name() const { return node_name_; }

 private:
  std::string node_name_;
  std::vector<ValueInfo> inputs_;
  std::vector<ValueInfo> outputs_;
  std::vector<Tensor> output_values_;
  mutable std::vector<size_t> missing_constants_;
};

class KernelContext {
 public:
  KernelContext(std::vector<const Tensor*> inputs, std::vector<Tensor*> outputs, ThreadPool* pool)
      : inputs_(std::move(inputs)), outputs_(std::move(outputs)), pool_(pool) {}

  size_t num_inputs() const { return inputs_.size(); }
  bool has_input(size_t i) const { return i < inputs_.size() && inputs_[i] != nullptr; }
  const Tensor& input(size_t i) const { return *inputs_[i]; }
  size_t num_outputs() const { return outputs_.size(); }
  bool has_output(size_t i) const { return i < outputs_.size() && outputs_[i] != nullptr; }
  // Outputs arrive allocated with the dtype and shape that infer() decided.
  Tensor& output(size_t i) const { return *outputs_[i]; }

  // Channel-blocked activations (exec/layout.h): 0 when the input/output is in the plain
  // layout its shape says, else B — stored as [N, C/B, spatial..., B] (C a multiple of B).
  // Only a kernel whose Op::blocked_layouts accepted it is ever given a blocked tensor.
  int input_block(size_t i) const { return in_blocks_ && i < in_blocks_->size() ? (*in_blocks_)[i] : 0; }
  int output_block(size_t i) const { return out_blocks_ && i < out_blocks_->size() ? (*out_blocks_)[i] : 0; }
  // Per input and output (missing entries: plain); the vectors must outlive the context
  // (the plan's Step::in_blocks/out_blocks).
  void set_blocks(const std::vector<int>* in, const std::vector<int>* out) {
    in_blocks_ = in;
    out_blocks_ = out;
  }

  int num_threads() const;
  // The pool the kernel runs on (null: the calling thread only), for kernels that run
  // another kernel (ops/float16_promotion.h).
  ThreadPool* pool() const { return pool_; }
  // fn(begin, end) over disjoint chunks of [0, n), at least `grain` each, on the pool.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) const;

 private:
  std::vector<const Tensor*> inputs_;
  std::vector<Tensor*> outputs_;
  ThreadPool* pool_;
  const std::vector<int>* in_blocks_ = nullptr;  // null: every tensor plain
  const std::vector<int>* out_blocks_ = nullptr;
};

// Which of a step's tensors its kernel can take or give channel-blocked (exec/layout.h).
struct BlockedLayouts {
  // The kernel computes the same thing in either layout as long as all its inputs and
  // outputs share one (element-wise ops on equal shapes, Concat along the channels).
  bool same = false;
  // Otherwise: bit i set = input (output) i may be blocked; the kernel reads
  // KernelContext::input_block / output_block and handles both layouts.
  uint32_t inputs = 0, outputs = 0;
};

// Bit i of a BlockedLayouts mask (operands past the 32nd are never flagged).
inline bool layout_flag(uint32_t mask, size_t i) { return i < 32 && ((mask >> i) & 1u) != 0; }

class Op {
 public:
  virtual ~Op() = default;
  // Parses and validates the node's attributes; `opset` is the default-domain opset
  // of the model (several ops moved attributes to inputs across opsets).
  virtual Status init(const ir::Attributes& attrs, int opset) {
    (void)attrs;
    (void)opset;
    return Status::Ok();
  }
  // Output dtypes and shapes from input dtypes, shapes and constant values.
  virtual Status infer(InferContext& ctx) const = 0;
  // Computes the outputs. Inputs never alias outputs.
  virtual Status compute(const KernelContext& ctx) const = 0;
  // Work estimate for the cost model and `toprt info`. The default counts one flop per
  // output element and the bytes of all inputs and outputs.
  virtual ir::OpCost cost(const InferContext& ctx) const;
  // A kernel for one plan step — its exact shapes, its constant inputs, its outputs in
  // `ctx` — built at plan time (a oneDNN primitive, ops/onednn/), or null to run this
  // op. `self` is this op, for the step kernel to fall back on and to take its shape
  // rule and cost from. CPU only: other backends build their kernels from the node.
  virtual std::shared_ptr<const Op> plan_kernel(const InferContext& ctx, const std::shared_ptr<const Op>& self) const {
    (void)ctx;
    (void)self;
    return nullptr;
  }
  // The layouts this op's kernel handles for a step of these shapes (CPU only; the
  // default: plain only).
  virtual BlockedLayouts blocked_layouts(const InferContext& ctx) const {
    (void)ctx;
    return {};
  }
  // The implementation's name for `toprt info`; empty for the reference kernels.
  virtual std::string kernel_name() const { return ""; }
};

using OpFactory = std::function<std::unique_ptr<Op>()>;

class OpRegistry {
 public:
  // The registry with every built-in operator (families listed in registry.cpp).
  static const OpRegistry& builtin();

  // `since_opset` lets an op type have several implementations across opsets; create()
  // picks the newest one whose since_opset <= the model's opset.
  void add(const std::string& op_type, int since_opset, OpFactory factory);
  // The same for an operator of another domain (`since_opset` is that domain's version).
  void add_in_domain(const std::string& domain, const std::string& op_type, int since_opset, OpFactory factory);
  // Unsupported (naming type, domain, opset and node) when nothing matches.
  Result<std::unique_ptr<Op>> create(const ir::Node& node) const;
  bool supports(const std::string& domain, const std::string& op_type, int opset) const;
  std::vector<std::string> op_types() const;

 private:
  struct Entry {
    std::string op_type;
    int since_opset;
    OpFactory factory;
    std::string domain;  // "" for the default domain
  };
  std::vector<Entry> entries_;
};

// Shared helpers for kernels.
// Normalises a possibly negative axis against `rank`; error names the node's op.
Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const char* what);

}  // namespace top::ops

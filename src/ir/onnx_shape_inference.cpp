#include "ir/onnx_shape_inference.h"

#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace top::ir {
namespace {

constexpr int kMaxRank = 64;                          // as ir/onnx_import.cpp
constexpr int64_t kMaxDim = int64_t(1) << 40;         // larger dims are corrupt, not models
constexpr int64_t kMaxAutoPadDim = int64_t(1) << 24;  // see auto_pad_dims_bounded

const onnx::TensorShapeProto* known_shape(onnx::InferenceContext& ctx, size_t i) {
  if (i >= ctx.getNumInputs()) return nullptr;
  const onnx::TypeProto* t = ctx.getInputType(i);
  if (t == nullptr || !t->has_tensor_type() || !t->tensor_type().has_shape()) return nullptr;
  return &t->tensor_type().shape();
}

int64_t int_attribute(onnx::InferenceContext& ctx, const char* name, int64_t fallback) {
  const onnx::AttributeProto* a = ctx.getAttribute(name);
  return a != nullptr && a->has_i() ? a->i() : fallback;
}

// Every op: each input is absent or a tensor (libonnx reads tensor_type() of sparse
// and sequence types as an empty shape, then indexes it), of rank at most 64, with
// known dims in [0, 2^40] and an element count that fits in int64 (Reshape divides
// products of dims: a negative dim and a wrapped product give INT64_MIN % -1).
bool inputs_plausible(onnx::InferenceContext& ctx) {
  for (size_t i = 0; i < ctx.getNumInputs(); ++i) {
    const onnx::TypeProto* t = ctx.getInputType(i);
    if (t == nullptr) continue;  // an omitted optional input, or one libonnx could not infer
    if (!t->has_tensor_type()) return false;
    if (!t->tensor_type().has_shape()) continue;
    const onnx::TensorShapeProto& shape = t->tensor_type().shape();
    if (shape.dim_size() > kMaxRank) return false;
    int64_t elements = 1;
    for (const auto& d : shape.dim()) {
      if (!d.has_dim_value()) continue;
      if (d.dim_value() < 0 || d.dim_value() > kMaxDim) return false;
      if (d.dim_value() != 0 && __builtin_mul_overflow(elements, d.dim_value(), &elements)) return false;
    }
  }
  return true;
}

// Conv (convPoolShapeInference) counts dilations, strides and pads from the data
// (input 0) and kernel dimensions from the weight (input 1), then indexes the first by
// the second; ConvTranspose also reads the weight's dim(1). Both are safe when the two
// ranks agree, which any valid Conv needs anyway. ConvInteger and QLinearConv run the
// same inference with the weight at input 1 and 3.
bool conv_ranks_agree(onnx::InferenceContext& ctx, size_t weight = 1) {
  const onnx::TensorShapeProto* x = known_shape(ctx, 0);
  const onnx::TensorShapeProto* w = known_shape(ctx, weight);
  return x == nullptr || w == nullptr || x->dim_size() == w->dim_size();
}

// With auto_pad, convPoolShapeInference takes each spatial dim modulo the stride by
// repeated subtraction: a dim of 2^60 would keep it busy for years.
bool auto_pad_dims_bounded(onnx::InferenceContext& ctx) {
  const onnx::TensorShapeProto* x = known_shape(ctx, 0);
  if (x == nullptr || ctx.getAttribute("auto_pad") == nullptr) return true;
  for (int i = 2; i < x->dim_size(); ++i)
    if (x->dim(i).has_dim_value() && x->dim(i).dim_value() > kMaxAutoPadDim) return false;
  return true;
}

// ConstantOfShape and Expand add one output dim per element of their 1-D shape input,
// counted from that input's static length: a length of 10^12 allocates until memory
// runs out.
bool shape_input_short(onnx::InferenceContext& ctx, size_t i) {
  const onnx::TensorShapeProto* s = known_shape(ctx, i);
  return s == nullptr || s->dim_size() != 1 || !s->dim(0).has_dim_value() || s->dim(0).dim_value() <= kMaxRank;
}

// LayerNormalization-17 with Mean or InvStdDev outputs writes output dims from axis
// (+ rank when negative) to the rank without checking it: axis -1 on a rank-0 input
// writes through dim(-1).
bool layer_norm_axis_in_range(onnx::InferenceContext& ctx) {
  const onnx::TensorShapeProto* x = known_shape(ctx, 0);
  if (ctx.getNumOutputs() <= 1 || x == nullptr) return true;
  const int64_t rank = x->dim_size();
  const int64_t axis = int_attribute(ctx, "axis", -1);
  return axis >= -rank && axis <= rank && rank >= 1;
}

// Whether libonnx's inference function for `op` (default domain) is safe to call on
// the node `ctx` describes.
bool safe_to_infer(const std::string& op, onnx::InferenceContext& ctx) {
  if (!inputs_plausible(ctx)) return false;
  if (op == "Conv") return conv_ranks_agree(ctx) && auto_pad_dims_bounded(ctx);
  if (op == "ConvTranspose") return conv_ranks_agree(ctx);
  if (op == "ConvInteger") return conv_ranks_agree(ctx) && auto_pad_dims_bounded(ctx);
  if (op == "QLinearConv") return conv_ranks_agree(ctx, 3) && auto_pad_dims_bounded(ctx);
  if (op == "MaxPool" || op == "AveragePool" || op == "LpPool") return auto_pad_dims_bounded(ctx);
  if (op == "ConstantOfShape") return shape_input_short(ctx, 0);
  if (op == "Expand") return shape_input_short(ctx, 1);
  if (op == "LayerNormalization") return layer_norm_axis_in_range(ctx);
  return true;
}

// libonnx's registry, except that each default-domain op gets a copy of its schema
// whose inference function runs libonnx's only when safe_to_infer accepts the node.
// One per call to InferShapes: the copies are made lazily and need no lock.
class GuardedRegistry final : public onnx::ISchemaRegistry {
 public:
  const onnx::OpSchema* GetSchema(const std::string& op, const int max_version,
                                  const std::string& domain) const override {
    const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, max_version, domain);
    const bool default_domain = domain.empty() || domain == "ai.onnx";
    if (schema == nullptr || !default_domain || !schema->has_type_and_shape_inference_function()) return schema;
    std::unique_ptr<onnx::OpSchema>& copy = guarded_[schema];
    if (!copy) {
      copy = std::make_unique<onnx::OpSchema>(*schema);
      onnx::InferenceFunction inner = schema->GetTypeAndShapeInferenceFunction();
      copy->TypeAndShapeInferenceFunction([inner, op](onnx::InferenceContext& ctx) {
        if (safe_to_infer(op, ctx)) inner(ctx);
      });
    }
    return copy.get();
  }

 private:
  mutable std::map<const onnx::OpSchema*, std::unique_ptr<onnx::OpSchema>> guarded_;
};

std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  return line.size() > 400 ? line.substr(0, 400) + "..." : line;
}

}  // namespace

Status infer_onnx_shapes(onnx::ModelProto& model) {
  try {
    onnx::ShapeInferenceOptions o;
    o.check_type = false;
    o.error_mode = 0;  // a node libonnx cannot infer stays unannotated; our checks report it
    GuardedRegistry registry;
    onnx::shape_inference::InferShapes(model, &registry, o);
  } catch (const std::exception& e) {
    return InvalidModel(std::string("ONNX shape inference: ") + first_line(e.what()));
  } catch (...) {
    return InvalidModel("ONNX shape inference failed");
  }
  return Status::Ok();
}

}  // namespace top::ir

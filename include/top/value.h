// Value: what one ONNX input or output holds — a tensor, a sequence of tensors, or
// nothing (an empty optional).
//
// Most models take and give tensors only, and Session::run speaks Tensor. Models with
// sequence or optional inputs or outputs (ONNX's seq(tensor(T)), optional(...)) are run
// with Session::run_values:
//
//   std::vector<top::Tensor> parts = ...;
//   auto out = session->run_values({top::Value::sequence(top::DataType::kFloat32, parts)});
//   for (const top::Tensor& t : out->at(0).elements()) ...
//
// An optional that holds something is simply that tensor or sequence: ONNX's types say
// which values are optional (TensorInfo::optional), and a Value carries only what is
// there. Copies share the tensors' storage, as Tensor copies do.
#pragma once

#include <utility>
#include <vector>

#include "top/tensor.h"

namespace top {

class Value {
 public:
  enum class Kind { kNone, kTensor, kSequence };

  Value() = default;                                                    // none
  Value(Tensor t) : kind_(Kind::kTensor), tensor_(std::move(t)) {}     // NOLINT: a tensor is a value
  static Value none() { return Value(); }
  // Every element must have dtype `elem_dtype` (a sequence's type holds even when empty).
  static Value sequence(DataType elem_dtype, std::vector<Tensor> elements) {
    Value v;
    v.kind_ = Kind::kSequence;
    v.elem_dtype_ = elem_dtype;
    v.elements_ = std::move(elements);
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_tensor() const { return kind_ == Kind::kTensor; }
  bool is_sequence() const { return kind_ == Kind::kSequence; }

  // Valid when is_tensor().
  const Tensor& tensor() const { return tensor_; }
  // Valid when is_sequence().
  const std::vector<Tensor>& elements() const { return elements_; }
  DataType elem_dtype() const { return elem_dtype_; }

 private:
  Kind kind_ = Kind::kNone;
  Tensor tensor_;
  std::vector<Tensor> elements_;
  DataType elem_dtype_ = DataType::kUndefined;
};

// "tensor", "sequence" or "none".
inline const char* value_kind_name(Value::Kind k) {
  return k == Value::Kind::kTensor ? "tensor" : k == Value::Kind::kSequence ? "sequence" : "none";
}

}  // namespace top

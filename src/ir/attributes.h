// Node attributes, independent of protobuf: the importer converts ONNX AttributeProto
// into these, so operators never include ONNX headers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "top/tensor.h"

namespace top::ir {

class Graph;

struct Attribute {
  // kType: a TypeProto (Optional's and SequenceEmpty-like 'type'); only its presence is
  // kept, since values carry their own types here (top/value.h).
  enum class Kind { kInt, kFloat, kString, kInts, kFloats, kStrings, kTensor, kGraph, kType };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0.0f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  Tensor t;
  // kGraph: a control-flow body (If's branches, Loop's and Scan's body). Its inputs are
  // the declared ones followed by the node's implicit inputs (Graph::implicit_inputs).
  std::shared_ptr<const Graph> g;

  // Attributes made in code (synthetic graphs, tests) rather than read from ONNX.
  static Attribute of_int(int64_t v) {
    Attribute a;
    a.kind = Kind::kInt;
    a.i = v;
    return a;
  }
  static Attribute of_ints(std::vector<int64_t> v) {
    Attribute a;
    a.kind = Kind::kInts;
    a.ints = std::move(v);
    return a;
  }
  static Attribute of_float(float v) {
    Attribute a;
    a.kind = Kind::kFloat;
    a.f = v;
    return a;
  }
  static Attribute of_floats(std::vector<float> v) {
    Attribute a;
    a.kind = Kind::kFloats;
    a.floats = std::move(v);
    return a;
  }
  static Attribute of_string(std::string v) {
    Attribute a;
    a.kind = Kind::kString;
    a.s = std::move(v);
    return a;
  }
  static Attribute of_tensor(Tensor v) {
    Attribute a;
    a.kind = Kind::kTensor;
    a.t = std::move(v);
    return a;
  }
};

// Lookups return the given default when the attribute is absent. Kinds were already
// validated against the operator schema by onnx::checker at import.
class Attributes {
 public:
  bool has(const std::string& name) const { return items_.count(name) != 0; }
  const Attribute* find(const std::string& name) const {
    auto it = items_.find(name);
    return it == items_.end() ? nullptr : &it->second;
  }
  int64_t get_int(const std::string& name, int64_t def) const {
    const Attribute* a = find(name);
    return a && a->kind == Attribute::Kind::kInt ? a->i : def;
  }
  float get_float(const std::string& name, float def) const {
    const Attribute* a = find(name);
    if (!a) return def;
    if (a->kind == Attribute::Kind::kFloat) return a->f;
    if (a->kind == Attribute::Kind::kInt) return static_cast<float>(a->i);
    return def;
  }
  std::string get_string(const std::string& name, const std::string& def) const {
    const Attribute* a = find(name);
    return a && a->kind == Attribute::Kind::kString ? a->s : def;
  }
  std::vector<int64_t> get_ints(const std::string& name, std::vector<int64_t> def = {}) const {
    const Attribute* a = find(name);
    return a && a->kind == Attribute::Kind::kInts ? a->ints : def;
  }
  std::vector<float> get_floats(const std::string& name, std::vector<float> def = {}) const {
    const Attribute* a = find(name);
    return a && a->kind == Attribute::Kind::kFloats ? a->floats : def;
  }
  const Tensor* get_tensor(const std::string& name) const {
    const Attribute* a = find(name);
    return a && a->kind == Attribute::Kind::kTensor ? &a->t : nullptr;
  }
  void set(const std::string& name, Attribute a) { items_[name] = std::move(a); }
  const std::map<std::string, Attribute>& items() const { return items_; }

 private:
  std::map<std::string, Attribute> items_;
};

}  // namespace top::ir

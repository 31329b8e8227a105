#include "test_models.h"

#include <cstdlib>
#include <cstring>
#include <iostream>

namespace top::testing {

void add_value_info(onnx::ValueInfoProto* vi, const std::string& name, int elem, const std::vector<int64_t>& dims) {
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(elem);
  auto* shape = tt->mutable_shape();
  for (int64_t d : dims) {
    auto* dim = shape->add_dim();
    if (d < 0) dim->set_dim_param("batch");
    else dim->set_dim_value(d);
  }
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out, const std::string& name) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(name.empty() ? op + "_" + std::to_string(g->node_size()) : name);
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

onnx::ModelProto empty_model(int opset) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("top-tests");
  auto* imp = m.add_opset_import();
  imp->set_domain("");
  imp->set_version(opset);
  m.mutable_graph()->set_name("test");
  return m;
}

onnx::ModelProto branchy_model(int64_t width) {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {-1, width});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, width});
  add_node(g, "Relu", {"x"}, {"a"});
  add_node(g, "Sigmoid", {"x"}, {"b"});
  add_node(g, "Tanh", {"x"}, {"c"});
  add_node(g, "Neg", {"x"}, {"d"});
  add_node(g, "Add", {"a", "b"}, {"s1"});
  add_node(g, "Add", {"c", "d"}, {"s2"});
  add_node(g, "Mul", {"s1", "s2"}, {"y"});
  return m;
}

onnx::ModelProto gather_model() {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "idx", onnx::TensorProto::INT64, {-1});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, 4});
  auto* t = g->add_initializer();
  t->set_name("table");
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_dims(10);
  t->add_dims(4);
  for (int i = 0; i < 40; ++i) t->add_float_data(0.5f * static_cast<float>(i) - 3.0f);
  add_node(g, "Gather", {"table", "idx"}, {"y"});
  return m;
}

void add_weight(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, std::mt19937& rng) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  std::normal_distribution<float> nd(0.f, 0.5f);
  for (int64_t i = 0; i < n; ++i) t->add_float_data(nd(rng));
}

onnx::ModelProto inception_block_model(unsigned seed) {
  onnx::ModelProto m = empty_model();
  auto* g = m.mutable_graph();
  add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {-1, 8, 10, 10});
  add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {-1, 21, 10, 10});
  std::mt19937 st(seed);
  const int64_t ch[3] = {4, 6, 3};
  std::vector<std::string> branches;
  for (int b = 0; b < 3; ++b) {
    const std::string w = "w" + std::to_string(b), bias = "b" + std::to_string(b);
    add_weight(g, w, {ch[b], 8, 1, 1}, st);
    std::vector<std::string> in{"x", w};
    if (b != 1) {
      add_weight(g, bias, {ch[b]}, st);
      in.push_back(bias);
    }
    const std::string c = "c" + std::to_string(b), r = "r" + std::to_string(b);
    add_node(g, "Conv", in, {c}, "conv1x1_" + std::to_string(b));
    add_node(g, "Relu", {c}, {r});
    branches.push_back(r);
  }
  add_weight(g, "w3", {5, 8, 3, 3}, st);
  auto* conv3 = add_node(g, "Conv", {"x", "w3"}, {"c3"}, "conv3x3");
  auto* pads = conv3->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  branches.push_back("c3");
  auto* pool = add_node(g, "MaxPool", {"x"}, {"p"}, "pool");
  auto* ks = pool->add_attribute();
  ks->set_name("kernel_shape");
  ks->set_type(onnx::AttributeProto::INTS);
  ks->add_ints(3);
  ks->add_ints(3);
  auto* pp = pool->add_attribute();
  pp->set_name("pads");
  pp->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pp->add_ints(1);
  // 4 + 6 + 3 + 5 = 18 convolution channels and the pool's first 3: 21.
  add_node(g, "Slice", {"p", "starts", "ends", "axes"}, {"ps"}, "pool_slice");
  auto add_ints = [&](const std::string& name, std::vector<int64_t> v) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  };
  add_ints("starts", {0});
  add_ints("ends", {3});
  add_ints("axes", {1});
  branches.push_back("ps");
  auto* cat = add_node(g, "Concat", branches, {"y"}, "concat");
  auto* axis = cat->add_attribute();
  axis->set_name("axis");
  axis->set_type(onnx::AttributeProto::INT);
  axis->set_i(1);
  return m;
}

Model load_proto(const onnx::ModelProto& m) {
  std::string bytes = m.SerializeAsString();
  auto r = Model::load_from_memory(bytes.data(), bytes.size());
  if (!r.ok()) {
    std::cerr << "test model failed to load: " << r.status().to_string() << "\n";
    std::abort();
  }
  return *r;
}

}  // namespace top::testing

namespace top::testing {

std::string move_weights_to_external(onnx::ModelProto& m, const std::string& file_name) {
  std::string data;
  for (auto& t : *m.mutable_graph()->mutable_initializer()) {
    std::string bytes;
    if (t.has_raw_data()) {
      bytes = t.raw_data();
    } else if (t.data_type() == onnx::TensorProto::FLOAT && t.float_data_size() > 0) {
      bytes.resize(static_cast<size_t>(t.float_data_size()) * sizeof(float));
      std::memcpy(&bytes[0], t.float_data().data(), bytes.size());
    } else {
      continue;
    }
    data.resize((data.size() + 63) / 64 * 64, '\0');  // aligned, as onnx's own helper does
    const size_t offset = data.size();
    data += bytes;
    t.clear_raw_data();
    t.clear_float_data();
    t.set_data_location(onnx::TensorProto::EXTERNAL);
    auto add = [&](const char* key, const std::string& value) {
      auto* e = t.add_external_data();
      e->set_key(key);
      e->set_value(value);
    };
    add("location", file_name);
    add("offset", std::to_string(offset));
    add("length", std::to_string(bytes.size()));
  }
  return data;
}

}  // namespace top::testing

#include "test_models.h"

#include <cstdlib>
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

#include "rl/graphs/graph_builder.h"

#include <cmath>

#include "ops/op.h"

namespace top::rl {

namespace {

// Output size of a window of `k` with total padding `pads` and `stride` (floor mode).
int64_t window_out(int64_t in, int k, int64_t pads, int stride) { return (in + pads - k) / stride + 1; }

}  // namespace

GraphBuilder::GraphBuilder(std::string graph_name, uint64_t weight_seed) : rng_(weight_seed) {
  graph_->name = std::move(graph_name);
  graph_->ir_version = 8;
  graph_->default_opset = 13;
  graph_->producer_name = "top-rl-synthetic";
}

Act GraphBuilder::input(int64_t channels, int64_t size) {
  ir::Value v;
  v.name = "input";
  v.dtype = DataType::kFloat32;
  v.shape = {-1, channels, size, size};
  v.dim_names = {"batch", "", "", ""};
  v.has_shape = true;
  v.is_input = true;
  const ir::ValueId id = graph_->add_value(std::move(v));
  graph_->inputs.push_back(id);
  return {id, channels, size};
}

ir::ValueId GraphBuilder::activation(const std::string& name) {
  ir::Value v;
  v.name = name;
  v.dtype = DataType::kFloat32;  // shapes are left to make_plan's shape rules
  return graph_->add_value(std::move(v));
}

ir::ValueId GraphBuilder::constant(const std::string& name, Tensor t) {
  ir::Value v;
  v.name = name;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.dim_names.assign(v.shape.size(), "");
  v.has_shape = true;
  v.initializer = std::move(t);
  return graph_->add_value(std::move(v));
}

// Uniform in +-sqrt(3 / fan_in) (variance 1 / fan_in): with Relu halving the signal and
// Adds summing about two inputs, activations stay near unit scale through deep graphs.
ir::ValueId GraphBuilder::weight(const std::string& name, const Shape& shape, int64_t fan_in) {
  auto it = weights_by_shape_.find(shape);
  if (it == weights_by_shape_.end()) {
    const float a = std::sqrt(3.0f / static_cast<float>(std::max<int64_t>(fan_in, 1)));
    std::vector<float> w(static_cast<size_t>(shape_numel(shape)));
    for (float& x : w) x = rng_.symmetric(a);
    it = weights_by_shape_.emplace(shape, Tensor::from_vector<float>(shape, w)).first;
  }
  return constant(name, it->second);
}

void GraphBuilder::node(const std::string& name, const std::string& op_type, std::vector<ir::ValueId> inputs,
                        ir::ValueId output, ir::Attributes attrs) {
  ir::Node n;
  n.name = name;
  n.op_type = op_type;
  n.opset = graph_->default_opset;
  n.attrs = std::move(attrs);
  n.inputs = std::move(inputs);
  n.outputs = {output};
  auto op = ops::OpRegistry::builtin().create(n);
  if (op.ok()) n.op = std::shared_ptr<ops::Op>(std::move(op).value());
  else if (status_.ok()) status_ = op.status();
  graph_->add_node(std::move(n));
}

Act GraphBuilder::conv(const std::string& name, Act x, int64_t out_channels, int k, int stride, int64_t group,
                       int pad, int extra_end) {
  const int64_t in_per_group = x.channels / group;
  const ir::ValueId w = weight(name + ".weight", {out_channels, in_per_group, k, k}, in_per_group * k * k);
  const ir::ValueId b = weight(name + ".bias", {out_channels}, 100);  // small, non-zero
  const ir::ValueId y = activation(name);
  ir::Attributes attrs;
  attrs.set("kernel_shape", ir::Attribute::of_ints({k, k}));
  attrs.set("strides", ir::Attribute::of_ints({stride, stride}));
  attrs.set("pads", ir::Attribute::of_ints({pad, pad, pad + extra_end, pad + extra_end}));
  attrs.set("group", ir::Attribute::of_int(group));
  node(name, "Conv", {x.value, w, b}, y, std::move(attrs));
  return {y, out_channels, window_out(x.size, k, 2 * pad + extra_end, stride)};
}

Act GraphBuilder::relu(const std::string& name, Act x) {
  const ir::ValueId y = activation(name);
  node(name, "Relu", {x.value}, y);
  return {y, x.channels, x.size};
}

Act GraphBuilder::add(const std::string& name, Act a, Act b) {
  const ir::ValueId y = activation(name);
  node(name, "Add", {a.value, b.value}, y);
  return {y, a.channels, a.size};
}

Act GraphBuilder::scale(const std::string& name, Act x, float factor) {
  const ir::ValueId s = constant(name + ".factor", Tensor::scalar<float>(factor));
  const ir::ValueId y = activation(name);
  node(name, "Mul", {x.value, s}, y);
  return {y, x.channels, x.size};
}

Act GraphBuilder::concat(const std::string& name, const std::vector<Act>& xs) {
  std::vector<ir::ValueId> ins;
  int64_t channels = 0;
  for (const Act& x : xs) {
    ins.push_back(x.value);
    channels += x.channels;
  }
  const ir::ValueId y = activation(name);
  ir::Attributes attrs;
  attrs.set("axis", ir::Attribute::of_int(1));
  node(name, "Concat", std::move(ins), y, std::move(attrs));
  return {y, channels, xs.front().size};
}

Act GraphBuilder::pool3x3(const std::string& name, Act x, bool max, int stride) {
  const ir::ValueId y = activation(name);
  ir::Attributes attrs;
  attrs.set("kernel_shape", ir::Attribute::of_ints({3, 3}));
  attrs.set("strides", ir::Attribute::of_ints({stride, stride}));
  attrs.set("pads", ir::Attribute::of_ints({1, 1, 1, 1}));
  if (!max) attrs.set("count_include_pad", ir::Attribute::of_int(0));
  node(name, max ? "MaxPool" : "AveragePool", {x.value}, y, std::move(attrs));
  return {y, x.channels, window_out(x.size, 3, 2, stride)};
}

Act GraphBuilder::shift(const std::string& name, Act x) {
  const ir::ValueId starts = constant(name + ".starts", Tensor::from_vector<int64_t>({2}, {1, 1}));
  const ir::ValueId ends = constant(name + ".ends", Tensor::from_vector<int64_t>({2}, {x.size, x.size}));
  const ir::ValueId axes = constant(name + ".axes", Tensor::from_vector<int64_t>({2}, {2, 3}));
  const ir::ValueId y = activation(name);
  node(name, "Slice", {x.value, starts, ends, axes}, y);
  return {y, x.channels, x.size - 1};
}

void GraphBuilder::classifier(const std::string& name, Act x, int64_t classes) {
  Act r = relu(name + "/relu", x);
  const ir::ValueId pooled = activation(name + "/pool");
  node(name + "/pool", "GlobalAveragePool", {r.value}, pooled);
  const ir::ValueId flat = activation(name + "/flatten");
  ir::Attributes flatten_attrs;
  flatten_attrs.set("axis", ir::Attribute::of_int(1));
  node(name + "/flatten", "Flatten", {pooled}, flat, std::move(flatten_attrs));
  const ir::ValueId w = weight(name + "/fc.weight", {classes, x.channels}, x.channels);
  const ir::ValueId b = weight(name + "/fc.bias", {classes}, 100);
  ir::Value out;
  out.name = "output";
  out.dtype = DataType::kFloat32;
  out.shape = {-1, classes};
  out.dim_names = {"batch", ""};
  out.has_shape = true;
  out.is_output = true;
  const ir::ValueId y = graph_->add_value(std::move(out));
  ir::Attributes gemm_attrs;
  gemm_attrs.set("transB", ir::Attribute::of_int(1));
  node(name + "/fc", "Gemm", {flat, w, b}, y, std::move(gemm_attrs));
  graph_->outputs.push_back(y);
}

Result<std::shared_ptr<ir::Graph>> GraphBuilder::finish() {
  if (!status_.ok()) return status_;
  if (graph_->outputs.empty()) return Internal("synthetic graph '" + graph_->name + "' has no output");
  return graph_;
}

}  // namespace top::rl

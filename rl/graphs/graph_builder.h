// Builds a CNN ir::Graph node by node without ONNX: each call adds one operator with
// its attributes, weights and kernel (ops::OpRegistry::builtin().create, as the ONNX
// importer does) and returns the activation it produced with its channels and spatial
// size, which the builder tracks so callers can size the next operator. Shared by the
// synthetic graph families (randwire_graph.cpp, nasnet_graph.cpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "rl/graphs/seeded_rng.h"
#include "top/status.h"

namespace top::rl {

// An NCHW float activation with H == W.
struct Act {
  ir::ValueId value = ir::kNoValue;
  int64_t channels = 0;
  int64_t size = 0;
};

class GraphBuilder {
 public:
  GraphBuilder(std::string graph_name, uint64_t weight_seed);

  // The graph input "input" [batch (symbolic), channels, size, size].
  Act input(int64_t channels, int64_t size);
  // Conv k x k with bias; pads `pad` on every side plus `extra_end` at the end of H and W.
  Act conv(const std::string& name, Act x, int64_t out_channels, int k, int stride, int64_t group, int pad,
           int extra_end = 0);
  Act relu(const std::string& name, Act x);
  Act add(const std::string& name, Act a, Act b);
  Act scale(const std::string& name, Act x, float factor);
  Act concat(const std::string& name, const std::vector<Act>& xs);  // on channels
  Act pool3x3(const std::string& name, Act x, bool max, int stride);
  Act shift(const std::string& name, Act x);  // x[:, :, 1:, 1:] (Slice)
  // Relu, GlobalAveragePool, Flatten, Gemm to `classes`; the result is the graph output.
  void classifier(const std::string& name, Act x, int64_t classes);

  // The graph, or the first error an operator's kernel reported at creation.
  Result<std::shared_ptr<ir::Graph>> finish();

 private:
  ir::ValueId activation(const std::string& name);
  ir::ValueId weight(const std::string& name, const Shape& shape, int64_t fan_in);
  ir::ValueId constant(const std::string& name, Tensor t);
  void node(const std::string& name, const std::string& op_type, std::vector<ir::ValueId> inputs,
            ir::ValueId output, ir::Attributes attrs = {});

  std::shared_ptr<ir::Graph> graph_ = std::make_shared<ir::Graph>();
  SeededRng rng_;
  std::map<Shape, Tensor> weights_by_shape_;
  Status status_;
};

}  // namespace top::rl

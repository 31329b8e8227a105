// Execution plans built by hand for scheduler tests (no ONNX): values are plain ids,
// step names are "n<index>".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "ir/graph.h"

namespace top::testing {

struct PlanBuilder {
  std::shared_ptr<ir::Graph> graph = std::make_shared<ir::Graph>();
  std::shared_ptr<exec::ExecutionPlan> plan = std::make_shared<exec::ExecutionPlan>();
  ir::ValueId next_value = 0;

  ir::ValueId new_value() { return next_value++; }
  int add_step(std::vector<ir::ValueId> inputs, std::vector<ir::ValueId> outputs, double flops = 1.0) {
    ir::Node node;
    node.name = "n" + std::to_string(plan->steps.size());
    node.op_type = "Test";
    graph->nodes.push_back(node);
    exec::Step st;
    st.node = static_cast<ir::NodeId>(graph->nodes.size() - 1);
    st.inputs = std::move(inputs);
    st.outputs = std::move(outputs);
    st.cost.flops = flops;
    plan->steps.push_back(st);
    return static_cast<int>(plan->steps.size() - 1);
  }
  std::shared_ptr<const exec::ExecutionPlan> finish() {
    plan->graph = graph;
    plan->slots.resize(static_cast<size_t>(next_value));
    return plan;
  }
};

// `chains` independent chains of `length` steps, each reading the graph input.
inline std::shared_ptr<const exec::ExecutionPlan> chains_plan(int chains, int length) {
  PlanBuilder b;
  ir::ValueId x = b.new_value();
  for (int c = 0; c < chains; ++c) {
    ir::ValueId prev = x;
    for (int i = 0; i < length; ++i) {
      ir::ValueId out = b.new_value();
      b.add_step({prev}, {out});
      prev = out;
    }
  }
  return b.finish();
}

}  // namespace top::testing

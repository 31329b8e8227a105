// What the launcher reports of a model's graph to its policies (ModelObservation's
// graph_operators, graph_depth, graph_width): the operator DAG's size, its longest chain
// and the widest level of its as-soon-as-possible schedule. Computed once per model.
#pragma once

#include <cstddef>

#include "ir/graph.h"

namespace top::runtime {

struct GraphShapeStats {
  size_t operators = 0, depth = 0, width = 0;
};
GraphShapeStats graph_shape_stats(const ir::Graph& g);

}  // namespace top::runtime

#include "runtime/graph_shape.h"

#include <algorithm>

namespace top::runtime {

GraphShapeStats graph_shape_stats(const ir::Graph& g) {
  GraphShapeStats s;
  s.operators = g.nodes.size();
  Result<std::vector<ir::NodeId>> topo = g.topological_order();
  if (!topo.ok() || topo->empty()) return s;
  for (int level : g.depth_levels(*topo)) s.depth = std::max(s.depth, static_cast<size_t>(level) + 1);
  s.width = static_cast<size_t>(std::max(0, g.max_level_width(*topo)));
  return s;
}

}  // namespace top::runtime

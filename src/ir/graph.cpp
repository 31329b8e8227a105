#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <set>

namespace top::ir {

ValueId Graph::find_value(const std::string& value_name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == value_name) return static_cast<ValueId>(i);
  return kNoValue;
}

ValueId Graph::add_value(Value v) {
  values.push_back(std::move(v));
  return static_cast<ValueId>(values.size() - 1);
}

NodeId Graph::add_node(Node n) {
  NodeId id = static_cast<NodeId>(nodes.size());
  for (ValueId v : n.inputs)
    if (v != kNoValue) values[v].consumers.push_back(id);
  for (ValueId v : n.outputs)
    if (v != kNoValue) values[v].producer = id;
  nodes.push_back(std::move(n));
  return id;
}

std::vector<NodeId> Graph::predecessors(NodeId n) const {
  std::set<NodeId> s;
  for (ValueId v : nodes[n].inputs)
    if (v != kNoValue && values[v].producer >= 0) s.insert(values[v].producer);
  return {s.begin(), s.end()};
}

std::vector<NodeId> Graph::successors(NodeId n) const {
  std::set<NodeId> s;
  for (ValueId v : nodes[n].outputs)
    if (v != kNoValue)
      for (NodeId c : values[v].consumers) s.insert(c);
  return {s.begin(), s.end()};
}

Result<std::vector<NodeId>> Graph::topological_order() const {
  const size_t n = nodes.size();
  std::vector<int> indegree(n, 0);
  std::vector<std::vector<NodeId>> succ(n);
  for (size_t i = 0; i < n; ++i) {
    for (NodeId p : predecessors(static_cast<NodeId>(i))) {
      indegree[i]++;
      succ[p].push_back(static_cast<NodeId>(i));
    }
  }
  // Kahn's algorithm with a min-heap keeps the original file order among ready nodes,
  // so the order is deterministic and close to what the exporter wrote.
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<>> ready;
  for (size_t i = 0; i < n; ++i)
    if (indegree[i] == 0) ready.push(static_cast<NodeId>(i));
  std::vector<NodeId> order;
  order.reserve(n);
  while (!ready.empty()) {
    NodeId id = ready.top();
    ready.pop();
    order.push_back(id);
    for (NodeId s : succ[id])
      if (--indegree[s] == 0) ready.push(s);
  }
  if (order.size() != n) {
    for (size_t i = 0; i < n; ++i)
      if (indegree[i] > 0)
        return InvalidModel("graph has a cycle through node '" + nodes[i].name + "' (" + nodes[i].op_type + ")");
  }
  return order;
}

std::vector<int> Graph::depth_levels(const std::vector<NodeId>& topo) const {
  std::vector<int> level(nodes.size(), 0);
  for (NodeId id : topo)
    for (NodeId p : predecessors(id)) level[id] = std::max(level[id], level[p] + 1);
  return level;
}

int Graph::max_level_width(const std::vector<NodeId>& topo) const {
  std::vector<int> level = depth_levels(topo);
  std::vector<int> count;
  for (NodeId id : topo) {
    if (static_cast<size_t>(level[id]) >= count.size()) count.resize(level[id] + 1, 0);
    count[level[id]]++;
  }
  return count.empty() ? 0 : *std::max_element(count.begin(), count.end());
}

int64_t Graph::parameter_count() const {
  int64_t n = 0;
  for (const Value& v : values)
    if (v.initializer.defined() && v.producer < 0 && !v.is_input) n += v.initializer.numel();
  return n;
}

}  // namespace top::ir

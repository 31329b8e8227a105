// The graph families behind synthetic_graph(): each builds one validated spec.
#pragma once

#include <memory>

#include "ir/graph.h"
#include "rl/graphs/synthetic_graphs.h"
#include "top/status.h"

namespace top::rl {

constexpr int64_t kSyntheticClasses = 100;

Result<std::shared_ptr<ir::Graph>> build_randwire(const SyntheticGraphSpec& spec);
Result<std::shared_ptr<ir::Graph>> build_nasnet(const SyntheticGraphSpec& spec);

}  // namespace top::rl

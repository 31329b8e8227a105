// Activation memory planning: every intermediate tensor of a plan gets a byte offset in
// one arena; tensors whose lifetimes (first write .. last read, in step order) overlap
// never share bytes. Greedy by size, first fit — the usual heuristic of inference
// runtimes, within a few percent of the lower bound (the largest set of live tensors)
// on CNNs.
#pragma once

#include <cstddef>

namespace top::exec {

class ExecutionPlan;

struct MemoryPlan {
  size_t arena_bytes = 0;
  size_t naive_bytes = 0;  // sum of all activation sizes (no reuse)
};

// Fills Slot::offset for every kActivation slot of `plan`.
MemoryPlan plan_activation_memory(ExecutionPlan& plan);

constexpr size_t kTensorAlignment = 64;

}  // namespace top::exec

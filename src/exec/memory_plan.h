// Activation memory planning: every intermediate tensor of a plan gets a byte offset in
// one arena; tensors whose lifetimes (first write .. last read, in step order) overlap
// never share bytes. Greedy by size, first fit — the usual heuristic of inference
// runtimes, within a few percent of the lower bound (the largest set of live tensors)
// on CNNs. Conflicting blocks are found through segment trees over the steps, so
// planning takes O(n log n + overlapping pairs), not O(n^2): seconds for 100k nodes.
#pragma once

#include <cstddef>
#include <vector>

namespace top::exec {

class ExecutionPlan;

struct MemoryPlan {
  size_t arena_bytes = 0;
  size_t naive_bytes = 0;  // sum of all activation sizes (no reuse)
};

// Fills Slot::offset for every kActivation slot of `plan`.
MemoryPlan plan_activation_memory(ExecutionPlan& plan);

// Offsets for running a plan's steps in any order that respects a happens-before
// relation, not only in step order: when groups of one task run concurrently on
// several streams, two tensors may share bytes only if every reader (and the writer)
// of one happens before the writer of the other. Plan-order offsets would let
// concurrent groups overwrite each other's live tensors.
struct ArenaLayout {
  std::vector<size_t> offset;  // per slot (only kActivation slots are meaningful)
  size_t arena_bytes = 0;
};

// `happens_before[s]` lists steps that may start only after step s finished (any
// acyclic relation; data dependencies are added here, so pass only the extra
// ordering, e.g. consecutive operators of one group). Same greedy as above, with the
// conflict test "neither is dead before the other is written" answered exactly from a
// path cover of the order ("chains"); near-linear for graphs covered by few chains
// (streams). `max_tracked_chains` (< 0: as many as a 64 MiB table allows) caps the
// chains whose reachability is tracked: steps on the other chains conflict with every
// activation written before them in topological order (safe, less reuse). A cyclic
// relation shares nothing.
ArenaLayout plan_memory_for_order(const ExecutionPlan& plan, const std::vector<std::vector<int>>& happens_before,
                                  int max_tracked_chains = -1);

constexpr size_t kTensorAlignment = 64;

}  // namespace top::exec

// The interpreter: runs graphs that hold sequence or optional values, node by node.
//
// Plans (exec/plan.h) decide every tensor's shape and place before a run, which is what
// makes the static executor, the multi-stream schedules and the CUDA backend fast; a
// sequence's length and its elements' shapes are only known while running, so graphs
// with such values are not planned. The interpreter walks them in topological order
// instead: each tensor node has its shape rule evaluated on the actual inputs (all of
// them known, so data-dependent shapes need nothing more), its outputs allocated and its
// CPU kernel run — float16 through float32 where the node needs it, as in plans;
// sequence and optional operators are evaluated on values (ops/sequence.h); If and Loop
// run their bodies through the interpreter, so branches and loop-carried values may be
// sequences or optionals and carried shapes may change across iterations.
//
// It is used by Session (CPU backend) for such models only; tensor-only models keep
// their plans. Per-node allocation and shape evaluation make it slower than a plan for
// large graphs, which is why it is not used for everything.
#pragma once

#include <vector>

#include "ir/graph.h"
#include "top/status.h"
#include "top/value.h"

namespace top {
class ThreadPool;
}

namespace top::exec {

// True when `g` or one of its bodies holds a sequence- or optional-typed value or a
// sequence/optional operator.
bool needs_interpreter(const ir::Graph& g);

// Runs `g` on `inputs` (graph-input order, body inputs included for a body) and returns
// its outputs. Input kinds and dtypes are the caller's to check (Session does).
Result<std::vector<Value>> interpret(const ir::Graph& g, const std::vector<Value>& inputs, ThreadPool* pool);

}  // namespace top::exec

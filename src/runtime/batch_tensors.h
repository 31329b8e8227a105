// Batching k tasks into one instance (GraphMode::kBatch): their inputs concatenated
// along dimension 0, and the batch's outputs cut back into each task's rows.
#pragma once

#include <cstdint>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top::runtime {

// The parts, in order, as one tensor; the merged size is checked like any other allocation.
Result<Tensor> concat_batch(const std::vector<const Tensor*>& parts);
// Rows [begin, begin + count) of `t` along dimension 0, copied.
Result<Tensor> slice_batch(const Tensor& t, int64_t begin, int64_t count);

}  // namespace top::runtime

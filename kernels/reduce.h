// Reductions (ReduceSum/Mean/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp) and
// ArgMax/ArgMin, with the CPU kernels' semantics (src/ops/reduce.cpp): integer Mean
// divides with truncation, Max/Min ignore NaN, an empty reduction gives the identity.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/index_math.h"
#include "top/tensor.h"

namespace top::kernels {

enum class ReduceKind : int { kSum, kMean, kMax, kMin, kProd, kL1, kL2, kSumSquare, kLogSum, kLogSumExp };

// Output o (dense, kept dims in input order) reduces the input elements
// kept_offset(o) + reduced_offset(c) for c in [0, count): `kept` walks the kept dims
// of the input, `reduced` the reduced ones (both with input strides).
struct ReduceIndex {
  StridedIndex<1> kept;
  StridedIndex<1> reduced;
  int64_t out_count = 0;     // elements of the output
  int64_t reduce_count = 0;  // elements folded into each output (0 for an empty axis)
};

// float32/float64/int32/int64 (L2, LogSum, LogSumExp: floats only).
cudaError_t reduce(ReduceKind kind, DataType dt, const void* x, void* y, const ReduceIndex& index, cudaStream_t stream);

// ArgMax / ArgMin over the middle dim of x viewed as [outer, d, inner]; int64 output.
cudaError_t arg_reduce(bool max, bool select_last, DataType dt, const void* x, int64_t* y, int64_t outer, int64_t d,
                       int64_t inner, cudaStream_t stream);

}  // namespace top::kernels

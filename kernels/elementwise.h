// Elementwise kernels: unary math and pointwise activations, binary ops with numpy
// broadcasting, Where, Clip and Cast. Semantics follow the CPU kernels in
// src/ops/elementwise.cpp and src/ops/activation.cpp (integer division by zero gives 0,
// Python-style Mod unless fmod, float->int casts truncate and saturate, ...).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/index_math.h"
#include "top/tensor.h"

namespace top::kernels {

enum class UnaryKind : int {
  // math (src/ops/elementwise.cpp)
  kSqrt,
  kExp,
  kLog,
  kNeg,
  kAbs,
  kReciprocal,
  kFloor,
  kCeil,
  kRound,
  kSign,
  kErf,
  kSin,
  kCos,
  kTan,
  kAtan,
  kAsin,
  kAcos,
  kSinh,
  kCosh,
  kAsinh,
  kAcosh,
  kAtanh,
  kNot,
  kIsNaN,
  kIsInf,
  // activations (src/ops/activation.cpp)
  kRelu,
  kLeakyRelu,
  kThresholdedRelu,
  kElu,
  kCelu,
  kSelu,
  kSigmoid,
  kHardSigmoid,
  kHardSwish,
  kTanh,
  kSoftplus,
  kSoftsign,
  kMish,
  kShrink,
  // y = x * scale (Mean's final division)
  kScale,
};

struct UnaryParams {
  float alpha = 0.0f, beta = 0.0f, gamma = 0.0f;        // activation attributes
  double scale = 1.0;                                   // kScale
  bool detect_negative = true, detect_positive = true;  // IsInf
};

// y[i] = f(x[i]) for n elements; `dt` is x's dtype (y is bool for Not/IsNaN/IsInf,
// else dt). cudaErrorInvalidValue for a dtype the op does not support.
cudaError_t unary(UnaryKind kind, DataType dt, const void* x, void* y, int64_t n, const UnaryParams& p,
                  cudaStream_t stream);

// Unary ops a dtype supports (the factories check with this before creating an op).
bool unary_supports(UnaryKind kind, DataType dt);

enum class BinaryKind : int {
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kFmod,
  kPow,
  kMin,
  kMax,  // output dtype = input dtype
  kEqual,
  kLess,
  kGreater,
  kLessOrEqual,
  kGreaterOrEqual,  // output bool
  kAnd,
  kOr,
  kXor,    // bool inputs and output
  kPRelu,  // a < 0 ? a * b : a
  kShiftLeft,
  kShiftRight,  // unsigned integers only
};

// out[i] = f(a[off0], b[off1]) with index operands {a, b, out} (out dense) over n
// elements. `dt` is a's dtype; b has dt too except for Pow (`b_dt` may differ and is
// converted to dt like the CPU kernel does). out may alias a when a is dense and has
// out's shape (the variadic ops accumulate in place).
cudaError_t binary(BinaryKind kind, DataType dt, DataType b_dt, const void* a, const void* b, void* out,
                   const StridedIndex<3>& index, cudaStream_t stream);

// out[i] = cond[off0] ? x[off1] : y[off2]; index operands {cond, x, y, out}.
cudaError_t where(size_t esize, const void* cond, const void* x, const void* y, void* out, const StridedIndex<4>& index,
                  cudaStream_t stream);

// Clip bounds: min/max from the attributes (opset < 11) or from device scalars of the
// input's dtype (null: no bound).
struct ClipBounds {
  bool from_attributes = false;
  float min_attr = 0.0f, max_attr = 0.0f;
  const void* min_device = nullptr;
  const void* max_device = nullptr;
};
cudaError_t clip(DataType dt, const void* x, void* y, int64_t n, const ClipBounds& bounds, cudaStream_t stream);

// Cast between float32/64, float16, int8/16/32/64, uint8 and bool.
cudaError_t cast(DataType from, DataType to, const void* x, void* y, int64_t n, cudaStream_t stream);

}  // namespace top::kernels

// Einsum for one output element: the definition the CPU kernel (src/ops/einsum.cpp) and
// the CUDA kernel (kernels/einsum.cu) both run. The equation has been resolved (by
// ops/einsum.h) into labels kept in the output and labels summed over, each with its
// size and, per operand, the element stride it moves that operand by (0 when the
// operand lacks the label or broadcasts it; a label repeated in one operand — a
// diagonal — has the sum of its strides).
//
// Only the standard library is included, so that nvcc compiles this too.
#pragma once

#include <stdint.h>

#include "host_device.h"

namespace top::ops {

constexpr int kMaxEinsumOperands = 4;
constexpr int kMaxEinsumLabels = 16;

struct EinsumPlan {
  int operands = 0;
  int kept = 0, summed = 0;
  int64_t kept_dims[kMaxEinsumLabels] = {};
  int64_t summed_dims[kMaxEinsumLabels] = {};
  int64_t kept_strides[kMaxEinsumOperands][kMaxEinsumLabels] = {};
  int64_t summed_strides[kMaxEinsumOperands][kMaxEinsumLabels] = {};
  int64_t summed_count = 1;  // product of summed_dims
};

// Output element e (row-major over kept_dims): the sum over every summed-label
// combination of the operands' product, accumulated in Acc.
template <class T, class Acc>
TOP_HD T einsum_element(const EinsumPlan& p, const T* const* operands, int64_t e) {
  int64_t base[kMaxEinsumOperands] = {};
  for (int l = p.kept - 1; l >= 0; --l) {
    const int64_t c = e % p.kept_dims[l];
    e /= p.kept_dims[l];
    for (int o = 0; o < p.operands; ++o) base[o] += c * p.kept_strides[o][l];
  }
  Acc acc = Acc(0);
  for (int64_t s = 0; s < p.summed_count; ++s) {
    int64_t rest = s;
    Acc prod = Acc(1);
    int64_t off[kMaxEinsumOperands];
    for (int o = 0; o < p.operands; ++o) off[o] = base[o];
    for (int l = p.summed - 1; l >= 0; --l) {
      const int64_t c = rest % p.summed_dims[l];
      rest /= p.summed_dims[l];
      for (int o = 0; o < p.operands; ++o) off[o] += c * p.summed_strides[o][l];
    }
    for (int o = 0; o < p.operands; ++o) prod *= static_cast<Acc>(operands[o][off[o]]);
    acc += prod;
  }
  return static_cast<T>(acc);
}

}  // namespace top::ops

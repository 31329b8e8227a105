// Index arithmetic of the GPU kernels, as __host__ __device__ functions.
//
// Everything a kernel computes about *where* to read (broadcast and strided offsets, pad
// borders, resize taps) is here or in the CPU operators' own per-element functions
// (src/ops/coord_math.h), so that the unit tests compile it with g++ and check it
// against the CPU operators (tests/unit/cuda_index_math_test.cpp): the GPU path's
// addressing is then tested on machines without a GPU.
#pragma once

#include <math.h>

#include <cstdint>

#include "src/ops/coord_math.h"
#include "src/ops/host_device.h"

namespace top::kernels {

// Largest rank a kernel walks after merging dims (ONNX models rarely exceed 6).
constexpr int kMaxDims = 8;

// ---- strided N-d index spaces -----------------------------------------------------------

// A row-major index space `dims` and, per operand, element strides and a base offset.
// Element i of the space is operand k's element offsets[k] + sum_d idx_d * strides[k][d].
// Broadcast inputs have stride 0 on broadcast dims; a dense output has row-major strides.
template <int N>
struct StridedIndex {
  int rank = 0;
  int64_t dims[kMaxDims] = {};
  int64_t strides[N][kMaxDims] = {};
  int64_t offsets[N] = {};
};

template <int N>
TOP_HD void strided_offsets(const StridedIndex<N>& s, int64_t i, int64_t* off) {
  for (int k = 0; k < N; ++k) off[k] = s.offsets[k];
  for (int d = s.rank - 1; d >= 0; --d) {
    const int64_t c = i % s.dims[d];
    i /= s.dims[d];
    for (int k = 0; k < N; ++k) off[k] += c * s.strides[k][d];
  }
}

template <int N>
inline int64_t strided_numel(const StridedIndex<N>& s) {
  int64_t n = 1;
  for (int d = 0; d < s.rank; ++d) n *= s.dims[d];
  return n;
}

// Builds a StridedIndex from `rank` dims (any rank): drops size-1 dims and merges
// neighbours that every operand walks contiguously, so that most spaces shrink to one
// to three dims. False when more than kMaxDims dims remain.
template <int N>
inline bool make_strided_index(int rank, const int64_t* dims, const int64_t* const* strides, const int64_t* offsets,
                               StridedIndex<N>* out) {
  StridedIndex<N> s;
  for (int k = 0; k < N; ++k) s.offsets[k] = offsets ? offsets[k] : 0;
  for (int d = 0; d < rank; ++d) {
    if (dims[d] == 1) continue;
    bool merge = s.rank > 0;
    for (int k = 0; k < N && merge; ++k) merge = s.strides[k][s.rank - 1] == strides[k][d] * dims[d];
    if (merge) {
      s.dims[s.rank - 1] *= dims[d];
      for (int k = 0; k < N; ++k) s.strides[k][s.rank - 1] = strides[k][d];
      continue;
    }
    if (s.rank == kMaxDims) return false;
    s.dims[s.rank] = dims[d];
    for (int k = 0; k < N; ++k) s.strides[k][s.rank] = strides[k][d];
    ++s.rank;
  }
  if (s.rank == 0) {  // a scalar or all-ones shape: one element
    s.rank = 1;
    s.dims[0] = 1;
    for (int k = 0; k < N; ++k) s.strides[k][0] = 1;
  }
  *out = s;
  return true;
}

// True when every operand walks the space as one dense run from its base offset.
template <int N>
TOP_HD bool strided_is_dense(const StridedIndex<N>& s) {
  if (s.rank != 1) return false;
  for (int k = 0; k < N; ++k)
    if (s.strides[k][0] != 1) return false;
  return true;
}

// ---- Pad -------------------------------------------------------------------------------------

using ops::PadMode;
using ops::pad_source_coord;

struct PadIndex {
  int rank = 0;
  PadMode mode = PadMode::kConstant;
  int64_t out_dims[kMaxDims] = {};
  int64_t in_dims[kMaxDims] = {};
  int64_t begin[kMaxDims] = {};  // pads before each dim (negative crops)
  int64_t in_strides[kMaxDims] = {};
};

// Input element offset of output element i, or -1 for the constant value.
TOP_HD int64_t pad_source_offset(const PadIndex& p, int64_t i) {
  int64_t off = 0;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t o = i % p.out_dims[d];
    i /= p.out_dims[d];
    const int64_t c = pad_source_coord(p.mode, o - p.begin[d], p.in_dims[d]);
    if (c < 0) return -1;
    off += c * p.in_strides[d];
  }
  return off;
}

// ---- Resize -------------------------------------------------------------------------------------

using ops::ResizeAxis;
using ops::ResizeCoord;
using ops::ResizeMode;
using ops::ResizeNearest;

struct ResizeParams {
  int rank = 0;
  ops::ResizeSampling sampling;
  ResizeAxis axes[kMaxDims];
};

// Input offset of output element i of a nearest resize; *outside: the extrapolation value.
TOP_HD int64_t resize_nearest_source(const ResizeParams& p, int64_t i, bool* outside) {
  int64_t off = 0;
  *outside = false;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t o = i % p.axes[d].out;
    i /= p.axes[d].out;
    int64_t tap;
    float w;
    bool out_d;
    ops::resize_axis_taps(p.sampling, p.axes[d], o, &tap, &w, &out_d);
    *outside = *outside || out_d;
    off += tap;
  }
  return off;
}

// Output element i of a linear/cubic resize: the sum over every combination of the
// axes' taps of the product of their weights times the input there (Acc: float for
// float32, double for float64, as on the CPU).
template <class Acc, class T>
TOP_HD T resize_interpolate_at(const ResizeParams& p, const T* x, int64_t i, T extra) {
  int64_t off[kMaxDims][4];
  float w[kMaxDims][4];
  int taps[kMaxDims];
  int64_t combos = 1;
  bool outside = false;
  for (int d = p.rank - 1; d >= 0; --d) {
    const int64_t o = i % p.axes[d].out;
    i /= p.axes[d].out;
    bool out_d;
    taps[d] = ops::resize_axis_taps(p.sampling, p.axes[d], o, off[d], w[d], &out_d);
    outside = outside || out_d;
    combos *= taps[d];
  }
  if (outside) return extra;
  Acc acc = 0;
  for (int64_t c = 0; c < combos; ++c) {
    int64_t at = 0, r = c;
    Acc weight = 1;
    for (int d = p.rank - 1; d >= 0; --d) {
      const int k = static_cast<int>(r % taps[d]);
      r /= taps[d];
      at += off[d][k];
      weight *= static_cast<Acc>(w[d][k]);
    }
    acc += weight * static_cast<Acc>(x[at]);
  }
  return static_cast<T>(acc);
}

}  // namespace top::kernels

// Index arithmetic of the GPU kernels, as __host__ __device__ functions.
//
// Everything a kernel computes about *where* to read (broadcast and strided offsets,
// slice bounds, pad border coordinates, resize sampling positions) lives here, so that
// the unit tests compile this header with g++ and check it against the CPU operators
// (tests/unit/cuda_index_math_test.cpp): the GPU path's addressing is then tested on
// machines without a GPU. The formulas mirror src/ops (tensor.cpp, resize.cpp) line by
// line where rounding matters (resize coordinates are computed in float like ONNX Runtime).
#pragma once

#include <math.h>

#include <cstdint>

#if defined(__CUDACC__)
#define TOP_HD __host__ __device__ __forceinline__
#else
#define TOP_HD inline
#endif

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

// ---- Slice ---------------------------------------------------------------------------------

// One sliced axis of `dim` elements: the first index read and the element count, with
// ONNX clamping (negative starts/ends count from the end; INT64 sentinels are safe).
TOP_HD void slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* first, int64_t* count) {
  int64_t s = start, e = end;
  if (s < 0) s = (s < -dim - 1 ? -dim - 1 : s) + dim;
  if (e < 0) e = (e < -dim - 1 ? -dim - 1 : e) + dim;
  int64_t n = 0;
  if (step > 0) {
    s = s < 0 ? 0 : (s > dim ? dim : s);
    e = e < 0 ? 0 : (e > dim ? dim : e);
    if (e > s) n = (e - s + step - 1) / step;
  } else {
    s = s < 0 ? 0 : (s > dim - 1 ? dim - 1 : s);
    e = e < -1 ? -1 : (e > dim - 1 ? dim - 1 : e);
    if (s > e) n = (s - e + (-step) - 1) / (-step);
  }
  *count = n;
  *first = n > 0 ? s : 0;
}

// ---- Pad -------------------------------------------------------------------------------------

enum class PadMode : int { kConstant = 0, kReflect = 1, kEdge = 2, kWrap = 3 };

// Source coordinate of coordinate i (maybe outside [0, n)) of a padded dim of n input
// elements; -1 when it reads the constant value.
TOP_HD int64_t pad_source_coord(PadMode mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case PadMode::kEdge:
      return i < 0 ? 0 : n - 1;
    case PadMode::kWrap:
      return ((i % n) + n) % n;
    case PadMode::kReflect: {
      if (n == 1) return 0;
      const int64_t period = 2 * (n - 1);
      const int64_t m = ((i % period) + period) % period;
      return m < n ? m : period - m;
    }
    case PadMode::kConstant:
      break;
  }
  return -1;
}

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

enum class ResizeMode : int { kNearest = 0, kLinear = 1, kCubic = 2 };
enum class ResizeCoord : int {
  kHalfPixel = 0,
  kHalfPixelSymmetric,
  kPytorchHalfPixel,
  kAlignCorners,
  kAsymmetric,
  kTfHalfPixelForNearest,
  kTfCropAndResize
};
enum class ResizeNearest : int { kSimple = 0, kRoundPreferFloor, kRoundPreferCeil, kFloor, kCeil };

// Input coordinate of output coordinate x (src/ops/resize.cpp original_coordinate).
TOP_HD float resize_original_coordinate(ResizeCoord c, float x, float scale, float len_resized, float len_original,
                                        float roi_start, float roi_end) {
  switch (c) {
    case ResizeCoord::kAsymmetric:
      return x / scale;
    case ResizeCoord::kPytorchHalfPixel:
      return len_resized > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
    case ResizeCoord::kTfHalfPixelForNearest:
      return (x + 0.5f) / scale;
    case ResizeCoord::kAlignCorners:
      return len_resized == 1 ? 0.0f : x * (len_original - 1) / (len_resized - 1);
    case ResizeCoord::kTfCropAndResize: {
      double orig = len_resized > 1 ? roi_start * (len_original - 1) +
                                          (x * (roi_end - roi_start) * (len_original - 1)) / (len_resized - 1)
                                    : 0.5 * (roi_start + roi_end) * (len_original - 1);
      return static_cast<float>(orig);
    }
    case ResizeCoord::kHalfPixelSymmetric: {
      float output_width = scale * len_original;
      float adjustment = len_resized / output_width;
      float center = len_original / 2;
      float offset = center * (1 - adjustment);
      return static_cast<float>(offset + (x + 0.5) / scale - 0.5);
    }
    case ResizeCoord::kHalfPixel:
      break;
  }
  return ((x + 0.5f) / scale) - 0.5f;
}

TOP_HD int64_t resize_nearest_pixel(ResizeNearest m, float x, bool downsample) {
  switch (m) {
    case ResizeNearest::kSimple:
      return downsample ? static_cast<int64_t>(ceilf(x)) : static_cast<int64_t>(x);
    case ResizeNearest::kRoundPreferCeil:
      return static_cast<int64_t>(roundf(x));
    case ResizeNearest::kFloor:
      return static_cast<int64_t>(floorf(x));
    case ResizeNearest::kCeil:
      return static_cast<int64_t>(ceilf(x));
    case ResizeNearest::kRoundPreferFloor:
      break;
  }
  if (x == static_cast<float>(static_cast<int64_t>(x)) + 0.5f) return static_cast<int64_t>(floorf(x));
  return static_cast<int64_t>(roundf(x));
}

TOP_HD void resize_cubic_coeffs(float s, float a, float* w) {
  s = fabsf(s);
  w[0] = ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a;
  w[1] = ((a + 2) * s - (a + 3)) * s * s + 1;
  w[2] = ((a + 2) * (1 - s) - (a + 3)) * (1 - s) * (1 - s) + 1;
  w[3] = ((a * (2 - s) - 5 * a) * (2 - s) + 8 * a) * (2 - s) - 4 * a;
}

struct ResizeAxis {
  int64_t in = 1, out = 1;
  int64_t in_stride = 1;  // elements
  float scale = 1.0f;
  float roi_start = 0.0f, roi_end = 1.0f;
};

struct ResizeParams {
  int rank = 0;
  ResizeMode mode = ResizeMode::kNearest;
  ResizeCoord coord = ResizeCoord::kHalfPixel;
  ResizeNearest nearest = ResizeNearest::kRoundPreferFloor;
  float cubic_a = -0.75f;
  bool exclude_outside = false;
  ResizeAxis axes[kMaxDims];
};

// The taps of output coordinate o on axis d: input offsets (index * in_stride) and
// weights; returns the tap count (1 for nearest or an untouched axis, 2 linear, 4 cubic).
// *outside: tf_crop_and_resize sampled outside the input (the extrapolation value).
TOP_HD int resize_axis_taps(const ResizeParams& p, int d, int64_t o, int64_t* off, float* w, bool* outside) {
  const ResizeAxis& a = p.axes[d];
  const int64_t n_in = a.in;
  *outside = false;
  if (p.mode == ResizeMode::kNearest) {
    if (a.scale == 1.0f) {  // identity axis (ONNX Runtime), even when the sizes differ
      off[0] = (o < n_in - 1 ? o : n_in - 1) * a.in_stride;
      w[0] = 1.0f;
      return 1;
    }
    const float c = resize_original_coordinate(p.coord, static_cast<float>(o), a.scale, static_cast<float>(a.out),
                                               static_cast<float>(n_in), a.roi_start, a.roi_end);
    if (p.coord == ResizeCoord::kTfCropAndResize && (c < 0 || c > static_cast<float>(n_in - 1))) {
      *outside = true;
      off[0] = 0;
      w[0] = 1.0f;
      return 1;
    }
    int64_t i = resize_nearest_pixel(p.nearest, c, a.scale < 1);
    i = i < 0 ? 0 : (i > n_in - 1 ? n_in - 1 : i);
    off[0] = i * a.in_stride;
    w[0] = 1.0f;
    return 1;
  }
  if (a.scale == 1.0f && n_in == a.out) {  // inactive axis
    off[0] = o * a.in_stride;
    w[0] = 1.0f;
    return 1;
  }
  const float c = a.scale == 1.0f
                      ? static_cast<float>(o)
                      : resize_original_coordinate(p.coord, static_cast<float>(o), a.scale, static_cast<float>(a.out),
                                                   static_cast<float>(n_in), a.roi_start, a.roi_end);
  if (p.coord == ResizeCoord::kTfCropAndResize && (c < 0 || c > static_cast<float>(n_in - 1))) *outside = true;
  if (p.mode == ResizeMode::kLinear) {
    const float v = fmaxf(0.0f, fminf(c, static_cast<float>(n_in - 1)));
    int64_t i0 = static_cast<int64_t>(v);
    i0 = i0 < n_in - 1 ? i0 : n_in - 1;
    const int64_t i1 = i0 + 1 < n_in - 1 ? i0 + 1 : n_in - 1;
    float w0 = fabsf(v - static_cast<float>(i1));
    float w1 = fabsf(v - static_cast<float>(i0));
    if (i0 == i1) w0 = w1 = 0.5f;
    off[0] = i0 * a.in_stride;
    off[1] = i1 * a.in_stride;
    w[0] = w0;
    w[1] = w1;
    return 2;
  }
  const int64_t base = static_cast<int64_t>(floorf(c));
  float cw[4];
  resize_cubic_coeffs(c - static_cast<float>(base), p.cubic_a, cw);
  float sum = 1.0f;
  if (p.exclude_outside) {
    sum = 0.0f;
    for (int k = 0; k < 4; ++k) {
      const int64_t i = base - 1 + k;
      if (i < 0 || i >= n_in) cw[k] = 0.0f;
      sum += cw[k];
    }
  }
  for (int k = 0; k < 4; ++k) {
    int64_t i = base - 1 + k;
    i = i < 0 ? 0 : (i > n_in - 1 ? n_in - 1 : i);
    off[k] = i * a.in_stride;
    w[k] = sum != 0.0f ? cw[k] / sum : 0.0f;
  }
  return 4;
}

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
    resize_axis_taps(p, d, o, &tap, &w, &out_d);
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
    taps[d] = resize_axis_taps(p, d, o, off[d], w[d], &out_d);
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

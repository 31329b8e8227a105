// Window geometry shared by Conv, ConvTranspose and the pooling ops: auto_pad,
// kernel/stride/dilation/pad attributes and the output-size rules of the ONNX spec.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ops/checked_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

enum class AutoPad { kNotSet, kSameUpper, kSameLower, kValid };

// The window attributes of one node as written in the model; vectors are empty when
// the attribute is absent (the spatial rank is only known from the input shape).
struct WindowAttrs {
  AutoPad auto_pad = AutoPad::kNotSet;
  std::vector<int64_t> kernel_shape;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads;  // [x1_begin, x2_begin, ..., x1_end, x2_end, ...]
  bool ceil_mode = false;
};

// Parses auto_pad/kernel_shape/strides/dilations/pads (and ceil_mode for pools) and
// checks the values that need no shapes: strides/dilations/kernel in [1, 2^48], pads
// in [0, 2^48] (ops/checked_math.h), window extents that do not overflow.
Status parse_window_attrs(const ir::Attributes& attrs, const char* op, WindowAttrs& out);

// (kernel - 1) * dilation + 1, or InvalidArgument naming `op` when it passes 2^48.
Result<int64_t> window_extent(int64_t kernel, int64_t dilation, const char* op);

// Concrete geometry for one input: every vector has the spatial rank (pads 2x).
struct WindowGeometry {
  std::vector<int64_t> in;       // input spatial dims
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pad_begin;
  std::vector<int64_t> pad_end;
  std::vector<int64_t> extent;   // (kernel - 1) * dilation + 1, the window's span
  std::vector<int64_t> out;      // output spatial dims
  int64_t in_size() const { return shape_numel(in); }
  int64_t out_size() const { return shape_numel(out); }
  int64_t kernel_size() const { return shape_numel(kernel); }
};

// Resolves the forward-window geometry (Conv, MaxPool, AveragePool) for `in_spatial`
// and `kernel` (kernel from the attribute or the weights). Errors name `op`, the dims
// and the attribute at fault; int64 overflow anywhere is such an error, never a wrong
// size. Pools pass ceil_mode through attrs.
Result<WindowGeometry> forward_window_geometry(const WindowAttrs& attrs, const std::vector<int64_t>& in_spatial,
                                               const std::vector<int64_t>& kernel, const char* op);

// An activation fused into a producer's epilogue (Conv, Gemm). Not an ONNX attribute:
// a graph optimiser that folds `Conv -> Relu` into one node sets
//   activation = "Relu" | "LeakyRelu" | "Clip" | "Sigmoid" | "HardSigmoid" | "HardSwish" | "Tanh"
//   activation_params = [alpha] (LeakyRelu), [min, max] (Clip), [alpha, beta] (HardSigmoid)
// following ONNX Runtime's FusedConv. Absent means none.
struct FusedActivation {
  enum class Kind { kNone, kRelu, kLeakyRelu, kClip, kSigmoid, kHardSigmoid, kHardSwish, kTanh };
  Kind kind = Kind::kNone;
  float alpha = 0.0f, beta = 0.0f;
  bool active() const { return kind != Kind::kNone; }
  // Applies the activation in place to p[0, n).
  void apply(float* p, int64_t n) const;
};

Status parse_fused_activation(const ir::Attributes& attrs, const char* op, FusedActivation& out);

}  // namespace top::ops

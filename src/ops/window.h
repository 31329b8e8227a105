// The window operators' shape rule, shared by the CPU kernel (src/ops/signal.cpp) and
// the CUDA factory (src/backend/cuda/ops_signal.cpp): output [size] of output_datatype.
#pragma once

#include <string>

#include "ir/attributes.h"
#include "ops/window_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

inline Result<WindowKind> window_kind(const std::string& op_type) {
  if (op_type == "HannWindow") return WindowKind::kHann;
  if (op_type == "HammingWindow") return WindowKind::kHamming;
  if (op_type == "BlackmanWindow") return WindowKind::kBlackman;
  return InvalidArgument(op_type + " is not a window operator");
}

// ONNX output_datatype (default 1, float) as one of the dtypes the kernels write.
inline Result<DataType> window_dtype(const ir::Attributes& attrs, const std::string& p) {
  const int64_t t = attrs.get_int("output_datatype", 1);
  if (t == 1) return DataType::kFloat32;
  if (t == 11) return DataType::kFloat64;
  return Unsupported(p + "output_datatype " + std::to_string(t) + " (float and double are supported)");
}

}  // namespace top::ops

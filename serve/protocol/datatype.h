// The v2 inference protocol's tensor datatype names ("FP32", "INT64", ...) and the
// runtime's DataType. The protocol's BYTES (strings) has no runtime counterpart.
#pragma once

#include <optional>
#include <string>

#include "top/tensor.h"

namespace top::serve {

// "FP32" for kFloat32, ...; nullptr for kUndefined.
const char* v2_datatype_name(DataType t);
// kFloat32 for "FP32", ...; nullopt for an unknown name or BYTES.
std::optional<DataType> parse_v2_datatype(const std::string& name);

}  // namespace top::serve

#include "serve/protocol/datatype.h"

#include <array>
#include <utility>

namespace top::serve {

namespace {

constexpr std::array<std::pair<DataType, const char*>, 13> kNames = {{
    {DataType::kBool, "BOOL"},
    {DataType::kUint8, "UINT8"},
    {DataType::kUint16, "UINT16"},
    {DataType::kUint32, "UINT32"},
    {DataType::kUint64, "UINT64"},
    {DataType::kInt8, "INT8"},
    {DataType::kInt16, "INT16"},
    {DataType::kInt32, "INT32"},
    {DataType::kInt64, "INT64"},
    {DataType::kFloat16, "FP16"},
    {DataType::kFloat32, "FP32"},
    {DataType::kFloat64, "FP64"},
    {DataType::kBFloat16, "BF16"},
}};

}  // namespace

const char* v2_datatype_name(DataType t) {
  for (const auto& [dtype, name] : kNames) {
    if (dtype == t) return name;
  }
  return nullptr;
}

std::optional<DataType> parse_v2_datatype(const std::string& name) {
  for (const auto& [dtype, n] : kNames) {
    if (name == n) return dtype;
  }
  return std::nullopt;
}

}  // namespace top::serve

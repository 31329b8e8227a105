// Serialized ONNX data protos other than TensorProto (onnx-data.proto): SequenceProto and
// OptionalProto, as the ONNX backend tests store sequence and optional inputs and
// outputs (input_N.pb, output_N.pb). Each tensor inside gets the checks of
// import_tensor_proto_bytes (ir/onnx_import.h); sequences of maps or of sequences, and
// sparse tensors, are refused by name.
#pragma once

#include <cstddef>

#include "top/status.h"
#include "top/value.h"

namespace top::ir {

// `elem_dtype` is the sequence's element type to use when the sequence is empty (its
// proto then says nothing about it).
Result<top::Value> import_sequence_proto_bytes(const void* data, size_t size, DataType elem_dtype);
// An empty optional is Value::none(); `elem_dtype` as for sequences, when it holds one.
Result<top::Value> import_optional_proto_bytes(const void* data, size_t size, DataType elem_dtype);

}  // namespace top::ir

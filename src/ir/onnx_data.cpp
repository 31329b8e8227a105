#include "ir/onnx_data.h"

#include <onnx/onnx-data_pb.h>

#include <limits>
#include <string>
#include <vector>

#include "ir/onnx_import.h"

namespace top::ir {
namespace {

Result<Tensor> tensor_of(const onnx::TensorProto& tp) {
  const std::string bytes = tp.SerializeAsString();
  return import_tensor_proto_bytes(bytes.data(), bytes.size());
}

Result<top::Value> sequence_of(const onnx::SequenceProto& sp, DataType elem_dtype) {
  if (sp.elem_type() != onnx::SequenceProto::TENSOR && sp.tensor_values_size() == 0 &&
      sp.elem_type() != onnx::SequenceProto::UNDEFINED)
    return Unsupported("sequence '" + sp.name() + "' holds elem_type " + std::to_string(sp.elem_type()) +
                       "; only sequences of tensors are read");
  std::vector<Tensor> elems;
  for (const onnx::TensorProto& tp : sp.tensor_values()) {
    TOP_ASSIGN_OR_RETURN(Tensor t, tensor_of(tp));
    if (!elems.empty() && t.dtype() != elems[0].dtype())
      return InvalidArgument("sequence '" + sp.name() + "' mixes " + dtype_name(elems[0].dtype()) + " and " +
                             dtype_name(t.dtype()) + " tensors");
    elems.push_back(std::move(t));
  }
  const DataType dt = elems.empty() ? elem_dtype : elems[0].dtype();
  return top::Value::sequence(dt, std::move(elems));
}

template <class Proto>
Status parse(Proto& p, const void* data, size_t size, const char* what) {
  if (size > static_cast<size_t>(std::numeric_limits<int>::max()) || !p.ParseFromArray(data, static_cast<int>(size)))
    return InvalidArgument(std::string("not a valid ONNX ") + what + " (truncated or corrupt)");
  return Status::Ok();
}

}  // namespace

Result<top::Value> import_sequence_proto_bytes(const void* data, size_t size, DataType elem_dtype) {
  try {
    onnx::SequenceProto sp;
    TOP_RETURN_IF_ERROR(parse(sp, data, size, "SequenceProto"));
    return sequence_of(sp, elem_dtype);
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while reading a SequenceProto");
  }
}

Result<top::Value> import_optional_proto_bytes(const void* data, size_t size, DataType elem_dtype) {
  try {
    onnx::OptionalProto op;
    TOP_RETURN_IF_ERROR(parse(op, data, size, "OptionalProto"));
    if (op.has_tensor_value()) {
      TOP_ASSIGN_OR_RETURN(Tensor t, tensor_of(op.tensor_value()));
      return top::Value(std::move(t));
    }
    if (op.has_sequence_value()) return sequence_of(op.sequence_value(), elem_dtype);
    if (op.has_sparse_tensor_value() || op.has_map_value() || op.has_optional_value())
      return Unsupported("optional '" + op.name() + "' holds a sparse tensor, map or optional; not read");
    return top::Value::none();
  } catch (const std::bad_alloc&) {
    return OutOfMemory("out of memory while reading an OptionalProto");
  }
}

}  // namespace top::ir

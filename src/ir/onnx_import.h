// ONNX import: ModelProto -> ir::Graph, through Debian's libonnx (protobuf parsing,
// onnx::checker, shape inference). Every node gets its parsed ops::Op here, so an
// unsupported operator is reported at load time, never in the middle of a run.
#pragma once

#include <memory>
#include <string>

#include "ir/graph.h"
#include "top/status.h"

namespace top::ir {

struct ImportOptions {
  // Run onnx::checker (structure, schemas, attribute types). Off only for tests that
  // feed models the checker would reject on purpose.
  bool run_checker = true;
  // Refuse model files larger than this; protobuf itself parses at most 2 GiB, and the
  // file's buffer is also held to top::max_allocation_bytes().
  size_t max_file_bytes = size_t(2) << 30;
  // Refuse models whose weights (initializers and Constant tensors) add up to more than
  // this; 0 means physical memory. Each tensor is also held to max_allocation_bytes().
  // The total matters because many tensors may name the same external bytes.
  size_t max_total_tensor_bytes = 0;
};

// `path` is the .onnx file; external-data files are resolved relative to its folder
// (see ir/model_files.h for what is refused). Nothing here throws.
Result<std::shared_ptr<Graph>> import_onnx_file(const std::string& path, const ImportOptions& opts = {});
// A serialized ModelProto in memory; external data (if any) is resolved under `base_dir`.
Result<std::shared_ptr<Graph>> import_onnx_bytes(const void* data, size_t size, const std::string& base_dir,
                                                 const ImportOptions& opts = {});

// A serialized TensorProto (as the ONNX backend tests' input_N.pb and output_N.pb),
// held to the checks a model's initializers get; external data is refused.
Result<Tensor> import_tensor_proto_bytes(const void* data, size_t size);

}  // namespace top::ir

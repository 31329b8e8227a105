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
  // Refuse files larger than this (protects against absurd inputs).
  size_t max_file_bytes = size_t(4) << 30;
};

// `path` is the .onnx file; external-data files are resolved relative to its folder.
Result<std::shared_ptr<Graph>> import_onnx_file(const std::string& path, const ImportOptions& opts = {});
// A serialized ModelProto in memory; external data (if any) is resolved under `base_dir`.
Result<std::shared_ptr<Graph>> import_onnx_bytes(const void* data, size_t size, const std::string& base_dir,
                                                 const ImportOptions& opts = {});

}  // namespace top::ir

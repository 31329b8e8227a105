// One inference request and its answer as the v2 inference protocol defines them,
// independent of the transport (REST JSON + binary tensor data, or gRPC).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "top/status.h"
#include "top/tensor.h"

namespace top::serve {

struct InferInput {
  std::string name;
  Tensor tensor;  // dtype and shape as the request declared them
};

struct RequestedOutput {
  std::string name;
  bool binary = false;  // REST: return as binary tensor data (the extension)
};

struct InferRequest {
  std::string model;
  std::string version;  // "" = the newest ready version
  std::string id;       // echoed in the response
  std::vector<InferInput> inputs;
  std::vector<RequestedOutput> outputs;  // empty: every output of the model
  bool binary_outputs = false;  // REST "binary_data_output": the default for outputs not listed
  int64_t timeout_us = 0;       // "timeout" parameter: not started by then -> deadline exceeded; 0: model default
  int priority = 0;             // "priority" parameter: higher runs first within the model's queue
};

struct InferOutput {
  std::string name;
  Tensor tensor;
  bool binary = false;
};

struct InferResponse {
  std::string model;
  std::string version;
  std::string id;
  std::vector<InferOutput> outputs;
};

struct TensorMetadata {
  std::string name;
  std::string datatype;  // "FP32", ...
  Shape shape;           // -1 for dynamic dimensions
};

struct ModelMetadata {
  std::string name;
  std::vector<std::string> versions;
  std::string platform = "onnx";
  std::vector<TensorMetadata> inputs;
  std::vector<TensorMetadata> outputs;
};

struct RepositoryIndexEntry {
  std::string name;
  std::string version;  // "" when the model failed before any version was known
  std::string state;    // "READY", "UNAVAILABLE", "UNLOADING"
  std::string reason;   // why it is not ready
};

// An error as the protocol reports it: the HTTP status (the gRPC code is derived from
// the Status) and the message of the error body.
int http_status_of(const Status& s);

}  // namespace top::serve

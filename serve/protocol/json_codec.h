// REST encoding of the v2 inference protocol: JSON tensors and the binary tensor data
// extension (a JSON header of Inference-Header-Content-Length bytes, then the raw
// tensors back to back), as Triton's and KServe's clients send them.
//
// Every byte of a request body is untrusted: the parser never throws and never
// crashes (tests/fuzz/serve_request_fuzz.cpp), checks nesting depth before parsing,
// element counts against shapes, byte counts against the binary section, and sizes
// against top::max_allocation_bytes() before it allocates; each failure is an
// InvalidArgument naming the input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "serve/protocol/infer_types.h"

namespace top::serve {

// The request body of POST .../infer. `header_length`: the Inference-Header-Content-
// Length header, or -1 when absent (the whole body is JSON). `model`/`version` come
// from the URL and are copied into the request.
Result<InferRequest> parse_infer_request(std::string_view body, long long header_length, const std::string& model,
                                         const std::string& version);

// The response body. `header_length` is set to the JSON part's length when some output
// is binary (the caller sends it as Inference-Header-Content-Length), else -1.
std::string encode_infer_response(const InferResponse& response, long long* header_length);

// {"error": "<message>"}
std::string encode_error(const std::string& message);

// GET /v2, GET /v2/models/{name}, POST /v2/repository/index.
std::string encode_server_metadata(const std::string& name, const std::string& version,
                                   const std::vector<std::string>& extensions);
std::string encode_model_metadata(const ModelMetadata& md);
std::string encode_repository_index(const std::vector<RepositoryIndexEntry>& index);

}  // namespace top::serve

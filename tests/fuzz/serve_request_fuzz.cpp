// libFuzzer target: the REST body parser of `toprt serve` (serve/protocol/json_codec) on
// arbitrary bytes.
//
// The first bytes pick whether the body carries the binary tensor data extension and
// where its JSON header ends; parse_infer_request must return a Status for anything.
// When it accepts a body, every input tensor holds what its shape and datatype say, and
// encoding those tensors as a response (JSON and binary) gives a header that parses.
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

#include "serve/protocol/json_codec.h"
#include "top/limits.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  top::set_max_allocation_bytes(size_t(64) << 20);  // stay far below -rss_limit_mb
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // First byte < 128: the rest is plain JSON. Else the next two bytes (little endian) are
  // the Inference-Header-Content-Length, possibly past the end, and the body follows.
  const bool binary_extension = data[0] >= 128;
  const size_t skip = binary_extension ? 3 : 1;
  if (size < skip) return 0;
  const std::string_view body(reinterpret_cast<const char*>(data + skip), size - skip);
  const long long header = binary_extension ? static_cast<long long>(data[1] | (data[2] << 8)) : -1;
  auto r = top::serve::parse_infer_request(body, header, "m", "");
  if (!r.ok()) {
    check(!r.status().message().empty());
    return 0;
  }
  top::serve::InferResponse resp;
  resp.model = r->model;
  resp.id = r->id;
  bool binary = false;
  for (const auto& in : r->inputs) {
    check(in.tensor.defined() && in.tensor.capacity_bytes() >= in.tensor.nbytes());
    resp.outputs.push_back({in.name, in.tensor, binary});
    binary = !binary;
  }
  long long json_length = -1;
  const std::string out = top::serve::encode_infer_response(resp, &json_length);
  const std::string header_text = json_length < 0 ? out : out.substr(0, static_cast<size_t>(json_length));
  check(nlohmann::json::accept(header_text));
  return 0;
}

// The gRPC face of the v2 inference protocol: inference.GRPCInferenceService of
// serve/grpc/grpc_predict_v2.proto, the service KServe's and Triton's gRPC clients call.
//
//   ServerLive, ServerReady, ModelReady        health
//   ServerMetadata, ModelMetadata              names, versions, tensors
//   ModelInfer                                 tensors in the typed `contents` fields or in
//                                              raw_input_contents; outputs always answered
//                                              in raw_output_contents
//   RepositoryIndex, RepositoryModelLoad,      the model repository extension
//   RepositoryModelUnload
//
// Errors are gRPC status codes derived from the core's Status: INVALID_ARGUMENT (a bad
// request or model), NOT_FOUND (unknown model or version), RESOURCE_EXHAUSTED (queue
// full), UNAVAILABLE (shutting down), DEADLINE_EXCEEDED (not started before its
// timeout), INTERNAL (a bug, or out of memory). A ModelInfer message that is not valid
// protobuf is INVALID_ARGUMENT too; one over max_message_bytes is RESOURCE_EXHAUSTED
// (gRPC's own answer). See docs/serving.md ("gRPC").
//
// ModelInfer does not hold a thread while the model runs: the request is converted on a
// gRPC thread, queued with InferenceServer::infer, and answered from the runtime thread
// that finishes it. The other RPCs run on gRPC's synchronous thread pool.
//
// Thread safety: start() and stop() from one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "serve/core/inference_server.h"

namespace top::serve {

struct GrpcOptions {
  std::string host = "0.0.0.0";          // an IPv6 address may be given bare ("::") or bracketed
  int port = 8001;                       // 0: any free port (port() tells which)
  size_t max_message_bytes = 64u << 20;  // largest request message (RESOURCE_EXHAUSTED above)
};

class GrpcFrontend {
 public:
  // Binds (an Unavailable error names the address when the port is taken) and serves on
  // gRPC's own threads.
  static Result<std::unique_ptr<GrpcFrontend>> start(InferenceServer* server, const GrpcOptions& options);
  ~GrpcFrontend();  // stop()
  GrpcFrontend(const GrpcFrontend&) = delete;
  GrpcFrontend& operator=(const GrpcFrontend&) = delete;

  int port() const;
  // Stops accepting, lets the calls being handled finish (those still running after 30 s
  // are cancelled, though each is still answered), then returns. Idempotent.
  void stop();

 private:
  struct Impl;
  explicit GrpcFrontend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The gRPC code of a core Status (the mapping above); 0 (OK) for an OK Status.
int grpc_code_of(const Status& s);

}  // namespace top::serve

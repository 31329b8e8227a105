// The REST face of the v2 inference protocol (KServe / Triton), on cpp-httplib:
//
//   GET  /v2/health/live | /v2/health/ready            200 or 503
//   GET  /v2                                            server metadata
//   GET  /v2/models/{m}[/versions/{v}]                  model metadata
//   GET  /v2/models/{m}[/versions/{v}]/ready            200 or 503
//   POST /v2/models/{m}[/versions/{v}]/infer            JSON tensors, or the binary tensor
//                                                       data extension (Inference-Header-Content-Length)
//   POST /v2/repository/index                           models, versions, states, reasons
//   POST /v2/repository/models/{m}/load | /unload
//   GET  /metrics                                       Prometheus text
//
// Errors are {"error": "..."} with 400 (bad request), 404 (unknown model or version),
// 413 (body over the limit), 503 (queue full or shutting down; with Retry-After),
// 504 (not started before its timeout), 500 (a bug).
//
// Thread safety: start() and stop() from one thread; the handlers run on the HTTP
// server's own pool.
#pragma once

#include <memory>
#include <string>

#include "serve/core/inference_server.h"

namespace top::serve {

struct HttpOptions {
  std::string host = "0.0.0.0";
  int port = 8000;                      // 0: any free port (port() tells which)
  int threads = 64;                     // connections served at once (keep-alive holds one)
  size_t max_body_bytes = 64u << 20;
  int read_timeout_s = 30;              // a request's bytes must arrive within this
  int keep_alive_timeout_s = 5;         // an idle keep-alive connection is closed after this
};

class HttpFrontend {
 public:
  // Binds (an error names the address when the port is taken) and serves on its own thread.
  static Result<std::unique_ptr<HttpFrontend>> start(InferenceServer* server, const HttpOptions& options);
  ~HttpFrontend();  // stop()
  int port() const;
  // Stops accepting, lets the requests being handled finish, then returns.
  void stop();

 private:
  struct Impl;
  explicit HttpFrontend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace top::serve

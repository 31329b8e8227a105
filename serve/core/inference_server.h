// InferenceServer: the transport-independent core of `toprt serve`. It owns one Runtime
// (every model shares its streams: task-based operator parallelism across models), the
// state of the model repository, and the per-model policies (core/policy_router.h); the
// REST and gRPC front ends (serve/http, serve/grpc) only translate to and from it.
//
//   top::serve::ServerOptions opts;
//   opts.repository = "models/";
//   auto server = top::serve::InferenceServer::create(opts).value();
//   server->infer(std::move(request), [](top::Result<top::serve::InferResponse> r) { ... });
//   server->begin_drain();  server->wait_idle(30s);  server->shutdown();
//
// Every request given to infer() is answered exactly once through its callback, with a
// response or an error Status (http_status_of() maps it to the protocol's codes).
// A model that fails to load (bad file, bad config) is reported in repository_index()
// and its metadata calls, and does not stop the server or the other models.
//
// Thread safety: every member may be called from any thread at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "serve/protocol/infer_types.h"
#include "top/runtime.h"

namespace top::serve {

enum class ModelControl {
  kNone,      // load every model at start; the repository API may still load/unload
  kPoll,      // as kNone, and rescan the repository every poll_interval_s
  kExplicit,  // load only startup_models; then through the repository API
};

struct ServerOptions {
  std::string repository;  // the model repository folder (repository/model_repository.h)
  ModelControl model_control = ModelControl::kNone;
  std::vector<std::string> startup_models;  // kExplicit
  double poll_interval_s = 5;
  RuntimeConfig runtime;  // backend, streams, threads, queue capacity (launch/graph policies are set per model)
  // The policy spec of models whose config names none (and sets no batching keys);
  // empty: one task per instance, the config's instance_count instances.
  std::string default_policy;
  std::string server_name = "toprt";
};

class InferenceServer {
 public:
  static Result<std::unique_ptr<InferenceServer>> create(const ServerOptions& options);
  ~InferenceServer();  // shutdown()
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;

  bool live() const;
  bool ready() const;  // live and not draining
  const std::string& name() const;
  static const char* version();
  static std::vector<std::string> extensions();

  // version "": the newest ready version.
  Result<ModelMetadata> model_metadata(const std::string& model, const std::string& version) const;
  bool model_ready(const std::string& model, const std::string& version) const;
  // OK when infer() would find a ready version; else the error it would answer with
  // (front ends check this before parsing a body, so an unknown model is a 404 first).
  Status check_model(const std::string& model, const std::string& version) const;

  using InferCallback = std::function<void(Result<InferResponse>)>;
  // Answers through `done` exactly once: inline for a request refused before it is
  // queued, else on a runtime thread. `protocol` ("rest", "grpc") labels the metrics.
  void infer(InferRequest request, InferCallback done, const char* protocol = "rest");
  Result<InferResponse> infer_sync(InferRequest request, const char* protocol = "rest");
  // Counts a request a front end refused before infer() (a malformed body) in the
  // metrics, under its model when that model exists.
  void count_refused(const std::string& model, const std::string& version, const char* protocol, const Status& why);

  std::vector<RepositoryIndexEntry> repository_index() const;
  // Loads (or reloads) every version the model's config selects; the error of the
  // first version that failed, if any. Requests keep going to the old versions until
  // the new ones are ready.
  Status load_model(const std::string& model);
  // Stops routing requests to the model; its queued and running requests still finish
  // and are answered, then its memory is freed.
  Status unload_model(const std::string& model);
  // Loads new and changed models and unloads removed ones (what kPoll does periodically).
  Status poll_repository();

  // Prometheus text: request counters and latency histograms by model, version,
  // protocol and code; the runtime's queue, stream and task metrics; build info.
  std::string metrics_text() const;

  // Refuses new requests from now on (503) and marks the server not ready.
  void begin_drain();
  // Waits until every accepted request has been answered; false on timeout.
  bool wait_idle(std::chrono::milliseconds timeout);
  // After a drain that ran out of time: fails every queued request (503, "cancelled"),
  // lets running instances finish, and returns when every request has been answered.
  void cancel_queued();
  // begin_drain, wait for every request, stop the runtime. Idempotent.
  void shutdown();

 private:
  struct Impl;
  explicit InferenceServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

const char* model_control_name(ModelControl c);

}  // namespace top::serve

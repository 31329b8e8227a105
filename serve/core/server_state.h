// The inside of InferenceServer (serve/core/inference_server.h), shared by its two
// halves: inference_server.cpp (requests, metadata, metrics, shutdown) and
// model_lifecycle.cpp (loading, reloading, retiring and polling model versions).
// Internal to serve/core.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "serve/core/inference_server.h"
#include "serve/core/policy_router.h"
#include "serve/metrics/request_metrics.h"
#include "serve/repository/model_config.h"

namespace top::serve {

using Clock = std::chrono::steady_clock;

// One loaded version: immutable after load, shared by the requests that use it.
struct ServedVersion {
  std::string model;
  int64_t version = 0;
  std::string runtime_key;  // unique for the server's life ("resnet50:2#7"): a reload never collides
  std::vector<TensorInfo> inputs, outputs;
  ModelConfig config;
  std::atomic<int> pending{0};  // accepted, not yet answered
};

struct VersionState {
  std::shared_ptr<ServedVersion> served;  // null unless READY
  std::string state = "UNAVAILABLE";
  std::string reason;
};

struct ModelState {
  std::string fingerprint;  // of the repository scan it was loaded from
  Status problem;           // the model as a whole (config, folders)
  std::map<int64_t, VersionState> versions;
};

struct InferenceServer::Impl {
  ServerOptions options;
  PolicyRouter router;  // declared before the runtime, which calls into it: outlives it
  std::unique_ptr<Runtime> runtime;
  RequestMetrics metrics;

  mutable std::shared_mutex table_mu;  // models (readers: every request)
  std::map<std::string, ModelState> models;
  std::mutex load_mu;                  // one load/unload/poll at a time
  uint64_t next_generation = 1;        // load_mu

  // Versions taken out of service whose requests are still running; unloaded from the
  // runtime by the maintenance thread once their pending count reaches 0.
  std::mutex retired_mu;
  std::vector<std::shared_ptr<ServedVersion>> retired;

  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::mutex idle_mu;
  std::condition_variable idle_cv;
  int64_t in_flight = 0;  // idle_mu

  std::mutex maintenance_mu;
  std::condition_variable maintenance_cv;
  bool stop_maintenance = false;  // maintenance_mu
  std::thread maintenance;

  // The version a request for (model, version) goes to, or null with the reason in `why`.
  // `claim`: count it as pending while table_mu is still held, so that a concurrent
  // reload/unload that retires it cannot unload it before the request is queued (retire
  // happens after the swap, under the exclusive lock, and sweeps only pending == 0).
  std::shared_ptr<ServedVersion> find(const std::string& model, const std::string& version, Status* why,
                                      bool claim = false) const;
  // load_mu held by the caller for these three.
  Status load(const std::string& model);
  Status remove(const std::string& model);  // out of service; unloaded once idle
  Status poll_locked();                     // load changed and new models, remove deleted ones
  void retire(std::shared_ptr<ServedVersion> v);
  void sweep_retired();
  void maintenance_loop();
  void finish(const std::shared_ptr<ServedVersion>& v, const InferCallback& done, Result<InferResponse> r,
              const char* protocol, Clock::time_point start, double queue_ms);
};

}  // namespace top::serve

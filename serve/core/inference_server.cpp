#include "serve/core/inference_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <future>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "runtime/policy_spec.h"
#include "serve/core/server_state.h"
#include "serve/protocol/datatype.h"
#include "serve/repository/model_repository.h"
#include "top/model.h"
#include "top/version.h"

namespace top::serve {

namespace {

std::vector<TensorMetadata> tensor_metadata(const std::vector<TensorInfo>& infos) {
  std::vector<TensorMetadata> out;
  for (const TensorInfo& t : infos) {
    const char* dt = v2_datatype_name(t.dtype);
    out.push_back({t.name, dt ? dt : "BYTES", t.shape});
  }
  return out;
}

std::string names_of(const std::vector<TensorInfo>& infos) {
  std::string out;
  for (const TensorInfo& t : infos) out += (out.empty() ? "'" : ", '") + t.name + "'";
  return out;
}

// model="...",version="..." for a version's runtime metrics (its runtime key is internal).
std::string version_labels(const ServedVersion& v) {
  return prometheus_label("model", v.model) + "," + prometheus_label("version", std::to_string(v.version));
}

}  // namespace

void InferenceServer::Impl::finish(const std::shared_ptr<ServedVersion>& v, const InferCallback& done,
                                   Result<InferResponse> r, const char* protocol, Clock::time_point start,
                                   double queue_ms) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  metrics.record(v ? v->model : "", v ? std::to_string(v->version) : "", protocol,
                 r.ok() ? 200 : http_status_of(r.status()), seconds, queue_ms / 1000.0);
  try {
    done(std::move(r));
  } catch (const std::exception& e) {
    spdlog::error("infer callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("infer callback threw an exception of unknown type");
  }
  if (v) v->pending.fetch_sub(1);
  std::lock_guard<std::mutex> lock(idle_mu);
  if (--in_flight == 0) idle_cv.notify_all();
}

InferenceServer::InferenceServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

InferenceServer::~InferenceServer() { shutdown(); }

Result<std::unique_ptr<InferenceServer>> InferenceServer::create(const ServerOptions& options) {
  if (options.repository.empty()) return InvalidArgument("a model repository folder is needed");
  auto scan = scan_repository(options.repository);
  if (!scan.ok()) return scan.status();
  if (!(options.poll_interval_s > 0)) return InvalidArgument("poll interval must be > 0 seconds");
  if (!options.default_policy.empty()) {
    auto p = runtime::parse_policy(options.default_policy);
    if (!p.ok()) return p.status();
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  RuntimeConfig rc = options.runtime;
  rc.launch_policy = impl->router.launch_policy();
  rc.graph_policy = impl->router.graph_policy();
  TOP_ASSIGN_OR_RETURN(impl->runtime, Runtime::create(rc));

  std::vector<std::string> names;
  if (options.model_control == ModelControl::kExplicit) {
    names = options.startup_models;
  } else {
    for (const RepositoryModel& m : *scan) names.push_back(m.name);
  }
  {
    std::lock_guard<std::mutex> lock(impl->load_mu);
    for (const std::string& name : names) {
      // A model that fails is logged by load() and listed in the index; the server goes on.
      (void)impl->load(name);
    }
  }
  Impl* raw = impl.get();
  impl->maintenance = std::thread([raw] { raw->maintenance_loop(); });
  return std::unique_ptr<InferenceServer>(new InferenceServer(std::move(impl)));
}

bool InferenceServer::live() const { return !impl_->stopped.load(); }
bool InferenceServer::ready() const { return live() && !impl_->draining.load(); }
const std::string& InferenceServer::name() const { return impl_->options.server_name; }
const char* InferenceServer::version() { return top::version(); }
std::vector<std::string> InferenceServer::extensions() { return {"binary_tensor_data", "model_repository"}; }

Result<ModelMetadata> InferenceServer::model_metadata(const std::string& model, const std::string& version) const {
  Status why;
  auto v = impl_->find(model, version, &why);
  if (!v) return why;
  ModelMetadata md;
  md.name = model;
  if (version.empty()) {
    std::shared_lock<std::shared_mutex> lock(impl_->table_mu);
    auto m = impl_->models.find(model);  // may have been unloaded since find()
    if (m != impl_->models.end()) {
      for (const auto& [number, state] : m->second.versions) {
        if (state.served) md.versions.push_back(std::to_string(number));
      }
    }
    if (md.versions.empty()) md.versions = {std::to_string(v->version)};
  } else {
    md.versions = {version};
  }
  md.inputs = tensor_metadata(v->inputs);
  md.outputs = tensor_metadata(v->outputs);
  return md;
}

bool InferenceServer::model_ready(const std::string& model, const std::string& version) const {
  Status why;
  return ready() && impl_->find(model, version, &why) != nullptr;
}

void InferenceServer::count_refused(const std::string& model, const std::string& version, const char* protocol,
                                    const Status& why) {
  Status ignored;
  auto v = impl_->find(model, version, &ignored);  // unknown names stay unlabelled: bounded label sets
  impl_->metrics.record(v ? v->model : "", v ? std::to_string(v->version) : "", protocol, http_status_of(why), -1, -1);
}

Status InferenceServer::check_model(const std::string& model, const std::string& version) const {
  Status why;
  return impl_->find(model, version, &why) ? Status::Ok() : why;
}

void InferenceServer::infer(InferRequest request, InferCallback done, const char* protocol) {
  const Clock::time_point start = Clock::now();
  {
    std::lock_guard<std::mutex> lock(impl_->idle_mu);
    ++impl_->in_flight;
  }
  if (impl_->draining.load()) {
    return impl_->finish(nullptr, done, Status(StatusCode::kUnavailable, "the server is shutting down"), protocol,
                         start, -1);
  }
  Status why;
  std::shared_ptr<ServedVersion> v = impl_->find(request.model, request.version, &why, /*claim=*/true);
  if (!v) return impl_->finish(nullptr, done, why, protocol, start, -1);
  const auto refuse = [&](Status s) { impl_->finish(v, done, std::move(s), protocol, start, -1); };
  if (v->pending.load() > v->config.queue_bound) {
    return refuse(Status(StatusCode::kResourceExhausted,
                         fmt::format("model '{}' already has {} requests waiting or running (queue_bound)", v->model,
                                     v->config.queue_bound)));
  }

  // Inputs in the model's order, checked by name and datatype here (the runtime checks
  // shapes) so the message can say what the protocol calls them.
  for (const InferInput& in : request.inputs) {
    bool known = std::any_of(v->inputs.begin(), v->inputs.end(), [&](const TensorInfo& t) { return t.name == in.name; });
    if (!known) {
      return refuse(InvalidArgument(fmt::format("model '{}' has no input '{}' (its inputs: {})", v->model, in.name,
                                                names_of(v->inputs))));
    }
  }
  std::vector<Tensor> inputs;
  inputs.reserve(v->inputs.size());
  for (const TensorInfo& info : v->inputs) {
    auto it = std::find_if(request.inputs.begin(), request.inputs.end(),
                           [&](const InferInput& in) { return in.name == info.name; });
    if (it == request.inputs.end()) {
      return refuse(InvalidArgument(fmt::format("input '{}' is missing (model '{}' takes {})", info.name, v->model,
                                                names_of(v->inputs))));
    }
    if (it->tensor.dtype() != info.dtype) {
      return refuse(InvalidArgument(fmt::format("input '{}' is {}, model '{}' expects {}", info.name,
                                                v2_datatype_name(it->tensor.dtype()), v->model,
                                                v2_datatype_name(info.dtype))));
    }
    inputs.push_back(it->tensor);
  }
  // Which outputs, in which form.
  std::vector<std::pair<size_t, bool>> wanted;  // output index, binary
  if (request.outputs.empty()) {
    for (size_t i = 0; i < v->outputs.size(); ++i) wanted.emplace_back(i, request.binary_outputs);
  } else {
    for (const RequestedOutput& o : request.outputs) {
      auto it = std::find_if(v->outputs.begin(), v->outputs.end(), [&](const TensorInfo& t) { return t.name == o.name; });
      if (it == v->outputs.end()) {
        return refuse(InvalidArgument(fmt::format("model '{}' has no output '{}' (its outputs: {})", v->model, o.name,
                                                  names_of(v->outputs))));
      }
      wanted.emplace_back(static_cast<size_t>(it - v->outputs.begin()), o.binary);
    }
  }

  if (request.timeout_us > int64_t{3'600'000'000}) {
    return refuse(InvalidArgument(fmt::format("parameter 'timeout' is {} us; at most one hour (3600000000)",
                                              request.timeout_us)));
  }
  TaskOptions topts;
  topts.priority = request.priority;
  const double timeout_ms = request.timeout_us > 0 ? request.timeout_us / 1000.0 : v->config.timeout_ms;
  if (timeout_ms > 0) {
    topts.deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(timeout_ms));
  }
  Impl* impl = impl_.get();
  auto on_done = [impl, v, done = std::move(done), wanted = std::move(wanted), id = std::move(request.id), protocol,
                  start](TaskResult r) mutable {
    if (!r.status.ok()) {
      Status s = r.status;
      if (s.code() == StatusCode::kCancelled || s.code() == StatusCode::kNotFound)
        s = Status(StatusCode::kUnavailable, s.message());
      return impl->finish(v, done, s.with_context(fmt::format("model '{}'", v->model)), protocol, start, -1);
    }
    InferResponse resp;
    resp.model = v->model;
    resp.version = std::to_string(v->version);
    resp.id = std::move(id);
    for (const auto& [index, binary] : wanted) {
      if (index >= r.outputs.size()) {
        return impl->finish(v, done, Internal("the runtime returned fewer outputs than the model has"), protocol, start,
                            r.queue_ms);
      }
      resp.outputs.push_back({v->outputs[index].name, r.outputs[index], binary});
    }
    impl->finish(v, done, std::move(resp), protocol, start, r.queue_ms);
  };
  // Admission failures call on_done inline; either way it runs exactly once.
  (void)impl_->runtime->submit(v->runtime_key, std::move(inputs), std::move(on_done), topts);
}

Result<InferResponse> InferenceServer::infer_sync(InferRequest request, const char* protocol) {
  std::promise<Result<InferResponse>> promise;
  auto future = promise.get_future();
  infer(std::move(request), [&promise](Result<InferResponse> r) { promise.set_value(std::move(r)); }, protocol);
  return future.get();
}

std::vector<RepositoryIndexEntry> InferenceServer::repository_index() const {
  std::vector<RepositoryIndexEntry> out;
  std::set<std::string> listed;
  {
    std::shared_lock<std::shared_mutex> lock(impl_->table_mu);
    for (const auto& [name, m] : impl_->models) {
      listed.insert(name);
      if (m.versions.empty()) out.push_back({name, "", "UNAVAILABLE", m.problem.message()});
      for (const auto& [number, state] : m.versions) out.push_back({name, std::to_string(number), state.state, state.reason});
    }
  }
  auto scan = scan_repository(impl_->options.repository);
  if (scan.ok()) {
    for (const RepositoryModel& m : *scan) {
      if (!listed.count(m.name)) out.push_back({m.name, "", "UNAVAILABLE", "not loaded"});
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.name, a.version) < std::tie(b.name, b.version); });
  return out;
}

Status InferenceServer::load_model(const std::string& model) {
  if (impl_->draining.load()) return Status(StatusCode::kUnavailable, "the server is shutting down");
  std::lock_guard<std::mutex> lock(impl_->load_mu);
  return impl_->load(model);
}

Status InferenceServer::unload_model(const std::string& model) {
  std::lock_guard<std::mutex> lock(impl_->load_mu);
  return impl_->remove(model);
}

Status InferenceServer::poll_repository() {
  std::lock_guard<std::mutex> lock(impl_->load_mu);
  return impl_->poll_locked();
}

std::string InferenceServer::metrics_text() const {
  std::map<std::string, std::string> labels;  // runtime key -> model/version labels
  {
    std::shared_lock<std::shared_mutex> lock(impl_->table_mu);
    for (const auto& [name, m] : impl_->models) {
      for (const auto& [number, state] : m.versions) {
        if (state.served) labels[state.served->runtime_key] = version_labels(*state.served);
      }
    }
  }
  {
    std::lock_guard<std::mutex> lock(impl_->retired_mu);
    for (const auto& v : impl_->retired) {
      labels[v->runtime_key] = version_labels(*v);
    }
  }
  std::string out = fmt::format("# HELP top_build_info The server's version and backend (value 1).\n"
                                "# TYPE top_build_info gauge\ntop_build_info{{{},{}}} 1\n",
                                prometheus_label("version", version()), prometheus_label("backend", impl_->options.runtime.backend));
  impl_->metrics.append_prometheus(out);
  out += to_prometheus(impl_->runtime->stats(), [&](const std::string& key) {
    auto it = labels.find(key);
    return it != labels.end() ? it->second : prometheus_label("model", key);
  });
  return out;
}

void InferenceServer::begin_drain() { impl_->draining.store(true); }

bool InferenceServer::wait_idle(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(impl_->idle_mu);
  return impl_->idle_cv.wait_for(lock, timeout, [&] { return impl_->in_flight == 0; });
}

void InferenceServer::cancel_queued() {
  begin_drain();
  impl_->runtime->shutdown(ShutdownMode::kCancel);  // every task ends; their callbacks answer
  std::unique_lock<std::mutex> lock(impl_->idle_mu);
  impl_->idle_cv.wait(lock, [&] { return impl_->in_flight == 0; });
}

void InferenceServer::shutdown() {
  if (impl_->stopped.exchange(true)) return;
  begin_drain();
  {
    std::unique_lock<std::mutex> lock(impl_->idle_mu);
    impl_->idle_cv.wait(lock, [&] { return impl_->in_flight == 0; });
  }
  {
    std::lock_guard<std::mutex> lock(impl_->maintenance_mu);
    impl_->stop_maintenance = true;
  }
  impl_->maintenance_cv.notify_all();
  if (impl_->maintenance.joinable()) impl_->maintenance.join();
  impl_->runtime->shutdown(ShutdownMode::kDrain);
}

const char* model_control_name(ModelControl c) {
  switch (c) {
    case ModelControl::kNone: return "none";
    case ModelControl::kPoll: return "poll";
    case ModelControl::kExplicit: return "explicit";
  }
  return "?";
}

}  // namespace top::serve

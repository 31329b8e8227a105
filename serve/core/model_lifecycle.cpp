// Model versions over their life in the server: loaded from the repository (or a
// reload that keeps the previous load when the new one fails), retired when replaced or
// unloaded, freed from the runtime once their last request is answered, and the poll
// that follows the repository folder.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "runtime/policy_spec.h"
#include "serve/core/server_state.h"
#include "serve/protocol/datatype.h"
#include "serve/repository/model_repository.h"
#include "top/model.h"

namespace top::serve {

std::shared_ptr<ServedVersion> InferenceServer::Impl::find(const std::string& model, const std::string& version,
                                                           Status* why, bool claim) const {
  std::shared_lock<std::shared_mutex> lock(table_mu);
  const auto claimed = [claim](const std::shared_ptr<ServedVersion>& v) {
    if (claim) v->pending.fetch_add(1);
    return v;
  };
  auto m = models.find(model);
  if (m == models.end()) {
    *why = NotFound(fmt::format("unknown model '{}'", model));
    return nullptr;
  }
  if (version.empty()) {
    for (auto v = m->second.versions.rbegin(); v != m->second.versions.rend(); ++v) {
      if (v->second.served) return claimed(v->second.served);
    }
    *why = Status(StatusCode::kUnavailable,
                  fmt::format("model '{}' has no ready version{}", model,
                              m->second.problem.ok() ? "" : ": " + m->second.problem.message()));
    return nullptr;
  }
  for (const auto& [number, state] : m->second.versions) {
    if (std::to_string(number) != version) continue;
    if (state.served) return claimed(state.served);
    *why = Status(StatusCode::kUnavailable,
                  fmt::format("model '{}' version {} is not ready: {}", model, version, state.reason));
    return nullptr;
  }
  *why = NotFound(fmt::format("model '{}' has no version '{}'", model, version));
  return nullptr;
}

Status InferenceServer::Impl::load(const std::string& name) {
  // load_mu held by the caller.
  auto scanned = scan_model(options.repository, name);
  if (!scanned.ok()) return scanned.status();
  RepositoryModel repo = std::move(*scanned);
  ModelState next;
  next.fingerprint = repo.fingerprint;
  next.problem = repo.problem;
  Status first_error = repo.problem;
  std::string spec = repo.config.policy;
  if (spec.empty()) spec = options.default_policy.empty() ? launch_policy_spec(repo.config) : options.default_policy;

  for (const RepositoryVersion& rv : repo.versions) {
    VersionState& state = next.versions[rv.version];
    const auto fail = [&](const Status& s) {
      state.reason = s.message();
      spdlog::warn("model '{}' version {}: {}", name, rv.version, s.to_string());
      if (first_error.ok()) first_error = s.with_context(fmt::format("model '{}' version {}", name, rv.version));
    };
    auto policy = runtime::parse_policy(spec);
    if (!policy.ok()) {
      fail(policy.status());
      continue;
    }
    auto model = Model::load(rv.path);
    if (!model.ok()) {
      fail(model.status());
      continue;
    }
    auto v = std::make_shared<ServedVersion>();
    v->model = name;
    v->version = rv.version;
    v->runtime_key = fmt::format("{}:{}#{}", name, rv.version, next_generation++);
    v->inputs = model->inputs();
    v->outputs = model->outputs();
    v->config = repo.config;
    for (const auto* list : {&v->inputs, &v->outputs}) {
      for (const TensorInfo& t : *list) {
        if (state.reason.empty() && (!v2_datatype_name(t.dtype) || t.sequence || t.optional)) {
          fail(Unsupported(fmt::format("{} '{}' is not a tensor the v2 protocol can carry",
                                       list == &v->inputs ? "input" : "output", t.name)));
        }
      }
    }
    if (!state.reason.empty()) continue;
    router.set(v->runtime_key, spec, policy->launch, policy->graph);
    ModelOptions mo;
    mo.slo_ms = repo.config.slo_ms;
    if (Status st = runtime->load_model(v->runtime_key, *model, mo); !st.ok()) {
      router.remove(v->runtime_key);
      fail(st);
      continue;
    }
    state.served = std::move(v);
    state.state = "READY";
    spdlog::info("model '{}' version {} ready ({}, policy {})", name, rv.version, rv.path, spec);
  }
  if (!repo.problem.ok()) spdlog::warn("model '{}': {}", name, repo.problem.to_string());

  // Swap: new requests see the new versions at once; the old ones finish where they are.
  // A version whose new file or config failed keeps serving its previous load (a poll
  // that caught a file mid-copy must not take a working model down), and the old
  // fingerprint stays so that the next poll tries again.
  ModelState old;
  {
    std::unique_lock<std::shared_mutex> lock(table_mu);
    auto it = models.find(name);
    if (it != models.end()) old = std::move(it->second);
    bool kept = false;
    for (auto& [number, state] : old.versions) {
      if (!state.served) continue;
      auto n = next.versions.find(number);
      const bool replaced = n != next.versions.end() && n->second.served;
      const bool no_longer_selected = repo.problem.ok() && n == next.versions.end();
      if (replaced || no_longer_selected) continue;  // retired below
      VersionState keep;
      keep.served = std::move(state.served);
      keep.state = "READY";
      keep.reason = "reload failed, serving the previous load: " +
                    (n != next.versions.end() ? n->second.reason : repo.problem.message());
      next.versions[number] = std::move(keep);
      kept = true;
    }
    if (kept) next.fingerprint = old.fingerprint;
    models[name] = std::move(next);
  }
  for (auto& [number, state] : old.versions) {
    if (state.served) retire(std::move(state.served));
  }
  return first_error;
}

Status InferenceServer::Impl::remove(const std::string& name) {
  ModelState old;
  {
    std::unique_lock<std::shared_mutex> lock(table_mu);
    auto it = models.find(name);
    if (it == models.end()) return NotFound(fmt::format("model '{}' is not loaded", name));
    old = std::move(it->second);
    models.erase(it);
  }
  for (auto& [number, state] : old.versions) {
    if (state.served) retire(std::move(state.served));
  }
  return Status::Ok();
}

Status InferenceServer::Impl::poll_locked() {
  auto scan = scan_repository(options.repository);
  if (!scan.ok()) return scan.status();
  std::map<std::string, std::string> seen;  // name -> fingerprint
  for (const RepositoryModel& m : *scan) seen[m.name] = m.fingerprint;
  std::vector<std::string> changed, removed;
  {
    std::shared_lock<std::shared_mutex> lock(table_mu);
    for (const auto& [name, fingerprint] : seen) {
      auto it = models.find(name);
      if (it == models.end() || it->second.fingerprint != fingerprint) changed.push_back(name);
    }
    for (const auto& [name, state] : models) {
      if (!seen.count(name)) removed.push_back(name);
    }
  }
  Status first;
  for (const std::string& name : changed) {
    Status st = load(name);
    if (first.ok()) first = st;
  }
  for (const std::string& name : removed) (void)remove(name);
  return first;
}

void InferenceServer::Impl::retire(std::shared_ptr<ServedVersion> v) {
  {
    std::lock_guard<std::mutex> lock(retired_mu);
    retired.push_back(std::move(v));
  }
  sweep_retired();
}

void InferenceServer::Impl::sweep_retired() {
  std::vector<std::shared_ptr<ServedVersion>> done;
  {
    std::lock_guard<std::mutex> lock(retired_mu);
    for (auto it = retired.begin(); it != retired.end();) {
      if ((*it)->pending.load() == 0) {
        done.push_back(std::move(*it));
        it = retired.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& v : done) {
    (void)runtime->unload_model(v->runtime_key);
    router.remove(v->runtime_key);
    spdlog::info("model '{}' version {} unloaded", v->model, v->version);
  }
}

void InferenceServer::Impl::maintenance_loop() {
  auto next_poll = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.poll_interval_s));
  std::unique_lock<std::mutex> lock(maintenance_mu);
  while (!stop_maintenance) {
    maintenance_cv.wait_for(lock, std::chrono::milliseconds(100));
    if (stop_maintenance) break;
    lock.unlock();
    sweep_retired();
    if (options.model_control == ModelControl::kPoll && Clock::now() >= next_poll) {
      std::lock_guard<std::mutex> load_lock(load_mu);
      if (Status st = poll_locked(); !st.ok()) spdlog::warn("repository poll: {}", st.to_string());
      next_poll = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(options.poll_interval_s));
    }
    lock.lock();
  }
}

}  // namespace top::serve

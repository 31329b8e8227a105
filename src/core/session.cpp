#include "top/session.h"

#include <chrono>
#include <mutex>

#include "backend/backend.h"
#include "exec/executor.h"
#include "exec/plan.h"
#include "ir/graph.h"
#include "util/status_guard.h"

namespace top {

struct Session::Impl {
  Model model;
  std::unique_ptr<backend::Backend> backend;
  std::mutex mu;
  std::map<std::vector<Shape>, std::shared_ptr<const exec::ExecutionPlan>> plans;
  std::vector<std::unique_ptr<exec::Arena>> free_arenas;  // reused across runs

  Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(const std::vector<Shape>& shapes) {
    {
      std::lock_guard<std::mutex> lock(mu);
      auto it = plans.find(shapes);
      if (it != plans.end()) return it->second;
    }
    // Planning runs outside the lock; two threads racing on a new shape both plan and
    // the first insert wins, which is harmless.
    TOP_ASSIGN_OR_RETURN(auto plan, exec::make_plan(model.graph(), shapes));
    std::lock_guard<std::mutex> lock(mu);
    return plans.emplace(shapes, plan).first->second;
  }

  std::unique_ptr<exec::Arena> take_arena() {
    std::lock_guard<std::mutex> lock(mu);
    if (free_arenas.empty()) return std::make_unique<exec::Arena>();
    auto a = std::move(free_arenas.back());
    free_arenas.pop_back();
    return a;
  }
  void give_arena(std::unique_ptr<exec::Arena> a) {
    std::lock_guard<std::mutex> lock(mu);
    free_arenas.push_back(std::move(a));
  }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, RunProfile* profile) {
    const ir::Graph& g = *model.graph();
    std::vector<const Tensor*> ptrs;
    for (const Tensor& t : inputs) ptrs.push_back(&t);
    TOP_ASSIGN_OR_RETURN(std::vector<Shape> shapes, exec::check_inputs(g, ptrs));
    TOP_ASSIGN_OR_RETURN(auto plan, plan_for(shapes));
    auto arena = take_arena();
    auto start = std::chrono::steady_clock::now();
    exec::StepObserver observer;
    if (profile) {
      profile->ops.clear();
      observer = [&](const exec::Step& s, std::chrono::steady_clock::time_point b, std::chrono::steady_clock::time_point e) {
        const ir::Node& n = g.nodes[s.node];
        profile->ops.push_back({n.name, n.op_type, std::chrono::duration<double, std::micro>(e - b).count()});
      };
    }
    auto out = backend->run(*plan, ptrs, *arena, profile ? &observer : nullptr);
    if (profile)
      profile->total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    give_arena(std::move(arena));
    return out;
  }

  Result<std::map<std::string, Tensor>> run_named(const std::map<std::string, Tensor>& inputs) {
    const ir::Graph& g = *model.graph();
    std::vector<Tensor> ordered;
    for (ir::ValueId v : g.inputs) {
      auto it = inputs.find(g.values[v].name);
      if (it == inputs.end()) return InvalidArgument("input '" + g.values[v].name + "' is missing");
      ordered.push_back(it->second);
    }
    for (const auto& kv : inputs) {
      bool known = false;
      for (ir::ValueId v : g.inputs) known |= g.values[v].name == kv.first;
      if (!known) return InvalidArgument("the model has no input named '" + kv.first + "'");
    }
    TOP_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run(ordered, nullptr));
    std::map<std::string, Tensor> named;
    for (size_t i = 0; i < g.outputs.size(); ++i) named[g.values[g.outputs[i]].name] = outs[i];
    return named;
  }

  Result<PlanInfo> plan_info(const std::vector<Shape>& input_shapes) {
    TOP_ASSIGN_OR_RETURN(auto plan, plan_for(input_shapes));
    PlanInfo info;
    info.activation_bytes = plan->arena_bytes;
    info.activation_bytes_naive = plan->naive_bytes;
    for (const exec::Slot& s : plan->slots)
      if (s.kind == exec::Slot::Kind::kConstant) info.constant_bytes += s.constant.nbytes();
    info.steps = static_cast<int>(plan->steps.size());
    info.folded_nodes = plan->folded_nodes;
    info.flops = plan->total_flops();
    return info;
  }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::~Session() = default;

Result<std::unique_ptr<Session>> Session::create(const Model& model, const SessionOptions& opts) {
  if (!model.graph()) return InvalidArgument("model is empty");
  return status_guard("Session::create", [&]() -> Result<std::unique_ptr<Session>> {
    backend::BackendOptions bo;
    bo.num_threads = opts.num_threads;
    TOP_ASSIGN_OR_RETURN(auto be, backend::create_backend(opts.backend, bo));
    auto impl = std::unique_ptr<Impl>(new Impl{model, std::move(be), {}, {}, {}});
    return std::unique_ptr<Session>(new Session(std::move(impl)));
  });
}

const Model& Session::model() const { return impl_->model; }
int Session::num_threads() const { return impl_->backend->num_threads(); }

Result<std::vector<Tensor>> Session::run(const std::vector<Tensor>& inputs, RunProfile* profile) {
  return status_guard("Session::run", [&] { return impl_->run(inputs, profile); });
}

Result<std::map<std::string, Tensor>> Session::run_named(const std::map<std::string, Tensor>& inputs) {
  return status_guard("Session::run_named", [&] { return impl_->run_named(inputs); });
}

Result<PlanInfo> Session::plan_info(const std::vector<Shape>& input_shapes) {
  return status_guard("Session::plan_info", [&] { return impl_->plan_info(input_shapes); });
}

}  // namespace top

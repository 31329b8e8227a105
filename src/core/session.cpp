#include "top/session.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "backend/backend.h"
#include "exec/executor.h"
#include "exec/plan.h"
#include "ir/graph.h"
#include "util/status_guard.h"

namespace top {

struct Session::Impl {
  Impl(Model m, std::unique_ptr<backend::Backend> b) : model(std::move(m)), backend(std::move(b)) {}

  Model model;
  std::unique_ptr<backend::Backend> backend;
  std::mutex mu;
  // Plans by input shapes and, for the inputs in value_keyed, input values.
  using PlanKey = std::pair<std::vector<Shape>, std::vector<std::string>>;
  std::map<PlanKey, std::shared_ptr<const exec::ExecutionPlan>> plans;
  // Graph inputs whose values a shape rule needs (a Reshape's shape or a Resize's scales
  // fed as inputs): learned from the first plan that failed without them, then part of
  // every plan's key. Such plans are specialised to the values, so their number is held
  // to kMaxPlans; past it the cache starts over.
  std::vector<size_t> value_keyed;
  static constexpr size_t kMaxPlans = 256;
  static constexpr int64_t kMaxKeyedElements = 4096;  // shape-like inputs are small
  std::vector<std::unique_ptr<exec::Arena>> free_arenas;  // reused across runs

  // `inputs` may be empty (plan_info): then no input's value is known.
  Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(const std::vector<Shape>& shapes,
                                                              const std::vector<const Tensor*>& inputs = {}) {
    for (;;) {
      PlanKey key{shapes, {}};
      exec::PlanOptions opts;
      std::vector<size_t> needed;
      std::vector<ir::ValueId> values_needed;
      opts.inputs_needing_values = &needed;
      opts.values_needing_values = &values_needed;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (!inputs.empty()) {
          opts.input_values.assign(inputs.size(), nullptr);
          for (size_t i : value_keyed) {
            key.second.emplace_back(static_cast<const char*>(inputs[i]->raw_data()), inputs[i]->nbytes());
            opts.input_values[i] = inputs[i];
          }
        }
        auto it = plans.find(key);
        if (it != plans.end()) return it->second;
      }
      // Planning runs outside the lock; two threads racing on a new key both plan and
      // the first insert wins, which is harmless.
      auto plan = exec::make_plan(model.graph(), shapes, opts);
      std::unique_lock<std::mutex> lock(mu);
      if (plan.ok()) {
        if (plans.size() >= kMaxPlans) plans.clear();
        return plans.emplace(key, *plan).first->second;
      }
      bool learned = false;
      for (size_t i : needed) {
        if (inputs.empty() || inputs[i]->numel() > kMaxKeyedElements) continue;
        if (std::find(value_keyed.begin(), value_keyed.end(), i) != value_keyed.end()) continue;
        value_keyed.push_back(i);
        learned = true;
      }
      if (learned) continue;  // each pass learns an input, so this ends
      if (inputs.empty() || values_needed.empty()) return plan.status();
      lock.unlock();  // evaluation takes arenas under the lock
      return plan_by_evaluation(shapes, inputs, opts, plan.status());
    }
  }

  // Run-time shape evaluation: a shape rule needs values computed from large run-time
  // data (a NonZero of an activation). The part of the graph that computes them runs
  // first; the graph is then planned with those values known, and again as long as
  // planning asks for more (at most kMaxEvaluationRounds). Such plans hold to one run's
  // data, so they are not cached: each run of these models plans and runs the prefix.
  static constexpr int kMaxEvaluationRounds = 8;
  Result<std::shared_ptr<const exec::ExecutionPlan>> plan_by_evaluation(const std::vector<Shape>& shapes,
                                                                        const std::vector<const Tensor*>& inputs,
                                                                        exec::PlanOptions opts, Status first_error) {
    const std::shared_ptr<const ir::Graph>& graph = model.graph();
    std::vector<ir::ValueId> needed = *opts.values_needing_values;
    std::vector<ir::ValueId> values_needed;
    opts.values_needing_values = &values_needed;
    opts.inputs_needing_values = nullptr;
    opts.prune_dead = true;
    for (int round = 0; round < kMaxEvaluationRounds; ++round) {
      // The values asked for: graph inputs are at hand, the others come from a partial run.
      auto prefix = std::make_shared<ir::Graph>(*graph);
      prefix->outputs.clear();
      for (ir::ValueId v : needed) {
        const auto in = std::find(graph->inputs.begin(), graph->inputs.end(), v);
        if (in != graph->inputs.end()) {
          opts.known_values.emplace_back(v, *inputs[static_cast<size_t>(in - graph->inputs.begin())]);
        } else if (std::none_of(opts.known_values.begin(), opts.known_values.end(),
                                [&](const auto& kv) { return kv.first == v; })) {
          prefix->outputs.push_back(v);
        }
      }
      if (!prefix->outputs.empty()) {
        auto part = exec::make_plan(prefix, shapes, opts);
        if (!part.ok()) return part.status().with_context("evaluating shapes at run time");
        auto arena = take_arena();
        auto values = backend->run(**part, inputs, *arena, nullptr);
        give_arena(std::move(arena));
        if (!values.ok()) return values.status().with_context("evaluating shapes at run time");
        for (size_t i = 0; i < prefix->outputs.size(); ++i) opts.known_values.emplace_back(prefix->outputs[i], (*values)[i]);
      }
      auto plan = exec::make_plan(graph, shapes, opts);
      if (plan.ok()) return plan;
      if (values_needed.empty()) return plan.status();
      bool progress = false;
      for (ir::ValueId v : values_needed)
        progress |= std::none_of(opts.known_values.begin(), opts.known_values.end(),
                                 [&](const auto& kv) { return kv.first == v; });
      if (!progress) return plan.status();
      needed = values_needed;
    }
    return first_error.with_context("shapes still unknown after " + std::to_string(kMaxEvaluationRounds) +
                                    " rounds of run-time evaluation");
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
    TOP_ASSIGN_OR_RETURN(auto plan, plan_for(shapes, ptrs));
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
    auto impl = std::unique_ptr<Impl>(new Impl(model, std::move(be)));
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

#include "top/session.h"

#include <algorithm>
#include <chrono>
#include <mutex>

#include "backend/backend.h"
#include "backend/cpu/cpu_backend.h"
#include "exec/executor.h"
#include "exec/interpreter.h"
#include "exec/plan.h"
#include "ir/graph.h"
#include "util/status_guard.h"

namespace top {

namespace {

// Inputs of an interpreted model against the declared types: kind (tensor, sequence,
// none only where optional), dtype, rank and fixed dims (of each element of a sequence;
// a symbolic dim must agree across the tensor inputs, while a sequence's elements may
// differ in it).
Status check_value_inputs(const ir::Graph& g, const std::vector<Value>& inputs) {
  if (inputs.size() != g.inputs.size())
    return InvalidArgument("model expects " + std::to_string(g.inputs.size()) + " inputs, got " +
                           std::to_string(inputs.size()));
  std::map<std::string, int64_t> symbols;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value& d = g.values[g.inputs[i]];
    const Value& v = inputs[i];
    const std::string what = "input '" + d.name + "'";
    if (v.is_none()) {
      if (!d.is_optional) return InvalidArgument(what + " is missing (it is not optional)");
      continue;
    }
    if (v.is_sequence() != d.is_sequence)
      return InvalidArgument(what + " expects a " + (d.is_sequence ? "sequence" : "tensor") + ", got a " +
                             value_kind_name(v.kind()));
    if (v.is_sequence() && v.elem_dtype() != d.dtype)
      return InvalidArgument(what + " expects a sequence of " + dtype_name(d.dtype) + ", got one of " +
                             dtype_name(v.elem_dtype()));
    const std::vector<Tensor> one{v.is_tensor() ? v.tensor() : Tensor()};
    const std::vector<Tensor>& tensors = v.is_tensor() ? one : v.elements();
    for (size_t k = 0; k < tensors.size(); ++k) {
      const Tensor& t = tensors[k];
      const std::string which = v.is_sequence() ? what + " element " + std::to_string(k) : what;
      if (!t.defined()) return InvalidArgument(which + " is an undefined tensor");
      if (t.dtype() != d.dtype)
        return InvalidArgument(which + " expects dtype " + dtype_name(d.dtype) + ", got " + dtype_name(t.dtype()));
      if (!d.has_shape) continue;
      bool ok = t.shape().size() == d.shape.size();
      for (size_t j = 0; ok && j < d.shape.size(); ++j) {
        ok = d.shape[j] < 0 || d.shape[j] == t.shape()[j];
        const std::string& sym = j < d.dim_names.size() ? d.dim_names[j] : std::string();
        if (ok && !sym.empty() && v.is_tensor()) ok = symbols.emplace(sym, t.shape()[j]).first->second == t.shape()[j];
      }
      if (!ok) return InvalidArgument(which + " expects shape " + shape_str(d.shape) + ", got " + shape_str(t.shape()));
    }
  }
  return Status::Ok();
}

}  // namespace

struct Session::Impl {
  Impl(Model m, std::unique_ptr<backend::Backend> b)
      : model(std::move(m)), backend(std::move(b)), interpreted(exec::needs_interpreter(*model.graph())) {}

  Model model;
  std::unique_ptr<backend::Backend> backend;
  // Sequence or optional values somewhere: run by exec::interpret, never planned.
  const bool interpreted;
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

  Result<std::vector<Value>> interpret(const std::vector<Value>& inputs, RunProfile* profile) {
    auto* cpu = dynamic_cast<backend::CpuBackend*>(backend.get());
    if (cpu == nullptr)
      return Unsupported("this model holds sequence or optional values, which only the cpu backend runs (the " +
                         backend->name() + " backend runs planned tensor graphs)");
    TOP_RETURN_IF_ERROR(check_value_inputs(*model.graph(), inputs));
    const auto start = std::chrono::steady_clock::now();
    auto out = exec::interpret(*model.graph(), inputs, &cpu->pool());
    if (profile) {
      profile->ops.clear();
      profile->total_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    return out;
  }

  Result<std::vector<Value>> run_values(const std::vector<Value>& inputs, RunProfile* profile) {
    if (interpreted) return interpret(inputs, profile);
    std::vector<Tensor> tensors;
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (!inputs[i].is_tensor())
        return InvalidArgument("input " + std::to_string(i) + " is a " + value_kind_name(inputs[i].kind()) +
                               "; this model takes tensors only");
      tensors.push_back(inputs[i].tensor());
    }
    TOP_ASSIGN_OR_RETURN(std::vector<Tensor> outs, run(tensors, profile));
    return std::vector<Value>(outs.begin(), outs.end());
  }

  Result<std::vector<Tensor>> run(const std::vector<Tensor>& inputs, RunProfile* profile) {
    const ir::Graph& g = *model.graph();
    if (interpreted) {
      for (ir::ValueId v : g.inputs)
        if (g.values[v].is_sequence)
          return InvalidArgument("input '" + g.values[v].name + "' is a sequence: use Session::run_values");
      TOP_ASSIGN_OR_RETURN(std::vector<Value> outs, interpret(std::vector<Value>(inputs.begin(), inputs.end()), profile));
      std::vector<Tensor> tensors;
      for (size_t i = 0; i < outs.size(); ++i) {
        if (!outs[i].is_tensor())
          return InvalidArgument("output '" + g.values[g.outputs[i]].name + "' is a " +
                                 value_kind_name(outs[i].kind()) + ": use Session::run_values");
        tensors.push_back(outs[i].tensor());
      }
      return tensors;
    }
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
    if (interpreted)
      return Unsupported("this model holds sequence or optional values: it is interpreted node by node, not planned");
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

Result<std::vector<Value>> Session::run_values(const std::vector<Value>& inputs, RunProfile* profile) {
  return status_guard("Session::run_values", [&] { return impl_->run_values(inputs, profile); });
}

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

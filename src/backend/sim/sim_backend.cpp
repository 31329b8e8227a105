#include "backend/sim/sim_backend.h"

#include "runtime/launcher_core.h"

namespace top::backend {

SimBackend::SimBackend(std::shared_ptr<const profile::CostModel> cost, int num_threads)
    : cost_(std::move(cost)), threads_(std::max(1, num_threads)) {}

Result<std::unique_ptr<SimBackend>> SimBackend::create(const BackendOptions& opts) {
  std::shared_ptr<const profile::CostModel> cost;
  if (!opts.profile.empty()) {
    auto p = profile::load_profile(opts.profile);
    if (!p.ok()) return p.status().with_context("sim backend: profile '" + opts.profile + "'");
    cost = std::make_shared<profile::CostModel>(std::move(p).value());
  } else {
    auto d = profile::device_by_name(opts.device.empty() ? "cpu" : opts.device);
    if (!d.ok()) return d.status().with_context("sim backend: device '" + opts.device + "'");
    cost = std::make_shared<profile::CostModel>(std::move(d).value());
  }
  // CPU threads default to the simulated CPU's cores (GPUs ignore them).
  int threads = opts.num_threads > 0 ? opts.num_threads : std::max(1, cost->device().compute_units);
  if (cost->device().is_gpu()) threads = opts.num_threads > 0 ? opts.num_threads : 1;
  return std::make_unique<SimBackend>(std::move(cost), threads);
}

double SimBackend::now_ms() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_ms_;
}

double SimBackend::plan_ms(const exec::ExecutionPlan& plan) const {
  double ms = 0;
  for (const exec::Step& s : plan.steps) ms += cost_->op(plan, s, threads_).ms;
  return ms;
}

Result<std::vector<Tensor>> SimBackend::run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                            exec::Arena& arena, const exec::StepObserver* observer) {
  if (inputs.size() != plan.input_shapes.size())
    return InvalidArgument("sim backend: the plan takes " + std::to_string(plan.input_shapes.size()) +
                           " inputs, got " + std::to_string(inputs.size()));
  std::vector<double> step_ms;
  step_ms.reserve(plan.steps.size());
  double total = 0;
  for (const exec::Step& s : plan.steps) {
    step_ms.push_back(cost_->op(plan, s, threads_).ms);
    total += step_ms.back();
  }
  double begin;
  {
    std::lock_guard<std::mutex> lock(mu_);
    begin = clock_ms_;
    clock_ms_ += total;
  }
  if (observer) {
    const runtime::Clock::time_point epoch{};
    double t = begin;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      (*observer)(plan.steps[i], runtime::plus_ms(epoch, t), runtime::plus_ms(epoch, t + step_ms[i]));
      t += step_ms[i];
    }
  }
  std::vector<Tensor> outs;
  const ir::Graph& g = *plan.graph;
  for (ir::ValueId v : g.outputs) {
    const exec::Slot& slot = plan.slots[static_cast<size_t>(v)];
    if (slot.kind == exec::Slot::Kind::kConstant) {
      outs.push_back(slot.constant.clone());
      if (!outs.back().defined()) return OutOfMemory("sim backend: cannot copy a constant output");
      continue;
    }
    auto in = std::find(g.inputs.begin(), g.inputs.end(), v);
    if (in != g.inputs.end()) {
      outs.push_back(inputs[static_cast<size_t>(in - g.inputs.begin())]->clone());
      if (!outs.back().defined()) return OutOfMemory("sim backend: cannot copy an input passed through as output");
      continue;
    }
    TOP_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(slot.dtype, slot.shape));
    outs.push_back(std::move(t));
  }
  return outs;
}

}  // namespace top::backend

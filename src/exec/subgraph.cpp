#include "exec/subgraph.h"

#include <cstring>

#include "exec/executor.h"

namespace top::exec {
namespace {

// Inputs whose values a body may be planned with: small integer and bool tensors.
bool plannable_by_value(const ops::ValueInfo& v) {
  return v.constant != nullptr &&
         (v.dtype == DataType::kInt64 || v.dtype == DataType::kInt32 || v.dtype == DataType::kBool) &&
         v.constant->numel() <= Subgraph::kMaxValueElements;
}

std::string plan_key(const std::vector<ops::ValueInfo>& inputs, bool with_values) {
  std::string key;
  for (const ops::ValueInfo& v : inputs) {
    key += std::to_string(static_cast<int>(v.dtype)) + shape_str(v.shape);
    if (with_values && plannable_by_value(v)) {
      key += '=';
      key.append(static_cast<const char*>(v.constant->raw_data()), v.constant->nbytes());
    }
    key += ';';
  }
  return key;
}

}  // namespace

Result<std::shared_ptr<const ExecutionPlan>> Subgraph::plan_for(const std::vector<ops::ValueInfo>& inputs,
                                                                bool with_values, std::vector<size_t>* needing) const {
  if (inputs.size() != num_inputs())
    return Internal("subgraph '" + graph_->name + "' takes " + std::to_string(num_inputs()) + " inputs, given " +
                    std::to_string(inputs.size()));
  const std::string key = plan_key(inputs, with_values);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = plans_.find(key);
    if (it != plans_.end() && it->second.plan) return it->second.plan;
    if (it != plans_.end() && !with_values) {  // remembered: these shapes need values
      if (needing) *needing = it->second.needing;
      return Unsupported("subgraph '" + graph_->name + "' needs input values to plan");
    }
  }
  std::vector<Shape> shapes;
  PlanOptions opts;
  std::vector<size_t> missing;
  opts.inputs_needing_values = &missing;
  for (const ops::ValueInfo& v : inputs) {
    shapes.push_back(v.shape);
    opts.input_dtypes.push_back(v.dtype);
    opts.input_values.push_back(with_values && plannable_by_value(v) ? v.constant : nullptr);
  }
  Result<std::shared_ptr<const ExecutionPlan>> plan = make_plan(graph_, shapes, opts);
  if (needing) *needing = missing;
  std::lock_guard<std::mutex> lock(mu_);
  if (plans_.size() >= kMaxPlans) plans_.clear();
  if (plan.ok()) {
    plans_[key] = Cached{*plan, {}};
  } else if (!with_values && !missing.empty()) {
    plans_[key] = Cached{nullptr, missing};
  }
  if (!plan.ok()) return plan.status().with_context("subgraph '" + graph_->name + "'");
  return plan;
}

Result<std::vector<ops::ValueInfo>> Subgraph::infer(const std::vector<ops::ValueInfo>& inputs,
                                                    std::vector<size_t>* needing) const {
  TOP_ASSIGN_OR_RETURN(std::shared_ptr<const ExecutionPlan> plan, plan_for(inputs, true, needing));
  std::vector<ops::ValueInfo> out;
  for (ir::ValueId v : graph_->outputs) {
    const Slot& s = plan->slots[static_cast<size_t>(v)];
    out.push_back(ops::ValueInfo{s.dtype, s.shape, nullptr});
  }
  return out;
}

Result<std::vector<Tensor>> Subgraph::run(const std::vector<const Tensor*>& inputs, ThreadPool* pool) const {
  std::vector<ops::ValueInfo> infos;
  for (const Tensor* t : inputs) {
    if (t == nullptr) return InvalidArgument("subgraph '" + graph_->name + "': an input is missing");
    infos.push_back(ops::ValueInfo{t->dtype(), t->shape(), t});
  }
  // A plan that does not depend on input values serves every run of these shapes; only
  // when the body's shape rules need values is it planned for them.
  std::vector<size_t> needing;
  Result<std::shared_ptr<const ExecutionPlan>> plan = plan_for(infos, false, &needing);
  if (!plan.ok() && needing.empty()) return plan.status();
  if (!plan.ok()) plan = plan_for(infos, true, nullptr);
  if (!plan.ok()) return plan.status();
  Arena arena;
  return run_plan(**plan, inputs, arena, pool);
}

Status copy_into(Tensor& dst, const Tensor& src, const std::string& what) {
  if (dst.dtype() != src.dtype() || dst.shape() != src.shape())
    return InvalidArgument(what + " is " + dtype_name(src.dtype()) + " " + shape_str(src.shape()) +
                           ", but was planned as " + dtype_name(dst.dtype()) + " " + shape_str(dst.shape()));
  if (src.nbytes() > 0) std::memcpy(dst.raw_data(), src.raw_data(), src.nbytes());
  return Status::Ok();
}

}  // namespace top::exec

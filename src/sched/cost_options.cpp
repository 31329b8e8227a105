#include "sched/cost_options.h"

#include <vector>

namespace top::sched {

GeneratorOptions cost_model_options(std::shared_ptr<const profile::CostModel> cm,
                                    std::shared_ptr<const exec::ExecutionPlan> plan, int threads_per_stream,
                                    bool stage_model, GeneratorOptions base) {
  auto estimates = std::make_shared<std::vector<profile::OpEstimate>>();
  estimates->reserve(plan->steps.size());
  for (const exec::Step& step : plan->steps) estimates->push_back(cm->op(*plan, step, threads_per_stream));

  base.cost_model = cm;
  base.threads_per_stream = threads_per_stream;
  base.op_cost = [estimates](const exec::OpRef& r) { return (*estimates)[static_cast<size_t>(r.step)].ms; };
  if (stage_model) {
    base.stage_cost = [cm, estimates](const std::vector<std::vector<exec::OpRef>>& groups) {
      std::vector<std::vector<profile::OpEstimate>> est(groups.size());
      for (size_t g = 0; g < groups.size(); ++g)
        for (const exec::OpRef& r : groups[g]) est[g].push_back((*estimates)[static_cast<size_t>(r.step)]);
      return cm->stage(est).ms;
    };
  }
  base.merged_cost = [cm, plan, threads_per_stream](const std::vector<exec::OpRef>& ops) {
    std::vector<int> steps;
    for (const exec::OpRef& r : ops) steps.push_back(r.step);
    return cm->merged_conv(*plan, steps, threads_per_stream).ms;
  };
  return base;
}

}  // namespace top::sched

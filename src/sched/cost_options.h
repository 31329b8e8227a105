// Generator options priced by the cost model (src/profile): what turns flop-weighted
// schedule generation into latency-driven generation.
//
//   auto cm = std::make_shared<const profile::CostModel>(load_profile(path).value());
//   sched::GeneratorOptions go = sched::cost_model_options(cm, plan, /*threads_per_stream=*/1);
//   go.max_groups = streams;
//   auto s = sched::make_schedule("ios-dp", exec::TaskGraph::build(plan, k), go);
//
// op_cost: each step's estimate (computed once, here); stage_cost (when `stage_model`):
// the cost model's processor-sharing model of concurrent groups, co-run slow-downs
// included; merged_cost: CostModel::merged_conv, so ios-dp considers merge stages.
#pragma once

#include <memory>

#include "exec/plan.h"
#include "profile/cost_model.h"
#include "sched/generators.h"

namespace top::sched {

GeneratorOptions cost_model_options(std::shared_ptr<const profile::CostModel> cm,
                                    std::shared_ptr<const exec::ExecutionPlan> plan, int threads_per_stream,
                                    bool stage_model = true, GeneratorOptions base = {});

}  // namespace top::sched

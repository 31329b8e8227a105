#include "runtime/executor_calibration.h"

#include <algorithm>
#include <chrono>
#include <future>

#include "runtime/stage_executor.h"
#include "sched/generators.h"
#include "util/median.h"

namespace top::runtime {

Result<double> run_instance_ms(StageExecutor& ex, const std::shared_ptr<const exec::CompiledSchedule>& cs,
                               const std::vector<Tensor>& inputs, std::vector<exec::Arena>& arenas) {
  auto inst = std::make_shared<Instance>();
  inst->compiled = cs;
  inst->inputs.assign(static_cast<size_t>(cs->schedule.num_tasks), inputs);
  inst->arenas = std::move(arenas);
  TOP_RETURN_IF_ERROR(inst->bind());
  std::promise<void> done;
  inst->on_done = [&done](Instance&) { done.set_value(); };
  const auto t0 = std::chrono::steady_clock::now();
  ex.submit(inst);
  done.get_future().wait();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  for (const Status& st : inst->task_error) TOP_RETURN_IF_ERROR(st);
  arenas = std::move(inst->arenas);
  return ms;
}

Result<double> measure_group_overhead_ms(std::shared_ptr<const exec::ExecutionPlan> plan,
                                         const std::vector<Tensor>& inputs, int repeat) {
  const int steps = static_cast<int>(plan->steps.size());
  if (steps < 2) return InvalidArgument("measure_group_overhead_ms: the plan needs at least two operators");
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  TOP_ASSIGN_OR_RETURN(exec::Schedule one, sched::sequential_schedule(tg));
  exec::Schedule chain = one;
  chain.stages.clear();
  for (int s = 0; s < steps; ++s) chain.stages.push_back(exec::Stage{{exec::Group{{exec::OpRef{0, s}}}}});
  chain.generator = "chain";
  TOP_ASSIGN_OR_RETURN(auto one_cs, exec::CompiledSchedule::compile(std::move(one)));
  TOP_ASSIGN_OR_RETURN(auto chain_cs, exec::CompiledSchedule::compile(std::move(chain)));
  StageExecutor ex(1, 1, nullptr, nullptr);
  std::vector<exec::Arena> a1, a2;
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, one_cs, inputs, a1).status());  // warm-up
  TOP_RETURN_IF_ERROR(run_instance_ms(ex, chain_cs, inputs, a2).status());
  std::vector<double> t_one, t_chain;
  for (int r = 0; r < std::max(1, repeat); ++r) {
    TOP_ASSIGN_OR_RETURN(double x, run_instance_ms(ex, one_cs, inputs, a1));
    TOP_ASSIGN_OR_RETURN(double y, run_instance_ms(ex, chain_cs, inputs, a2));
    t_one.push_back(x);
    t_chain.push_back(y);
  }
  return std::max(0.0, (median(t_chain) - median(t_one)) / (steps - 1));
}

}  // namespace top::runtime

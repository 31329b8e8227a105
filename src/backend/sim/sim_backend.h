// The simulated backend "sim": runs a plan in virtual time. No tensor math happens —
// each operator advances the backend's virtual clock by the cost model's estimate (a
// device profile's measurement, else the calibrated roofline) — so a laptop can stand in
// for an H100, and an hour of traffic takes seconds (src/sim/simulator.h).
//
//   BackendOptions o;
//   o.profile = "profiles/cpu-amd-epyc-2c.json";   // or o.device = "h100"
//   auto sim = create_backend("sim", o).value();
//   auto outs = sim->run(plan, inputs, arena).value();  // planned shapes, contents zero
//   double ms = static_cast<SimBackend&>(*sim).now_ms();  // virtual time so far
//
// Outputs have the plan's shapes and dtypes; their contents are zero (a graph output
// that is a constant or a graph input is copied, since that costs nothing to get right).
// A StepObserver sees each step's virtual interval as steady_clock time points counted
// from a zero epoch.
//
// Thread safety: run() may be called from several threads; the clock advances by each
// run's sequential time (runs are modelled one after another, not concurrently).
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "backend/backend.h"
#include "profile/cost_model.h"

namespace top::backend {

class SimBackend final : public Backend {
 public:
  SimBackend(std::shared_ptr<const profile::CostModel> cost, int num_threads);

  // Profile file when given (its device), else the named device ("cpu", "h100", ...).
  static Result<std::unique_ptr<SimBackend>> create(const BackendOptions& opts);

  std::string name() const override { return "sim"; }
  int num_threads() const override { return threads_; }
  Result<std::vector<Tensor>> run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                  exec::Arena& arena, const exec::StepObserver* observer = nullptr) override;

  // Virtual milliseconds consumed by every run so far.
  double now_ms() const;
  // Predicted time of one sequential run of `plan` with this backend's threads.
  double plan_ms(const exec::ExecutionPlan& plan) const;
  const profile::CostModel& cost_model() const { return *cost_; }

 private:
  std::shared_ptr<const profile::CostModel> cost_;
  int threads_;
  mutable std::mutex mu_;
  double clock_ms_ = 0;
};

}  // namespace top::backend

// Fidelity of the simulator on this machine's CPU: the event-driven prediction of whole
// schedule instances (backend/sim/virtual_executor.h, with a profile measured here and
// now) against the stage executor's measured latency, for the sequential schedule
// (one one-thread stream) and the greedy 2-group schedule (two one-thread streams),
// on small zoo models. Tolerance 10% on the median of interleaved repetitions.
//
// Timings need a quiet machine: each model is profiled and measured in rounds (profile,
// then the two schedules alternately), and the ratio kept is the median over rounds; a
// model outside the tolerance is measured again (kAttempts in all) before the test fails.
// The profile of each round holds the operators' times, the executor's per-group cost,
// the stream wake-up and the co-run slow-down inside the model's greedy schedule
// (runtime/executor_calibration.h), all measured in that round.
//
//   top_sim_fidelity_tests MODELS_DIR      (ctest sim_fidelity, label "fidelity")
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "backend/sim/virtual_executor.h"
#include "exec/plan.h"
#include "profile/cost_model.h"
#include "profile/profiler.h"
#include "runtime/executor_calibration.h"
#include "runtime/stage_executor.h"
#include "sched/generators.h"
#include "top/model.h"
#include "util/median.h"

namespace top {
namespace {

std::string g_models_dir;

constexpr double kTolerance = 0.10;
constexpr int kRounds = 5;
// The host's noise comes in bursts of seconds (a whole round's operators 1.5x slower),
// so a model outside the tolerance is measured afresh, up to kAttempts times in all. A
// systematic error does not pass this way: before streams polled and the co-run
// slow-down was measured inside the schedule, greedy was 15-18% off in every attempt.
constexpr int kAttempts = 3;
constexpr int kRepeats = 9;  // measured instances per schedule per round

// Random inputs of the graph's declared shapes (symbolic dims = 1), fixed seed.
std::vector<Tensor> random_inputs(const ir::Graph& g, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::normal_distribution<float> nd(0.f, 1.f);
  std::vector<Tensor> out;
  for (ir::ValueId v : g.inputs) {
    Shape s = g.values[v].shape;
    for (int64_t& d : s) d = d < 0 ? 1 : d;
    Tensor t = Tensor::zeros(DataType::kFloat32, s);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
    out.push_back(std::move(t));
  }
  return out;
}

struct ScheduleCase {
  const char* name;
  const char* generator;
  int streams;
  int threads_per_stream;
};
// One-thread streams, the runtime's default. Intra-op scaling at 2 threads is the least
// repeatable thing on a shared 2-vCPU machine (2 threads measured slower than 1 on an
// idle VM whose vCPUs share a core); it is the profiler's business, not the simulator's.
constexpr ScheduleCase kSchedules[] = {{"sequential", "sequential", 1, 1}, {"greedy-2", "greedy", 2, 1}};

// One instance of `compiled` on `ex`, submit to completion (ms).
double measure_once(runtime::StageExecutor& ex, const std::shared_ptr<const exec::CompiledSchedule>& compiled,
                    const std::vector<Tensor>& inputs) {
  std::vector<exec::Arena> arenas;
  auto ms = runtime::run_instance_ms(ex, compiled, inputs, arenas);
  EXPECT_TRUE(ms.ok()) << ms.status().to_string();
  return ms.ok() ? *ms : 0.0;
}

struct Ratios {
  std::vector<double> per_schedule;  // predicted / measured, kSchedules order
  std::vector<double> predicted, measured;
};

Ratios measure_model(const std::string& file) {
  auto model = Model::load(g_models_dir + "/" + file);
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  std::vector<Tensor> inputs = random_inputs(*model->graph(), 7);
  std::vector<Shape> shapes;
  std::vector<const Tensor*> ptrs;
  for (const Tensor& t : inputs) {
    shapes.push_back(t.shape());
    ptrs.push_back(&t);
  }
  auto plan = exec::make_plan(model->graph(), shapes).value();
  std::vector<std::shared_ptr<const exec::CompiledSchedule>> compiled;
  for (const ScheduleCase& s : kSchedules) {
    sched::GeneratorOptions go;
    go.max_groups = s.streams;
    auto sch = sched::make_schedule(s.generator, exec::TaskGraph::build(plan, 1), go).value();
    compiled.push_back(exec::CompiledSchedule::compile(std::move(sch)).value());
  }
  // One executor with as many streams as the widest case runs everything: a second
  // executor's idle streams would poll (runtime/stream_spin.h) and take cores from the
  // one being measured. The sequential schedule is one group, so it keeps one stream.
  int max_streams = 1;
  for (const ScheduleCase& s : kSchedules) max_streams = std::max(max_streams, s.streams);
  runtime::StageExecutor ex(max_streams, 1, nullptr, nullptr);

  const size_t n = std::size(kSchedules);
  std::vector<std::vector<double>> round_ratio(n), round_pred(n), round_meas(n);
  for (int round = 0; round < kRounds; ++round) {
    profile::ProfilerOptions po;
    po.threads = 2;
    po.repeat = 10;
    po.warmup = 2;
    po.model_name = file;
    auto prof = profile::profile_plan(*plan, ptrs, po);
    EXPECT_TRUE(prof.ok()) << prof.status().to_string();
    // The executor's own costs and the co-run slow-down of operators inside the
    // model's 2-stream schedule (runtime/executor_calibration.h), taken in every round
    // next to the op timings: they depend on what else loads the machine at the moment.
    Status cal = runtime::calibrate_executor(prof->profile, plan, inputs, 2);
    EXPECT_TRUE(cal.ok()) << cal.to_string();
    profile::CostModel cost(prof->profile);
    if (std::getenv("TOP_FIDELITY_VERBOSE")) {
      double steps = 0, steps1 = 0;
      for (const auto& t : prof->steps) steps += t.ms;
      for (const auto& t : prof->steps_1thread) steps1 += t.ms;
      std::printf("  %s round %d: whole run %.3f ms, step medians %.3f ms (2 threads), %.3f ms (1 thread), "
                  "co-run slow-down %.3f (two copies) %.3f (in the schedule), group overhead %.1f us, "
                  "wake-up %.1f us\n",
                  file.c_str(), round, prof->run_ms, steps, steps1, prof->profile.concurrency.pairwise_slowdown,
                  prof->profile.has_sibling_concurrency ? prof->profile.sibling_concurrency.pairwise_slowdown : 0.0, 1000 * prof->profile.group_overhead_ms,
                  1000 * prof->profile.stream_wake_ms);
    }
    std::vector<std::vector<double>> ms(n);
    for (size_t i = 0; i < n; ++i) measure_once(ex, compiled[i], inputs);  // warm-up
    for (int r = 0; r < kRepeats; ++r)
      for (size_t i = 0; i < n; ++i) ms[i].push_back(measure_once(ex, compiled[i], inputs));
    for (size_t i = 0; i < n; ++i) {
      double pred = backend::sim::predict_schedule_ms(cost, compiled[i], kSchedules[i].streams,
                                                      kSchedules[i].threads_per_stream,
                                                      backend::sim::default_dispatch(cost, kSchedules[i].streams,
                                                                                        kSchedules[i].threads_per_stream));
      double meas = median(ms[i]);
      round_pred[i].push_back(pred);
      round_meas[i].push_back(meas);
      round_ratio[i].push_back(pred / meas);
    }
  }
  Ratios out;
  if (std::getenv("TOP_FIDELITY_VERBOSE"))
    for (size_t i = 0; i < n; ++i) {
      size_t edges = 0;
      for (const auto& succ : compiled[i]->successors) edges += succ.size();
      std::printf("  %s %s: %zu steps, %zu stages, %zu groups, %zu group edges\n", file.c_str(), kSchedules[i].name,
                  plan->steps.size(), compiled[i]->schedule.stages.size(), compiled[i]->groups.size(), edges);
    }
  for (size_t i = 0; i < n; ++i) {
    out.per_schedule.push_back(median(round_ratio[i]));
    out.predicted.push_back(median(round_pred[i]));
    out.measured.push_back(median(round_meas[i]));
  }
  return out;
}

class SimFidelity : public ::testing::TestWithParam<const char*> {};

TEST_P(SimFidelity, PredictedScheduleLatencyWithinTenPercent) {
  const std::string file = GetParam();
  Ratios r = measure_model(file);
  auto outside = [](const Ratios& x) {
    return std::any_of(x.per_schedule.begin(), x.per_schedule.end(),
                       [](double q) { return std::fabs(q - 1.0) > kTolerance; });
  };
  for (int attempt = 2; attempt <= kAttempts && outside(r); ++attempt) {
    for (size_t i = 0; i < r.per_schedule.size(); ++i)
      std::printf("%s %s: ratio %.3f outside the tolerance, measuring again (attempt %d of %d)\n", file.c_str(),
                  kSchedules[i].name, r.per_schedule[i], attempt, kAttempts);
    r = measure_model(file);
  }
  for (size_t i = 0; i < r.per_schedule.size(); ++i) {
    std::printf("fidelity %-28s %-10s predicted %8.3f ms  measured %8.3f ms  ratio %.3f\n", file.c_str(),
                kSchedules[i].name, r.predicted[i], r.measured[i], r.per_schedule[i]);
    EXPECT_NEAR(r.per_schedule[i], 1.0, kTolerance) << file << " " << kSchedules[i].name;
  }
}

INSTANTIATE_TEST_SUITE_P(SmallZoo, SimFidelity,
                         ::testing::Values("squeezenet1_1_small.onnx", "googlenet_small.onnx", "resnet50_small.onnx"),
                         [](const auto& info) {
                           std::string s = info.param;
                           return s.substr(0, s.find('.'));
                         });

}  // namespace
}  // namespace top

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: top_sim_fidelity_tests MODELS_DIR\n");
    return 2;
  }
  top::g_models_dir = argv[1];
  return RUN_ALL_TESTS();
}

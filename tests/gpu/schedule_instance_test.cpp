// Schedule instances on the GPU: a schedule's groups on several streams (greedy
// generator) for one task and for two tasks merged side by side, run through
// CudaBackend::prepare(); each task's outputs must equal the CPU reference on that
// task's inputs. Then the same instance captured into a CUDA graph: the replay must
// give what the uncaptured run gave, and must read inputs replaced after the capture.
//
// Tolerances: 1e-5 for the in-memory models (a few convolutions, elementwise math),
// kZooTolerance for a zoo model; replay vs uncaptured run 1e-6 (the same kernels on the same data; not 0 only in case
// a library picks a non-deterministic algorithm).
#include <gtest/gtest.h>

#include <ostream>

#include "exec/schedule.h"
#include "gpu_test_util.h"
#include "sched/generators.h"
#include "test_models.h"

namespace top::gputest {
namespace {

constexpr double kTolerance = 1e-5;
constexpr double kReplayTolerance = 1e-6;

struct ScheduleCase {
  std::string model;      // "branchy", "inception_block" (in memory) or a small zoo model
  std::string generator;  // "sequential" or "greedy"
  int streams;            // max_groups
  int tasks;              // k merged task graphs
};

std::string case_label(const ScheduleCase& c) {
  return c.model + "_" + c.generator + std::to_string(c.streams) + "_k" + std::to_string(c.tasks);
}
std::string case_name(const ::testing::TestParamInfo<ScheduleCase>& p) { return case_label(p.param); }
void PrintTo(const ScheduleCase& c, std::ostream* os) { *os << case_label(c); }  // readable ctest names

bool in_memory(const std::string& name) { return name == "branchy" || name == "inception_block"; }

Result<Model> model_named(const std::string& name) {
  if (in_memory(name))
    return testing::load_proto(name == "branchy" ? testing::branchy_model(96) : testing::inception_block_model(11));
  return Model::load(models_dir() + "/" + name + ".onnx");  // scripts/zoo --small-only
}

class GpuScheduleInstance : public ::testing::TestWithParam<ScheduleCase> {
 protected:
  // Per task: fresh random inputs (batch 2) and their CPU outputs.
  void make_task_data(const Model& model, const exec::ExecutionPlan& plan, uint32_t seed) {
    inputs_.clear();
    expected_.clear();
    for (int t = 0; t < GetParam().tasks; ++t) {
      inputs_.push_back(random_model_inputs(model, 2, seed + static_cast<uint32_t>(t)));
      auto cpu = run_cpu(plan, inputs_.back());
      ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
      expected_.push_back(std::move(*cpu));
    }
  }
  std::vector<std::vector<const Tensor*>> input_pointers() const {
    std::vector<std::vector<const Tensor*>> p;
    for (const auto& in : inputs_) p.push_back(pointers(in));
    return p;
  }

  std::vector<std::vector<Tensor>> inputs_, expected_;
};

TEST_P(GpuScheduleInstance, TasksEqualCpuAndGraphReplayEqualsRun) {
  TOP_SKIP_WITHOUT_GPU();
  const ScheduleCase& c = GetParam();
  auto loaded = model_named(c.model);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  const Model& model = *loaded;
  const double tolerance = in_memory(c.model) ? kTolerance : kZooTolerance;
  std::vector<Tensor> shape_probe = random_model_inputs(model, 2, 1);
  auto plan = plan_for(model, shape_probe);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  exec::TaskGraph graph = exec::TaskGraph::build(*plan, c.tasks);
  sched::GeneratorOptions opts;
  opts.max_groups = c.streams;
  auto schedule = sched::make_schedule(c.generator, graph, opts);
  ASSERT_TRUE(schedule.ok()) << schedule.status().to_string();
  ASSERT_TRUE(exec::validate(*schedule).ok());
  if (c.generator == "greedy" && c.model == "branchy") {  // the model is built to have parallel branches
    ASSERT_GT(schedule->num_groups(), schedule->stages.size()) << "greedy schedule has no concurrent groups";
  }

  make_task_data(model, **plan, 10);
  auto inst = backend()->prepare(*schedule, input_pointers());
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  Status ran = (*inst)->run();
  ASSERT_TRUE(ran.ok()) << ran.to_string();
  auto uncaptured = (*inst)->outputs();
  ASSERT_TRUE(uncaptured.ok()) << uncaptured.status().to_string();
  ASSERT_EQ(uncaptured->size(), static_cast<size_t>(c.tasks));
  for (int t = 0; t < c.tasks; ++t)
    EXPECT_EQ(compare_all((*uncaptured)[t], expected_[t], tolerance), "") << "task " << t;

  Status cap = (*inst)->capture_graph();
  ASSERT_TRUE(cap.ok()) << cap.to_string();
  EXPECT_TRUE((*inst)->graph_captured());
  ran = (*inst)->run();
  ASSERT_TRUE(ran.ok()) << "replay: " << ran.to_string();
  auto replayed = (*inst)->outputs();
  ASSERT_TRUE(replayed.ok()) << replayed.status().to_string();
  for (int t = 0; t < c.tasks; ++t)
    EXPECT_EQ(compare_all((*replayed)[t], (*uncaptured)[t], kReplayTolerance), "") << "replay, task " << t;

  // New inputs after the capture: the replay must pick them up.
  make_task_data(model, **plan, 20);
  for (int t = 0; t < c.tasks; ++t) {
    Status s = (*inst)->set_inputs(t, pointers(inputs_[static_cast<size_t>(t)]));
    ASSERT_TRUE(s.ok()) << s.to_string();
  }
  ran = (*inst)->enqueue();
  ASSERT_TRUE(ran.ok()) << "enqueue: " << ran.to_string();
  ran = (*inst)->synchronize();
  ASSERT_TRUE(ran.ok()) << "synchronize: " << ran.to_string();
  auto fresh = (*inst)->outputs();
  ASSERT_TRUE(fresh.ok()) << fresh.status().to_string();
  for (int t = 0; t < c.tasks; ++t)
    EXPECT_EQ(compare_all((*fresh)[t], expected_[t], tolerance), "") << "replay with new inputs, task " << t;
}

INSTANTIATE_TEST_SUITE_P(Schedules, GpuScheduleInstance,
                         ::testing::Values(ScheduleCase{"branchy", "sequential", 1, 1},
                                           ScheduleCase{"branchy", "greedy", 2, 1},
                                           ScheduleCase{"branchy", "greedy", 4, 2},
                                           ScheduleCase{"inception_block", "greedy", 2, 1},
                                           ScheduleCase{"inception_block", "greedy", 4, 2},
                                           ScheduleCase{"googlenet_small", "greedy", 4, 1},
                                           ScheduleCase{"googlenet_small", "greedy", 3, 2}),
                         case_name);

}  // namespace
}  // namespace top::gputest

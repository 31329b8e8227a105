// The asynchronous runtime on the CUDA backend (RuntimeConfig::backend = "cuda"):
// tasks of two models submitted together, under FIFO and under merged k = 2 instances,
// each task's outputs against the CPU reference.
#include <gtest/gtest.h>

#include <future>

#include "gpu_test_util.h"
#include "top/runtime.h"

namespace top::gputest {
namespace {

TEST(GpuRuntime, TasksOfTwoModelsMatchTheCpu) {
  TOP_SKIP_WITHOUT_GPU();
  const char* names[] = {"squeezenet1_1_small", "googlenet_small"};
  std::vector<Model> models;
  for (const char* n : names) {
    auto m = Model::load(models_dir() + "/" + n + ".onnx");
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    models.push_back(*m);
  }
  for (int k : {1, 2}) {
    SCOPED_TRACE("k = " + std::to_string(k));
    RuntimeConfig cfg;
    cfg.backend = "cuda";
    cfg.num_streams = 2;
    cfg.launch_policy = k == 1 ? fifo_launch_policy() : fixed_launch_policy(0, 2, 2);
    auto rt = Runtime::create(cfg);
    ASSERT_TRUE(rt.ok()) << rt.status().to_string();
    for (size_t m = 0; m < models.size(); ++m) ASSERT_TRUE((*rt)->load_model(names[m], models[m]).ok());
    std::vector<std::vector<Tensor>> inputs;
    std::vector<std::future<TaskResult>> results;
    for (int t = 0; t < 6; ++t) {
      const size_t m = static_cast<size_t>(t) % models.size();
      inputs.push_back(random_model_inputs(models[m], 1, 500 + static_cast<uint32_t>(t)));
      results.push_back((*rt)->submit(names[m], inputs.back()));
    }
    for (int t = 0; t < 6; ++t) {
      TaskResult r = results[static_cast<size_t>(t)].get();
      ASSERT_TRUE(r.status.ok()) << r.status.to_string();
      const size_t m = static_cast<size_t>(t) % models.size();
      auto plan = plan_for(models[m], inputs[static_cast<size_t>(t)]);
      ASSERT_TRUE(plan.ok());
      auto cpu = run_cpu(**plan, inputs[static_cast<size_t>(t)]);
      ASSERT_TRUE(cpu.ok());
      EXPECT_EQ(compare_all(r.outputs, *cpu, kZooTolerance), "") << names[m] << " task " << t;
    }
    (*rt)->shutdown(ShutdownMode::kDrain);
  }
}

}  // namespace
}  // namespace top::gputest

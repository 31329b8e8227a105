// Every small zoo model (models/zoo.json entries with "small": true, exported by
// scripts/zoo into build/models) on the CUDA backend against the CPU reference, at
// batch 1 and 2, on random inputs.
//
// Tolerance 5e-4 of max|output|: tens of float32 convolutions in a row, each summed in
// cuDNN's order (possibly by a Winograd or FFT algorithm, error ~1e-5 per layer) rather
// than the CPU's; a wrong kernel gives errors of order 1.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "gpu_test_util.h"

namespace top::gputest {
namespace {

std::vector<std::string> small_zoo_models() {
  std::vector<std::string> names;
  std::ifstream f(std::string(TOP_SOURCE_DIR) + "/models/zoo.json");
  if (!f) return names;
  nlohmann::json manifest = nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.contains("models")) return names;
  for (const auto& m : manifest["models"])
    if (m.value("small", false)) names.push_back(m.value("name", ""));
  return names;
}

class GpuZooModels : public ::testing::TestWithParam<std::string> {};

TEST_P(GpuZooModels, AgreeWithCpuAtBatch1And2) {
  TOP_SKIP_WITHOUT_GPU();
  const std::string path = models_dir() + "/" + GetParam() + ".onnx";
  ASSERT_TRUE(std::filesystem::exists(path)) << "'" << path << "' is missing: run scripts/zoo --small-only "
                                             << "(or set TOP_MODELS_DIR)";
  auto model = Model::load(path);
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  for (int64_t batch : {1, 2}) {
    SCOPED_TRACE(GetParam() + " at batch " + std::to_string(batch));
    std::vector<Tensor> inputs = random_model_inputs(*model, batch, 100 + static_cast<uint32_t>(batch));
    auto plan = plan_for(*model, inputs);
    ASSERT_TRUE(plan.ok()) << plan.status().to_string();
    auto cpu = run_cpu(**plan, inputs);
    ASSERT_TRUE(cpu.ok()) << cpu.status().to_string();
    auto gpu = run_cuda(**plan, inputs);
    ASSERT_TRUE(gpu.ok()) << gpu.status().to_string();
    EXPECT_EQ(compare_all(*gpu, *cpu, kZooTolerance), "");
  }
}

INSTANTIATE_TEST_SUITE_P(Zoo, GpuZooModels, ::testing::ValuesIn(small_zoo_models()),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(GpuZooManifest, ListsSmallModels) {
  // Not a GPU test: guards the parameter list above (an unreadable manifest would
  // silently leave no zoo tests at all).
  EXPECT_GE(small_zoo_models().size(), 5u) << "models/zoo.json has too few small models (or is unreadable)";
}

}  // namespace
}  // namespace top::gputest

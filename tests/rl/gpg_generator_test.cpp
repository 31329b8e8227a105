// rl/policies: the gpg generator behind the registry, from a checkpoint on disk.
#include "rl/policies/gpg_generator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "profile/device.h"
#include "rl/checkpoint/checkpoint.h"
#include "rl/graphs/synthetic_graphs.h"
#include "sched/cost_options.h"

namespace top::rl {
namespace {

namespace fs = std::filesystem;

// A checkpoint of random weights (what the generator does with them is all the test
// needs: valid, guarded, deterministic partitions).
std::string write_random_checkpoint(const fs::path& dir) {
  Checkpoint c;
  c.manifest.kind = "gpg";
  c.manifest.feature_schema_hash = gpg_schema_hash();
  GpgDims dims;
  c.manifest.dims = {{"hidden", dims.hidden}, {"layers", dims.layers}, {"head", dims.head}};
  std::mt19937_64 rng(3);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  for (const ParamSpec& s : gpg_parameter_specs(dims)) {
    NamedTensor t{s.name, s.shape, std::vector<float>(static_cast<size_t>(s.size()))};
    for (float& v : t.data) v = nd(rng);
    c.tensors.push_back(std::move(t));
  }
  const std::string path = (dir / "gpg.json").string();
  EXPECT_TRUE(write_checkpoint(path, c).ok());
  return path;
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("top-gpg-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

TEST(GpgGenerator, RegisteredFromACheckpointItPartitionsValidlyGuardedAndDeterministically) {
  TempDir d;
  ASSERT_TRUE(register_gpg_generator(write_random_checkpoint(d.path)).ok());
  ASSERT_TRUE(sched::check_generator("gpg").ok());
  ASSERT_TRUE(sched::check_generator("gpg-best8").ok());
  SyntheticGraphSpec spec;
  spec.seed = 21;
  auto plan = synthetic_plan(spec).value();
  auto cm = std::make_shared<const profile::CostModel>(profile::device_by_name("a100").value());
  sched::GeneratorOptions go = sched::cost_model_options(cm, plan, 0);
  go.max_groups = 3;
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 2);
  for (const char* name : {"gpg", "gpg-best8"}) {
    auto s = sched::make_schedule(name, tg, go);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_TRUE(exec::validate(*s).ok());
    EXPECT_EQ(s->generator.rfind("gpg", 0), 0u) << s->generator;
    auto greedy = sched::greedy_schedule(tg, go).value();
    auto seq = sched::sequential_schedule(tg, go).value();
    EXPECT_LE(s->predicted_ms, predicted_schedule_ms(*cm, greedy, 3, 0).value() * (1 + 1e-9));
    EXPECT_LE(s->predicted_ms, predicted_schedule_ms(*cm, seq, 3, 0).value() * (1 + 1e-9));
    auto again = sched::make_schedule(name, tg, go).value();
    EXPECT_EQ(again.predicted_ms, s->predicted_ms);
    EXPECT_EQ(again.stages.size(), s->stages.size());
  }
  // Without a cost model it still partitions (on this machine's CPU description).
  sched::GeneratorOptions plain;
  plain.max_groups = 2;
  auto s = sched::make_schedule("gpg", tg, plain);
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(exec::validate(*s).ok());
}

TEST(GpgGenerator, ABadCheckpointIsAClearError) {
  TempDir d;
  const std::string path = write_random_checkpoint(d.path);
  fs::resize_file(d.path / "gpg.bin", 100);
  auto net = load_gpg_network(path);
  ASSERT_FALSE(net.ok());
  EXPECT_NE(net.status().message().find("gpg.bin"), std::string::npos) << net.status().message();
  EXPECT_FALSE(load_gpg_network((d.path / "missing.json").string()).ok());
}

}  // namespace
}  // namespace top::rl

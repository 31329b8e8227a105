// The CUDA backend: what must hold on every machine (clear Unavailable errors without
// a GPU, the op registry's coverage, the allocator's size classes) and, where a GPU
// exists, the schedule executor against the CPU reference (multi-stream vs one
// stream, CUDA graph replay vs plain launches). GPU parts skip with the reason.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"

#ifdef TOP_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/device_plan.h"
#include "backend/cuda/device_pool.h"
#include "exec/plan.h"
#include "exec/schedule.h"
#include "sched/generators.h"
#include "test_models.h"
#endif

namespace top {
namespace {

TEST(BackendFactory, UnknownNameListsCompiledBackends) {
  auto be = backend::create_backend("tpu", {});
  ASSERT_FALSE(be.ok());
  EXPECT_EQ(be.status().code(), StatusCode::kUnsupported);
  const std::string& msg = be.status().message();
  EXPECT_NE(msg.find("available: cpu"), std::string::npos) << msg;
#ifdef TOP_WITH_CUDA
  EXPECT_NE(msg.find("cuda"), std::string::npos) << msg;
#else
  EXPECT_EQ(msg.find("cuda"), std::string::npos) << msg;
#endif
}

#ifdef TOP_WITH_CUDA

TEST(CudaBackend, DeviceAvailableIsAStatusNotACrash) {
  Status st = cuda::device_available();
  if (st.ok()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.to_string();
  EXPECT_FALSE(st.message().empty());
  // A device index that cannot exist is refused the same way, with or without a GPU.
  Status bad = cuda::device_available(1 << 20);
  EXPECT_EQ(bad.code(), StatusCode::kUnavailable) << bad.to_string();
}

TEST(CudaBackend, CreateFailsUnavailableWithoutDevice) {
  if (cuda::device_available().ok()) GTEST_SKIP() << "a CUDA device is present";
  auto be = cuda::CudaBackend::create();
  ASSERT_FALSE(be.ok());
  EXPECT_EQ(be.status().code(), StatusCode::kUnavailable) << be.status().to_string();
}

TEST(CudaBackend, CreateBackendByNameGivesClearError) {
  Status avail = cuda::device_available();
  auto be = backend::create_backend("cuda", {});
  if (avail.ok()) {
    ASSERT_TRUE(be.ok()) << be.status().to_string();
    EXPECT_EQ((*be)->name(), "cuda");
    return;
  }
  ASSERT_FALSE(be.ok());
  EXPECT_EQ(be.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(be.status().message().find("backend 'cuda'"), std::string::npos) << be.status().to_string();
  EXPECT_NE(be.status().message().find(avail.message()), std::string::npos) << be.status().to_string();
}

TEST(CudaOpRegistry, HasConvGemmMatMulAndPools) {
  const auto& r = cuda::CudaOpRegistry::builtin();
  for (const char* t : {"Conv", "ConvTranspose", "Gemm", "MatMul", "MaxPool", "AveragePool", "GlobalMaxPool",
                        "GlobalAveragePool"})
    EXPECT_TRUE(r.supports(t)) << t;
  EXPECT_FALSE(r.supports("NoSuchOp"));
}

// Coverage of every CPU operator: CudaRegistry.EveryCpuOperatorHasAGpuFactory (cuda_registry_test.cpp).

TEST(DevicePool, SizeClassesCoverTheRequestAndAreFew) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<size_t> small(1, size_t(1) << 20), large(size_t(1) << 20, size_t(1) << 30);
  EXPECT_EQ(cuda::DevicePool::size_class(0), 0u);
  for (int i = 0; i < 1000; ++i) {
    for (size_t b : {small(rng), large(rng)}) {
      const size_t c = cuda::DevicePool::size_class(b);
      EXPECT_GE(c, b);
      EXPECT_EQ(c % 512, 0u) << b;
      // Waste is bounded: at most 2x below 1 MiB, at most 2 MiB above.
      if (b < (size_t(1) << 20)) {
        EXPECT_LT(c, 2 * b + 512) << b;
      } else {
        EXPECT_LT(c - b, size_t(2) << 20) << b;
      }
      EXPECT_EQ(cuda::DevicePool::size_class(c), c) << "a class is its own class";
    }
  }
}

TEST(DevicePlan, PackOffsetsAreAlignedAndDisjoint) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<size_t> size(0, 5000);
  std::vector<size_t> bytes(50), off;
  for (auto& b : bytes) b = size(rng);
  const size_t total = cuda::pack_offsets(bytes, off);
  ASSERT_EQ(off.size(), bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    EXPECT_EQ(off[i] % 256, 0u);
    EXPECT_LE(off[i] + bytes[i], total);
    if (i + 1 < bytes.size()) {
      EXPECT_GE(off[i + 1], off[i] + bytes[i]);
    }
  }
}

// ---- on a GPU ------------------------------------------------------------------------

class CudaExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = cuda::device_available();
    if (!st.ok()) GTEST_SKIP() << st.to_string();
  }

  static Tensor random_input(const Shape& shape, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    Tensor t = Tensor::zeros(DataType::kFloat32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    return t;
  }

  static void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
    ASSERT_EQ(got.shape(), want.shape()) << what;
    float worst = 0.0f;
    for (int64_t i = 0; i < want.numel(); ++i) {
      const float w = want.data<float>()[i], g = got.data<float>()[i];
      worst = std::max(worst, std::fabs(g - w) / (1.0f + std::fabs(w)));
    }
    EXPECT_LT(worst, 1e-4f) << what;
  }
};

TEST_F(CudaExecutorTest, SchedulesOnStreamsMatchOneStreamAndTheCpu) {
  Model model = testing::load_proto(testing::inception_block_model(3));
  const int k = 3;
  auto plan = exec::make_plan(model.graph(), {{2, 8, 10, 10}});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  std::vector<Tensor> xs;
  for (int t = 0; t < k; ++t) xs.push_back(random_input({2, 8, 10, 10}, 100 + t));
  backend::BackendOptions cpu_opts;
  cpu_opts.num_threads = 2;
  auto cpu = backend::create_backend("cpu", cpu_opts);
  ASSERT_TRUE(cpu.ok());
  auto gpu = cuda::CudaBackend::create({});
  ASSERT_TRUE(gpu.ok()) << gpu.status().to_string();
  std::vector<std::vector<const Tensor*>> inputs;
  for (const Tensor& x : xs) inputs.push_back({&x});

  exec::TaskGraph tg = exec::TaskGraph::build(*plan, k);
  for (const char* gen : {"sequential", "greedy"}) {
    auto schedule = sched::make_schedule(gen, tg);
    ASSERT_TRUE(schedule.ok()) << schedule.status().to_string();
    auto inst = (*gpu)->prepare(*schedule, inputs);
    ASSERT_TRUE(inst.ok()) << inst.status().to_string();
    ASSERT_TRUE((*inst)->run().ok());
    auto outs = (*inst)->outputs();
    ASSERT_TRUE(outs.ok()) << outs.status().to_string();
    for (int t = 0; t < k; ++t) {
      exec::Arena arena;
      auto want = (*cpu)->run(**plan, inputs[t], arena);
      ASSERT_TRUE(want.ok()) << want.status().to_string();
      auto one_stream = (*gpu)->run(**plan, inputs[t], arena);
      ASSERT_TRUE(one_stream.ok()) << one_stream.status().to_string();
      for (size_t o = 0; o < want->size(); ++o) {
        expect_close((*outs)[t][o], (*want)[o], std::string(gen) + " task " + std::to_string(t));
        expect_close((*one_stream)[o], (*want)[o], "run() task " + std::to_string(t));
      }
    }
  }
}

TEST_F(CudaExecutorTest, GraphReplayEqualsPlainLaunchesAndSeesNewInputs) {
  Model model = testing::load_proto(testing::inception_block_model(9));
  auto plan = exec::make_plan(model.graph(), {{1, 8, 10, 10}});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  auto gpu = cuda::CudaBackend::create({});
  ASSERT_TRUE(gpu.ok()) << gpu.status().to_string();
  auto schedule = sched::make_schedule("greedy", exec::TaskGraph::build(*plan, 2));
  ASSERT_TRUE(schedule.ok());
  Tensor a = random_input({1, 8, 10, 10}, 1), b = random_input({1, 8, 10, 10}, 2), c = random_input({1, 8, 10, 10}, 3);
  auto inst = (*gpu)->prepare(*schedule, {{&a}, {&b}});
  ASSERT_TRUE(inst.ok()) << inst.status().to_string();
  ASSERT_TRUE((*inst)->run().ok());
  auto plain = (*inst)->outputs();
  ASSERT_TRUE(plain.ok());
  Status cap = (*inst)->capture_graph();
  ASSERT_TRUE(cap.ok()) << cap.to_string();
  EXPECT_TRUE((*inst)->graph_captured());
  ASSERT_TRUE((*inst)->run().ok());
  auto replay = (*inst)->outputs();
  ASSERT_TRUE(replay.ok());
  for (int t = 0; t < 2; ++t) expect_close((*replay)[t][0], (*plain)[t][0], "replay task " + std::to_string(t));
  // New inputs reach the captured graph (it uploads from the staging buffer).
  ASSERT_TRUE((*inst)->set_inputs(1, {&c}).ok());
  ASSERT_TRUE((*inst)->run().ok());
  auto fresh = (*inst)->outputs();
  ASSERT_TRUE(fresh.ok());
  exec::Arena arena;
  auto want = (*gpu)->run(**plan, {&c}, arena);
  ASSERT_TRUE(want.ok());
  expect_close((*fresh)[1][0], (*want)[0], "replay after set_inputs");
  expect_close((*fresh)[0][0], (*plain)[0][0], "untouched task");
  EXPECT_GT((*gpu)->memory_stats().weights_bytes, 0u);
  EXPECT_GT((*inst)->device_bytes(), 0u);
}

#endif  // TOP_WITH_CUDA

}  // namespace
}  // namespace top

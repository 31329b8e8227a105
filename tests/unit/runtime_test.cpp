// The asynchronous runtime end to end on the CPU backend: correctness under every
// built-in policy, exactly-once completion from many submitting threads, admission
// control, bad inputs failing alone, deadlines, shutdown in both modes, stats, traces.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "hold_policy.h"
#include "test_models.h"
#include "top/runtime.h"
#include "top/session.h"

namespace top {
namespace {

using testing::branchy_model;
using testing::HoldPolicy;
using testing::gather_model;
using testing::load_proto;

Tensor random_input(int64_t batch, int64_t width, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.f, 2.f);
  Tensor t = Tensor::zeros(DataType::kFloat32, {batch, width});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
  return t;
}

float max_abs_diff(const Tensor& a, const Tensor& b) {
  float m = 0;
  for (int64_t i = 0; i < a.numel(); ++i) m = std::max(m, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
  return m;
}

struct PolicyCase {
  const char* name;
  std::shared_ptr<LaunchPolicy> launch;
  std::shared_ptr<GraphPolicy> graph;
  int streams;
};

std::vector<PolicyCase> policy_cases() {
  return {
      {"fifo_sequential", fifo_launch_policy(), fixed_graph_policy(GraphMode::kMerge, "sequential"), 1},
      {"fixed_k4_merge_greedy", fixed_launch_policy(0, 4, 2), fixed_graph_policy(GraphMode::kMerge, "greedy"), 2},
      {"fixed_k3_merge_sequential", fixed_launch_policy(0.5, 3, 0), fixed_graph_policy(GraphMode::kMerge, "sequential"), 3},
      {"dynamic_batching", dynamic_batching_policy(4, 1.0, 2), fixed_graph_policy(GraphMode::kBatch, "greedy"), 2},
  };
}

// Many threads submit random tasks with batch 1 or 2; every result equals the
// synchronous Session's, every future completes.
TEST(Runtime, ResultsMatchSessionUnderEveryPolicy) {
  Model model = load_proto(branchy_model(32));
  auto session = Session::create(model, {}).value();
  for (const PolicyCase& pc : policy_cases()) {
    RuntimeConfig cfg;
    cfg.num_streams = pc.streams;
    cfg.launch_policy = pc.launch;
    cfg.graph_policy = pc.graph;
    auto rt = Runtime::create(cfg);
    ASSERT_TRUE(rt.ok()) << rt.status().to_string();
    ASSERT_TRUE((*rt)->load_model("branchy", model).ok());
    constexpr int kThreads = 4, kPerThread = 40;
    std::vector<std::vector<std::pair<Tensor, std::future<TaskResult>>>> per(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        std::mt19937 rng(100 + t);
        for (int i = 0; i < kPerThread; ++i) {
          Tensor x = random_input(1 + (i % 2), 32, rng);
          per[t].emplace_back(x, (*rt)->submit("branchy", {x}));
        }
      });
    for (auto& th : threads) th.join();
    std::set<uint64_t> ids;
    for (auto& v : per)
      for (auto& [x, f] : v) {
        TaskResult r = f.get();
        ASSERT_TRUE(r.status.ok()) << pc.name << ": " << r.status.to_string();
        ids.insert(r.task_id);
        auto ref = session->run({x});
        ASSERT_TRUE(ref.ok());
        ASSERT_EQ(r.outputs.size(), 1u);
        ASSERT_EQ(r.outputs[0].shape(), (*ref)[0].shape()) << pc.name;
        EXPECT_LE(max_abs_diff(r.outputs[0], (*ref)[0]), 1e-6f) << pc.name;
      }
    EXPECT_EQ(ids.size(), static_cast<size_t>(kThreads * kPerThread)) << pc.name;
    RuntimeStats st = (*rt)->stats();
    ASSERT_EQ(st.models.size(), 1u);
    EXPECT_EQ(st.models[0].completed, static_cast<uint64_t>(kThreads * kPerThread)) << pc.name;
    EXPECT_EQ(st.models[0].failed, 0u);
    (*rt)->shutdown();
  }
}

TEST(Runtime, TwoModelsConcurrently) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = fixed_launch_policy(0, 2, 2);
  auto rt = Runtime::create(cfg).value();
  Model a = load_proto(branchy_model(16)), b = load_proto(gather_model());
  ASSERT_TRUE(rt->load_model("a", a).ok());
  ASSERT_TRUE(rt->load_model("b", b).ok());
  EXPECT_EQ(rt->load_model("a", a).code(), StatusCode::kInvalidArgument);
  std::mt19937 rng(5);
  std::vector<std::future<TaskResult>> fa, fb;
  for (int i = 0; i < 50; ++i) {
    fa.push_back(rt->submit("a", {random_input(1, 16, rng)}));
    fb.push_back(rt->submit("b", {Tensor::from_vector<int64_t>({3}, {i % 10, 9, 0})}));
  }
  for (int i = 0; i < 50; ++i) {
    TaskResult rb = fb[i].get();
    ASSERT_TRUE(rb.status.ok()) << rb.status.to_string();
    EXPECT_EQ(rb.outputs[0].data<float>()[0], 0.5f * static_cast<float>((i % 10) * 4) - 3.0f);
    EXPECT_TRUE(fa[i].get().status.ok());
  }
}

// An index out of range passes admission (shapes are fine) and fails in the kernel:
// only that task fails, the others merged into the same instance succeed.
TEST(Runtime, BadInputFailsAlone) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = fixed_launch_policy(5, 4, 1);  // groups of 4 tasks per instance
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("g", load_proto(gather_model())).ok());
  std::vector<std::future<TaskResult>> fs;
  for (int i = 0; i < 40; ++i) {
    int64_t idx = i % 7 == 3 ? 1000 : i % 10;
    fs.push_back(rt->submit("g", {Tensor::from_vector<int64_t>({1}, {idx})}));
  }
  int failed = 0;
  for (int i = 0; i < 40; ++i) {
    TaskResult r = fs[i].get();
    if (i % 7 == 3) {
      EXPECT_FALSE(r.status.ok()) << "task " << i;
      ++failed;
    } else {
      ASSERT_TRUE(r.status.ok()) << "task " << i << ": " << r.status.to_string();
      EXPECT_EQ(r.outputs[0].data<float>()[0], 0.5f * static_cast<float>((i % 10) * 4) - 3.0f);
    }
  }
  EXPECT_EQ(failed, 6);
  // Wrong dtype and wrong rank are refused at admission.
  TaskResult wrong = rt->submit("g", {Tensor::zeros(DataType::kFloat32, {1})}).get();
  EXPECT_EQ(wrong.status.code(), StatusCode::kInvalidArgument);
  TaskResult unknown = rt->submit("nope", {Tensor::zeros(DataType::kInt64, {1})}).get();
  EXPECT_EQ(unknown.status.code(), StatusCode::kNotFound);
}


TEST(Runtime, FullQueueFailsFastAndDrainRunsTheRest) {
  RuntimeConfig cfg;
  cfg.queue_capacity = 8;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  std::mt19937 rng(1);
  std::vector<std::future<TaskResult>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(rt->submit("m", {random_input(1, 8, rng)}));
  int rejected = 0;
  for (int i = 8; i < 20; ++i) {
    ASSERT_EQ(fs[i].wait_for(std::chrono::seconds(0)), std::future_status::ready);
    TaskResult r = fs[i].get();
    EXPECT_EQ(r.status.code(), StatusCode::kResourceExhausted) << r.status.to_string();
    ++rejected;
  }
  EXPECT_EQ(rejected, 12);
  EXPECT_EQ(rt->stats().models[0].queue_length, 8u);
  rt->shutdown(ShutdownMode::kDrain);
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(fs[i].get().status.ok());
  EXPECT_EQ(rt->submit("m", {random_input(1, 8, rng)}).get().status.code(), StatusCode::kUnavailable);
}

TEST(Runtime, CancelShutdownEndsEveryTaskOnce) {
  RuntimeConfig cfg;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  std::atomic<int> calls{0}, cancelled{0};
  std::mt19937 rng(2);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(rt->submit("m", {random_input(1, 8, rng)}, [&](TaskResult r) {
                    calls++;
                    if (r.status.code() == StatusCode::kCancelled) cancelled++;
                  }).ok());
  rt->shutdown(ShutdownMode::kCancel);
  EXPECT_EQ(calls.load(), 30);
  EXPECT_EQ(cancelled.load(), 30);
  rt->shutdown(ShutdownMode::kCancel);  // idempotent
}

TEST(Runtime, DeadlinePassedInQueue) {
  RuntimeConfig cfg;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  std::mt19937 rng(3);
  TaskOptions opts;
  opts.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  auto f = rt->submit("m", {random_input(1, 8, rng)}, opts);
  // The launcher wakes at least once a second and sees the deadline has passed.
  ASSERT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(f.get().status.code(), StatusCode::kDeadlineExceeded);
}

// Arrivals far above capacity from several threads: queues stay bounded, every task
// is accounted for (completed + failed + rejected = submitted attempts).
TEST(Runtime, OverloadStaysBoundedAndAccounted) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.queue_capacity = 32;
  cfg.launch_policy = fixed_launch_policy(0, 4, 2);
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(256))).ok());
  std::atomic<int> ok{0}, failed{0}, calls{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int i = 0; i < 500; ++i)
        (void)rt->submit("m", {random_input(4, 256, rng)}, [&](TaskResult r) {
          calls++;
          (r.status.ok() ? ok : failed)++;
        });
    });
  for (auto& t : ts) t.join();
  rt->shutdown(ShutdownMode::kDrain);
  EXPECT_EQ(calls.load(), 2000);
  RuntimeStats st = rt->stats();
  EXPECT_LE(st.models[0].max_queue_length, 32u);
  EXPECT_EQ(st.models[0].completed + st.models[0].rejected, 2000u);
  EXPECT_EQ(static_cast<uint64_t>(ok.load()), st.models[0].completed);
  EXPECT_GT(st.models[0].rejected, 0u);
}

TEST(Runtime, StatsTraceAndPrometheus) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.record_trace = true;
  cfg.launch_policy = fixed_launch_policy(0, 2, 2);
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("branchy", load_proto(branchy_model(64))).ok());
  std::mt19937 rng(9);
  std::vector<std::future<TaskResult>> fs;
  for (int i = 0; i < 20; ++i) fs.push_back(rt->submit("branchy", {random_input(2, 64, rng)}));
  for (auto& f : fs) ASSERT_TRUE(f.get().status.ok());
  RuntimeStats st = rt->stats();
  EXPECT_EQ(st.models[0].completed, 20u);
  EXPECT_GT(st.models[0].latency_p99_ms, 0);
  EXPECT_GE(st.models[0].latency_p99_ms, st.models[0].latency_p50_ms);
  std::string prom = to_prometheus(st);
  EXPECT_NE(prom.find("top_tasks_completed_total{model=\"branchy\"} 20"), std::string::npos) << prom;
  // The histogram: cumulative buckets ending in +Inf = every completed task.
  EXPECT_NE(prom.find("# TYPE top_task_duration_seconds histogram"), std::string::npos);
  EXPECT_NE(prom.find("top_task_duration_seconds_bucket{model=\"branchy\",le=\"+Inf\"} 20"), std::string::npos) << prom;
  EXPECT_NE(prom.find("top_task_duration_seconds_count{model=\"branchy\"} 20"), std::string::npos);
  ASSERT_EQ(st.models[0].latency_histogram_ms.size(), latency_bucket_bounds_ms().size() + 1);
  for (size_t b = 1; b < st.models[0].latency_histogram_ms.size(); ++b)
    EXPECT_GE(st.models[0].latency_histogram_ms[b].second, st.models[0].latency_histogram_ms[b - 1].second);
  std::string path = ::testing::TempDir() + "/trace.json";
  ASSERT_TRUE(rt->write_trace(path).ok());
  std::ifstream f(path);
  std::string json((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t p = json.find(needle); p != std::string::npos; p = json.find(needle, p + 1)) ++n;
    return n;
  };
  // 20 tasks x 7 operators, one slice each, and per task a "queued" and a "task N" span.
  EXPECT_EQ(count("\"ph\":\"X\""), 140u + 2 * 20u);
  EXPECT_EQ(count("\"cat\":\"task\""), 20u);
  EXPECT_GE(count("\"name\":\"queue branchy\",\"ph\":\"C\""), 20u);  // queue length at every submit
  EXPECT_NE(json.find("Sigmoid"), std::string::npos);
}

TEST(Runtime, BlockingSubmitWaitsForRoom) {
  RuntimeConfig cfg;
  cfg.queue_capacity = 2;
  cfg.block_when_full = true;
  cfg.launch_policy = fifo_launch_policy();
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(512))).ok());
  std::mt19937 rng(4);
  std::vector<std::future<TaskResult>> fs;
  for (int i = 0; i < 30; ++i) fs.push_back(rt->submit("m", {random_input(8, 512, rng)}));
  for (auto& f : fs) EXPECT_TRUE(f.get().status.ok());
}

TEST(Runtime, UnloadCancelsQueuedTasks) {
  RuntimeConfig cfg;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  std::mt19937 rng(6);
  auto f = rt->submit("m", {random_input(1, 8, rng)});
  ASSERT_TRUE(rt->unload_model("m").ok());
  EXPECT_EQ(f.get().status.code(), StatusCode::kCancelled);
  EXPECT_EQ(rt->unload_model("m").code(), StatusCode::kNotFound);
  EXPECT_TRUE(rt->models().empty());
}

}  // namespace
}  // namespace top

namespace top {
namespace {

// RuntimeConfig::profile prices schedules; a missing or malformed one is refused at
// create() with the path, not at the first task.
TEST(Runtime, BadStreamSettingsAreRefusedAtCreate) {
  for (int spin : {-2, 2'000'000}) {
    RuntimeConfig cfg;
    cfg.stream_spin_us = spin;
    auto rt = Runtime::create(cfg);
    ASSERT_FALSE(rt.ok()) << spin;
    EXPECT_EQ(rt.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(rt.status().to_string().find("stream_spin_us"), std::string::npos) << rt.status().to_string();
  }
  RuntimeConfig never_poll;
  never_poll.stream_spin_us = 0;
  EXPECT_TRUE(Runtime::create(never_poll).ok());
}

TEST(RuntimeProfile, BadProfileIsRefusedAtCreate) {
  RuntimeConfig cfg;
  cfg.profile = "/nonexistent/profile.json";
  auto rt = Runtime::create(cfg);
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), StatusCode::kNotFound) << rt.status().to_string();
  EXPECT_NE(rt.status().to_string().find("/nonexistent/profile.json"), std::string::npos) << rt.status().to_string();
}

}  // namespace
}  // namespace top

namespace top {
namespace {

// backend "cuda": Unavailable with the CUDA reason where no GPU can be used (this
// machine, CI), Unsupported in builds without the toolkit; never a crash.
TEST(RuntimeBackend, CudaWithoutAGpuIsAClearError) {
  RuntimeConfig cfg;
  cfg.backend = "cuda";
  auto rt = Runtime::create(cfg);
  if (rt.ok()) GTEST_SKIP() << "a GPU is available here: tests/gpu covers the runtime on it";
#ifdef TOP_WITH_CUDA
  EXPECT_EQ(rt.status().code(), StatusCode::kUnavailable) << rt.status().to_string();
#else
  EXPECT_EQ(rt.status().code(), StatusCode::kUnsupported) << rt.status().to_string();
#endif
  cfg.backend = "tpu";
  auto bad = Runtime::create(cfg);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(bad.status().message().find("unknown backend 'tpu'"), std::string::npos) << bad.status().to_string();
}

}  // namespace
}  // namespace top

namespace top {
namespace {

// TaskResult::queue_ms is the time from submit to dequeue: a dynamic-batching launcher
// that waits 30 ms for a full batch keeps a lone task queued about that long.
TEST(Runtime, QueueTimeIsReported) {
  RuntimeConfig cfg;
  cfg.launch_policy = dynamic_batching_policy(8, 30.0, 1);
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("b", load_proto(branchy_model(8))).ok());
  std::mt19937 rng(3);
  TaskResult r = rt->submit("b", {random_input(1, 8, rng)}).get();
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_GE(r.queue_ms, 20.0);
  EXPECT_LE(r.queue_ms, r.latency_ms);
}

}  // namespace
}  // namespace top

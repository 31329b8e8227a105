// Device profiles (JSON round trip, clear errors, merging) and the CPU profiler on a
// small in-memory model. No timing assertions beyond positivity.
#include "profile/profiler.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "exec/plan.h"
#include "profile/cost_model.h"
#include "profile/profile_io.h"
#include "test_models.h"

namespace top {
namespace {

profile::Profile sample_profile() {
  profile::Profile p;
  p.device = profile::h100_sxm();
  p.created = "2025-01-02T03:04:05Z";
  p.host_threads = 16;
  p.models = {"squeezenet", "googlenet"};
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0.001, 3.0);
  for (int i = 0; i < 5; ++i) {
    profile::OpMeasurement m;
    m.op_type = i % 2 ? "Conv" : "Relu";
    m.key = m.op_type + "|float32[1," + std::to_string(i + 1) + ",8,8]|0123456789abcdef";
    m.node = "n" + std::to_string(i);
    m.shapes = {{1, i + 1, 8, 8}, {4, i + 1, 3, 3}};
    m.flops = u(rng) * 1e9;
    m.bytes = u(rng) * 1e6;
    m.output_elements = 256;
    m.threads = 1 + i % 2;
    m.ms = u(rng);
    m.samples = 10 + i;
    p.ops.push_back(m);
  }
  p.has_concurrency = true;
  p.concurrency.streams = 2;
  p.concurrency.threads_per_stream = 1;
  p.concurrency.pairwise_slowdown = 1.37;
  p.concurrency.by_op_type = {{"Conv", 1.25}, {"Relu", 1.5}};
  p.concurrency.alone_ms = 2.5;
  p.concurrency.concurrent_ms = 3.4;
  p.concurrency.method = "test";
  return p;
}

void expect_same(const profile::Profile& a, const profile::Profile& b) {
  EXPECT_EQ(a.device.name, b.device.name);
  EXPECT_EQ(a.device.kind, b.device.kind);
  EXPECT_DOUBLE_EQ(a.device.peak_fp32_flops, b.device.peak_fp32_flops);
  EXPECT_DOUBLE_EQ(a.device.peak_fp16_tensor_flops, b.device.peak_fp16_tensor_flops);
  EXPECT_DOUBLE_EQ(a.device.memory_bandwidth, b.device.memory_bandwidth);
  EXPECT_EQ(a.device.compute_units, b.device.compute_units);
  EXPECT_EQ(a.device.threads_per_unit, b.device.threads_per_unit);
  EXPECT_DOUBLE_EQ(a.device.launch_overhead_s, b.device.launch_overhead_s);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.host_threads, b.host_threads);
  EXPECT_EQ(a.models, b.models);
  ASSERT_EQ(a.ops.size(), b.ops.size());
  for (size_t i = 0; i < a.ops.size(); ++i) {
    EXPECT_EQ(a.ops[i].key, b.ops[i].key);
    EXPECT_EQ(a.ops[i].op_type, b.ops[i].op_type);
    EXPECT_EQ(a.ops[i].node, b.ops[i].node);
    EXPECT_EQ(a.ops[i].shapes, b.ops[i].shapes);
    EXPECT_DOUBLE_EQ(a.ops[i].flops, b.ops[i].flops);
    EXPECT_DOUBLE_EQ(a.ops[i].bytes, b.ops[i].bytes);
    EXPECT_DOUBLE_EQ(a.ops[i].ms, b.ops[i].ms);
    EXPECT_EQ(a.ops[i].threads, b.ops[i].threads);
    EXPECT_EQ(a.ops[i].samples, b.ops[i].samples);
  }
  EXPECT_EQ(a.has_concurrency, b.has_concurrency);
  EXPECT_DOUBLE_EQ(a.concurrency.pairwise_slowdown, b.concurrency.pairwise_slowdown);
  EXPECT_EQ(a.concurrency.by_op_type, b.concurrency.by_op_type);
  EXPECT_EQ(a.concurrency.streams, b.concurrency.streams);
}

TEST(ProfileIo, JsonRoundTrip) {
  profile::Profile p = sample_profile();
  auto back = profile::profile_from_json(profile::profile_to_json(p));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same(p, *back);

  std::string path = (std::filesystem::temp_directory_path() / "top_profile_roundtrip_test.json").string();
  ASSERT_TRUE(profile::save_profile(p, path).ok());
  auto loaded = profile::load_profile(path);
  std::remove(path.c_str());
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  expect_same(p, *loaded);
  EXPECT_NE(loaded->find(p.ops[1].key, 2), nullptr);
  EXPECT_EQ(loaded->find(p.ops[1].key, 1), nullptr);  // measured at 2 threads only
  EXPECT_NE(loaded->find(p.ops[1].key), nullptr);     // any thread count
}

TEST(ProfileIo, ErrorsNameTheProblem) {
  auto expect_error = [](const std::string& text, const std::string& needle) {
    auto r = profile::profile_from_json(text, "p.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("p.json"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  expect_error("{not json", "not valid JSON");
  expect_error("[1, 2]", "not a JSON object");
  expect_error("{\"ops\": []}", "missing 'device'");
  std::string dev = profile::profile_to_json(sample_profile());
  // Break one field at a time on the valid document.
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string s = dev;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
  };
  expect_error(edit("\"ms\":", "\"msx\":"), "ops[0]: missing 'ms'");
  expect_error(edit("\"kind\": \"gpu\"", "\"kind\": \"tpu\""), "device.kind");
  expect_error(edit("\"format\": 1", "\"format\": 7"), "format");
  expect_error(edit("\"pairwise_slowdown\": 1.37", "\"pairwise_slowdown\": -1"), "pairwise_slowdown");
  expect_error(edit("\"threads\":1", "\"threads\":\"one\""), "ops[0].threads");

  auto missing = profile::load_profile("/nonexistent/dir/profile.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/dir/profile.json"), std::string::npos);
  EXPECT_FALSE(profile::save_profile(sample_profile(), "/nonexistent/dir/profile.json").ok());
}

TEST(ProfileIo, MergeReplacesAndAdds) {
  profile::Profile a = sample_profile();
  profile::Profile b;
  b.device = a.device;
  b.models = {"resnet"};
  profile::OpMeasurement same = a.ops[0];
  same.ms = 42.0;
  profile::OpMeasurement fresh = a.ops[0];
  fresh.key = "Relu|float32[9]|00";
  b.ops = {same, fresh};
  ASSERT_TRUE(a.merge(b).ok());
  EXPECT_EQ(a.ops.size(), 6u);
  EXPECT_DOUBLE_EQ(a.find(same.key, same.threads)->ms, 42.0);
  EXPECT_NE(a.find(fresh.key), nullptr);
  EXPECT_EQ(a.models.size(), 3u);
  profile::Profile other;
  other.device = profile::a100_sxm_80gb();
  Status s = a.merge(other);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("a100-sxm-80gb"), std::string::npos);
}

TEST(Profiler, MeasuresEveryStepOfABranchyModel) {
  Model model = testing::load_proto(testing::branchy_model(256));
  auto plan = exec::make_plan(model.graph(), {{8, 256}});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  std::mt19937 rng(11);
  std::normal_distribution<float> n(0.f, 1.f);
  Tensor x = Tensor::zeros(DataType::kFloat32, {8, 256});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = n(rng);

  profile::ProfilerOptions opts;
  opts.threads = 2;
  opts.repeat = 3;
  opts.warmup = 1;
  opts.calibrate = false;
  opts.model_name = "branchy";
  auto run = profile::profile_plan(**plan, {&x}, opts);
  ASSERT_TRUE(run.ok()) << run.status().to_string();
  const auto& steps = (*plan)->steps;
  ASSERT_EQ(run->steps.size(), steps.size());
  ASSERT_EQ(run->steps_1thread.size(), steps.size());
  std::set<std::string> types;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(run->steps[i].step, static_cast<int>(i));
    EXPECT_GT(run->steps[i].ms, 0);
    EXPECT_EQ(run->steps[i].threads, 2);
    EXPECT_GT(run->steps_1thread[i].ms, 0);
    EXPECT_EQ(run->steps[i].key, profile::op_key(**plan, steps[i]));
    types.insert(run->steps[i].op_type);
  }
  EXPECT_GT(run->run_ms, 0);
  // One entry per distinct key and thread count: the two Adds share theirs.
  const profile::Profile& p = run->profile;
  EXPECT_EQ(p.ops.size(), 2 * (steps.size() - 1));
  for (const auto& m : p.ops) {
    EXPECT_GT(m.ms, 0);
    EXPECT_TRUE(m.threads == 1 || m.threads == 2);
    EXPECT_EQ(m.samples, m.op_type == "Add" ? 2 * opts.repeat : opts.repeat) << m.key;
    EXPECT_GT(m.bytes, 0);
  }
  EXPECT_EQ(p.models, std::vector<std::string>{"branchy"});
  EXPECT_FALSE(p.device.is_gpu());
  EXPECT_FALSE(p.created.empty());
  ASSERT_TRUE(p.has_concurrency);
  EXPECT_GT(p.concurrency.pairwise_slowdown, 0);
  EXPECT_GT(p.concurrency.alone_ms, 0);
  EXPECT_GT(p.concurrency.concurrent_ms, 0);
  for (const auto& t : types) EXPECT_GT(p.concurrency.by_op_type.count(t), 0u) << t;

  // The cost model built from it returns these measurements for the same steps.
  profile::CostModel cm(p);
  for (size_t i = 0; i < steps.size(); ++i) {
    profile::OpEstimate e = cm.op(**plan, steps[i], 1);
    EXPECT_EQ(e.source, profile::OpEstimate::Source::kMeasured);
    EXPECT_DOUBLE_EQ(e.ms, p.find(run->steps[i].key, 1)->ms);
  }
  // And survives a JSON round trip unchanged.
  auto back = profile::profile_from_json(profile::profile_to_json(p));
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same(p, *back);
}

TEST(Profiler, RejectsBadOptions) {
  Model model = testing::load_proto(testing::branchy_model(8));
  auto plan = exec::make_plan(model.graph(), {{1, 8}});
  ASSERT_TRUE(plan.ok());
  Tensor x = Tensor::zeros(DataType::kFloat32, {1, 8});
  profile::ProfilerOptions opts;
  opts.repeat = 0;
  auto r = profile::profile_plan(**plan, {&x}, opts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("repeat"), std::string::npos);
}

TEST(Profiler, CalibrationMeasuresThisCpu) {
  profile::DeviceSpec d = profile::calibrate_cpu();
  EXPECT_TRUE(d.measured);
  EXPECT_FALSE(d.is_gpu());
  EXPECT_GT(d.peak_fp32_flops, 1e8);
  EXPECT_GT(d.memory_bandwidth, 1e8);
  EXPECT_GT(d.launch_overhead_s, 0);
  EXPECT_LT(d.launch_overhead_s, 1e-2);
}

}  // namespace
}  // namespace top

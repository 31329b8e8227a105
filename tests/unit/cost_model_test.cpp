// Device descriptions, the roofline, measurement lookup and the stage (processor-sharing)
// model of src/profile/cost_model.h, on hand-computed cases and a small real plan.
#include "profile/cost_model.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "exec/plan.h"
#include "exec/schedule.h"
#include "ir/graph.h"
#include "profile/device.h"
#include "profile/profile_io.h"
#include "sched/generators.h"
#include "test_models.h"

namespace top {
namespace {

using profile::CostModel;
using profile::CostModelOptions;
using profile::DeviceKind;
using profile::DeviceSpec;
using profile::OpEstimate;
using profile::OpWork;

// Every class at full efficiency, so the roofline is the textbook one.
CostModelOptions ideal_options() {
  CostModelOptions o;
  for (auto& e : o.gpu_efficiency) e = {1.0, 1.0};
  for (auto& e : o.cpu_efficiency) e = {1.0, 1.0};
  return o;
}

DeviceSpec toy_gpu() {
  DeviceSpec d;
  d.name = "toy-gpu";
  d.kind = DeviceKind::kGpu;
  d.peak_fp32_flops = 1e12;
  d.peak_fp16_tensor_flops = 8e12;
  d.memory_bandwidth = 1e11;
  d.compute_units = 10;
  d.threads_per_unit = 100;  // 1000 resident threads
  d.max_concurrent_kernels = 32;
  d.launch_overhead_s = 1e-6;
  return d;
}

DeviceSpec toy_cpu(int cores) {
  DeviceSpec d;
  d.name = "toy-cpu";
  d.kind = DeviceKind::kCpu;
  d.peak_fp32_flops = 1e10 * cores;  // 10 GFLOP/s per core
  d.memory_bandwidth = 1e10 * cores;
  d.compute_units = cores;
  d.max_concurrent_kernels = cores;
  d.launch_overhead_s = 0;
  return d;
}

OpWork work(const std::string& type, double flops, double bytes, double out_elems, std::string key = "") {
  OpWork w;
  w.op_type = type;
  w.key = std::move(key);
  w.flops = flops;
  w.bytes = bytes;
  w.output_elements = out_elems;
  return w;
}

TEST(DeviceSpecs, PublishedFiguresAreOrdered) {
  DeviceSpec h100 = profile::h100_sxm(), h200 = profile::h200_sxm(), a100 = profile::a100_sxm_80gb(),
             orin = profile::jetson_agx_orin();
  EXPECT_GT(h200.memory_bandwidth, h100.memory_bandwidth);
  EXPECT_GT(h100.memory_bandwidth, a100.memory_bandwidth);
  EXPECT_GT(a100.memory_bandwidth, orin.memory_bandwidth);
  EXPECT_DOUBLE_EQ(h100.peak_fp32_flops, h200.peak_fp32_flops);  // same GH100 configuration
  EXPECT_GT(h100.peak_fp32_flops, a100.peak_fp32_flops);
  EXPECT_GT(a100.peak_fp32_flops, orin.peak_fp32_flops);
  EXPECT_GT(h100.peak_fp16_tensor_flops, a100.peak_fp16_tensor_flops);
  EXPECT_GT(h200.memory_bytes, h100.memory_bytes);
  EXPECT_EQ(h100.compute_units, 132);
  EXPECT_EQ(a100.compute_units, 108);
  EXPECT_EQ(orin.compute_units, 16);
  for (const DeviceSpec& d : {h100, h200, a100, orin}) {
    SCOPED_TRACE(d.name);
    EXPECT_TRUE(d.is_gpu());
    EXPECT_GT(d.peak_fp16_tensor_flops, d.peak_tf32_tensor_flops);
    EXPECT_GT(d.peak_tf32_tensor_flops, d.peak_fp32_flops);
    EXPECT_GT(d.launch_overhead_s, 0);
    EXPECT_LT(d.launch_overhead_s, 1e-4);
    EXPECT_GE(d.max_concurrent_kernels, 16);
    EXPECT_FALSE(d.source.empty());
    // Ridge point (FLOP per byte where compute and memory take equally long): tens for
    // FP32 on every part of this generation.
    double ridge = d.peak_fp32_flops / d.memory_bandwidth;
    EXPECT_GT(ridge, 5);
    EXPECT_LT(ridge, 50);
  }
}

TEST(DeviceSpecs, LookupByNameAndAlias) {
  EXPECT_EQ(profile::device_by_name("H100")->name, "h100-sxm");
  EXPECT_EQ(profile::device_by_name("h200-sxm")->name, "h200-sxm");
  EXPECT_EQ(profile::device_by_name("a100")->name, "a100-sxm-80gb");
  EXPECT_EQ(profile::device_by_name("orin")->name, "jetson-agx-orin");
  auto bad = profile::device_by_name("v100");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find("h100-sxm"), std::string::npos);
}

TEST(DeviceSpecs, CpuHostIsSane) {
  DeviceSpec cpu = profile::cpu_host(3);
  EXPECT_FALSE(cpu.is_gpu());
  EXPECT_EQ(cpu.compute_units, 3);
  EXPECT_EQ(cpu.name.rfind("cpu-", 0), 0u);
  EXPECT_EQ(cpu.name.substr(cpu.name.size() - 3), "-3c");
  double per_core = cpu.peak_fp32_flops / 3;
  EXPECT_GT(per_core, 1e9);   // more than 1 GFLOP/s
  EXPECT_LT(per_core, 1e12);  // less than 1 TFLOP/s
  EXPECT_GT(cpu.memory_bandwidth, 1e9);
  EXPECT_FALSE(cpu.measured);
}

TEST(Roofline, HandComputedGpuCases) {
  CostModel cm(toy_gpu(), ideal_options());
  // Compute bound: 1e9 FLOP at 1e12 FLOP/s = 1 ms (bytes 1e6 / 1e11 = 0.01 ms), + 1 us launch.
  EXPECT_NEAR(cm.roofline_ms(work("Conv", 1e9, 1e6, 1e6)), 1.001, 1e-9);
  // Memory bound: 1e9 bytes at 1e11 B/s = 10 ms.
  EXPECT_NEAR(cm.roofline_ms(work("Relu", 1e6, 1e9, 1e6)), 10.001, 1e-9);
  // Efficiency divides the peak: 50% compute efficiency doubles a compute-bound op.
  CostModelOptions half = ideal_options();
  half.gpu_efficiency[static_cast<size_t>(profile::OpClass::kConv)] = {0.5, 1.0};
  EXPECT_NEAR(CostModel(toy_gpu(), half).roofline_ms(work("Conv", 1e9, 1e6, 1e6)), 2.001, 1e-9);
  // FP16 tensor cores speed up Conv/Gemm only.
  CostModelOptions fp16 = ideal_options();
  fp16.precision = profile::MathPrecision::kFp16;
  CostModel cm16(toy_gpu(), fp16);
  EXPECT_NEAR(cm16.roofline_ms(work("Gemm", 8e9, 1e6, 1e6)), 1.001, 1e-9);
  EXPECT_NEAR(cm16.roofline_ms(work("Add", 1e9, 1e6, 1e6)), 1.001, 1e-9);
  // The default tables are below 1, so a real prediction is slower than the ideal one.
  EXPECT_GT(CostModel(toy_gpu()).roofline_ms(work("Conv", 1e9, 1e6, 1e6)), 1.001);
}

TEST(Roofline, CpuThreadsAndGrain) {
  CostModel cm(toy_cpu(4), ideal_options());
  // 1e9 FLOP at 10 GFLOP/s per core: 100 ms on one thread, 25 ms on four.
  OpWork conv = work("Conv", 1e9, 1e3, 1e6);
  EXPECT_NEAR(cm.roofline_ms(conv, 1), 100.0, 1e-9);
  EXPECT_NEAR(cm.roofline_ms(conv, 4), 25.0, 1e-9);
  EXPECT_NEAR(cm.roofline_ms(conv, 0), 25.0, 1e-9);   // 0 = every core
  EXPECT_NEAR(cm.roofline_ms(conv, 16), 25.0, 1e-9);  // no more than the cores
  // An elementwise op of 1000 elements is below the kernels' grain: one thread only.
  OpWork small = work("Add", 1e3, 1.2e4, 1e3);
  EXPECT_EQ(cm.effective_threads(small, 4), 1);
  EXPECT_NEAR(cm.roofline_ms(small, 4), cm.roofline_ms(small, 1), 1e-12);
  EXPECT_DOUBLE_EQ(cm.demand(small, 4), 0.25);
  EXPECT_EQ(cm.effective_threads(work("Add", 1e6, 1.2e7, 1e6), 4), 4);
}

TEST(Roofline, ThinGemmsAreLessEfficientOnCpu) {
  // Conv X[2,8,10,10] W[16,8,3,3] -> Y[2,16,8,8]: M = 16 channels, N = 64 pixels.
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("Conv", {{2, 8, 10, 10}, {16, 8, 3, 3}}, 2 * 16 * 64), 16);
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("Conv", {{1, 8, 10, 10}, {64, 8, 3, 3}}, 64 * 4), 4);
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("MatMul", {{3, 5, 7}, {7, 9}}, 3 * 5 * 9), 5);
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("Gemm", {{32, 64}, {10, 64}}, 32 * 10), 10);   // transB
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("Gemm", {{1, 1024}, {1024, 1000}}, 1000), 0);  // GEMV
  EXPECT_DOUBLE_EQ(profile::gemm_min_dim("Relu", {{4, 4}}, 16), 0);
  CostModelOptions o = ideal_options();
  o.cpu_gemm_half_dim = 12;
  CostModel cm(toy_cpu(1), o);
  OpWork thin = work("Conv", 1e8, 1e3, 4 * 64);
  thin.gemm_min_dim = 4;  // efficiency 4 / (4 + 12) = 1/4: 10 ms -> 40 ms
  EXPECT_NEAR(cm.roofline_ms(thin, 1), 40.0, 1e-9);
  EXPECT_NEAR(CostModel(toy_gpu(), o).roofline_ms(thin), 0.1 + 0.001, 1e-9);  // GPUs: no factor
}

TEST(Roofline, CacheLevelSpeedsUpSmallWorkingSets) {
  DeviceSpec d = toy_cpu(1);
  d.cache_bytes = 1e6;
  d.cache_bandwidth = 4e10;  // 4x memory
  CostModel cm(d, ideal_options());
  // 4e5 bytes fit in half the cache: 4e5 / 4e10 = 0.01 ms; 4e6 bytes do not: 0.4 ms.
  EXPECT_NEAR(cm.roofline_ms(work("Concat", 0, 4e5, 1e5), 1), 0.01, 1e-12);
  EXPECT_NEAR(cm.roofline_ms(work("Concat", 0, 4e6, 1e6), 1), 0.4, 1e-12);
}

TEST(Occupancy, GpuDemandFromParallelism) {
  CostModel cm(toy_gpu());
  EXPECT_DOUBLE_EQ(cm.demand(work("Relu", 0, 0, 500)), 0.5);  // 500 of 1000 resident threads
  EXPECT_DOUBLE_EQ(cm.demand(work("Relu", 0, 0, 1e7)), 1.0);  // saturates
  EXPECT_DOUBLE_EQ(cm.demand(work("Relu", 0, 0, 1)), 0.1);    // at least one SM of ten
}

TEST(CostModelLookup, PrefersMeasurementsOverAnalytics) {
  profile::Profile p;
  p.device = toy_cpu(2);
  profile::OpMeasurement m;
  m.op_type = "Conv";
  m.key = "Conv|float32[1,3,8,8]|00";
  m.flops = 1e8;
  m.bytes = 1e4;
  m.output_elements = 1e4;
  m.threads = 1;
  m.ms = 7.5;
  p.ops.push_back(m);
  CostModelOptions raw = ideal_options();
  raw.calibrate_analytical = false;
  CostModel cm(p, raw);
  OpWork w = work("Conv", 1e8, 1e4, 1e4, m.key);
  OpEstimate e = cm.op(w, 1);
  EXPECT_EQ(e.source, OpEstimate::Source::kMeasured);
  EXPECT_DOUBLE_EQ(e.ms, 7.5);
  // Another thread count: the measurement scaled by the roofline's ratio (10 ms -> 5 ms).
  OpEstimate two = cm.op(w, 2);
  EXPECT_EQ(two.source, OpEstimate::Source::kScaled);
  EXPECT_NEAR(two.ms, 7.5 * cm.roofline_ms(w, 2) / cm.roofline_ms(w, 1), 1e-12);
  EXPECT_NEAR(two.ms, 3.75, 1e-9);
  // A different key is not measured: the roofline (1e8 / 1e10 = 10 ms).
  OpWork other = work("Conv", 1e8, 1e4, 1e4, "Conv|float32[1,3,9,9]|00");
  OpEstimate a = cm.op(other, 1);
  EXPECT_EQ(a.source, OpEstimate::Source::kAnalytical);
  EXPECT_NEAR(a.ms, 10.0, 1e-9);
  // With calibration on, unmeasured convolutions take the class's measured/roofline ratio.
  CostModelOptions cal = ideal_options();
  CostModel calibrated(p, cal);
  EXPECT_NEAR(calibrated.class_correction(profile::OpClass::kConv, 1), 0.75, 1e-12);
  OpEstimate c = calibrated.op(other, 1);
  EXPECT_EQ(c.source, OpEstimate::Source::kCalibrated);
  EXPECT_NEAR(c.ms, 7.5, 1e-9);
  // Other classes have no measurements: no correction.
  EXPECT_DOUBLE_EQ(calibrated.class_correction(profile::OpClass::kElementwise, 1), 1.0);
  // Measurements can be switched off.
  CostModelOptions off = raw;
  off.use_measurements = false;
  EXPECT_EQ(CostModel(p, off).op(w, 1).source, OpEstimate::Source::kAnalytical);
}

OpEstimate est(double ms, double demand, const std::string& type = "Conv") {
  OpEstimate e;
  e.ms = ms;
  e.demand = demand;
  e.op_type = type;
  return e;
}

TEST(StageModel, TinyConcurrentOpsOverlapSaturatingOpsAdd) {
  CostModel h100(profile::h100_sxm());
  // Tiny kernels (a few SMs each) overlap: the stage takes the longer one.
  OpWork tiny = work("Relu", 1e3, 8e3, 1e3);
  double d = h100.demand(tiny);
  EXPECT_LT(d, 0.05);
  auto s = h100.stage({{est(0.010, d)}, {est(0.020, d)}});
  EXPECT_NEAR(s.ms, 0.020, 1e-9);
  EXPECT_NEAR(s.serial_ms, 0.030, 1e-9);
  // Saturating kernels share the whole device: the stage takes the sum.
  OpWork big = work("Conv", 1e11, 1e8, 1e8);
  EXPECT_DOUBLE_EQ(h100.demand(big), 1.0);
  auto b = h100.stage({{est(1.0, 1.0)}, {est(2.0, 1.0)}});
  EXPECT_NEAR(b.ms, 3.0, 1e-9);
  EXPECT_NEAR(b.group_finish_ms[0], 2.0, 1e-9);  // both run at half speed until the first ends
  EXPECT_NEAR(b.group_finish_ms[1], 3.0, 1e-9);
  // Three ops wanting 0.6 of the device each: 1.8x stretched.
  auto c = h100.stage({{est(1.0, 0.6)}, {est(1.0, 0.6)}, {est(1.0, 0.6)}});
  EXPECT_NEAR(c.ms, 1.8, 1e-9);
  // Two halves fit side by side.
  EXPECT_NEAR(h100.stage({{est(1.0, 0.5)}, {est(1.0, 0.5)}}).ms, 1.0, 1e-9);
}

TEST(StageModel, SequencesAndEdgeCases) {
  CostModel gpu(toy_gpu());
  // Group A: two saturating ops of 1 ms; group B: one of 2 ms. Work is conserved.
  auto s = gpu.stage({{est(1.0, 1.0), est(1.0, 1.0)}, {est(2.0, 1.0)}});
  EXPECT_NEAR(s.ms, 4.0, 1e-9);
  // A group of tiny ops next to a saturating one: the tiny ones squeeze in.
  auto m = gpu.stage({{est(0.5, 0.1), est(0.5, 0.1)}, {est(1.0, 1.0)}});
  EXPECT_NEAR(m.ms, 1.1, 1e-9);
  EXPECT_EQ(gpu.stage({}).ms, 0.0);
  EXPECT_EQ(gpu.stage({{}, {est(0.3, 0.2)}}).ms, 0.3);
  // One concurrent kernel at a time: even tiny ones serialise.
  DeviceSpec serial = toy_gpu();
  serial.max_concurrent_kernels = 1;
  EXPECT_NEAR(CostModel(serial).stage({{est(1.0, 0.01)}, {est(1.0, 0.01)}}).ms, 2.0, 1e-9);
}

TEST(StageModel, CpuStreamsShareCores) {
  CostModel cpu(toy_cpu(2), ideal_options());
  OpWork w = work("Conv", 1e8, 1e4, 1e4);
  double d1 = cpu.demand(w, 1);
  EXPECT_DOUBLE_EQ(d1, 0.5);
  // Two one-thread streams on two cores run side by side; four share them.
  EXPECT_NEAR(cpu.stage({{est(1.0, d1)}, {est(1.0, d1)}}).ms, 1.0, 1e-9);
  EXPECT_NEAR(cpu.stage({{est(1.0, d1)}, {est(1.0, d1)}, {est(1.0, d1)}, {est(1.0, d1)}}).ms, 2.0, 1e-9);
  // Measured co-run interference stretches concurrent ops on top of the sharing.
  profile::Profile p;
  p.device = toy_cpu(2);
  p.has_concurrency = true;
  p.concurrency.pairwise_slowdown = 1.5;
  p.concurrency.by_op_type["Relu"] = 1.2;
  CostModel measured(p, ideal_options());
  EXPECT_NEAR(measured.stage({{est(1.0, d1)}, {est(1.0, d1)}}).ms, 1.5, 1e-9);
  EXPECT_NEAR(measured.stage({{est(1.0, d1, "Relu")}, {est(1.0, d1, "Relu")}}).ms, 1.2, 1e-9);
  EXPECT_NEAR(measured.stage({{est(1.0, d1)}}).ms, 1.0, 1e-9);  // alone: no interference
  CostModelOptions no_conc = ideal_options();
  no_conc.use_concurrency = false;
  EXPECT_NEAR(CostModel(p, no_conc).stage({{est(1.0, d1)}, {est(1.0, d1)}}).ms, 1.0, 1e-9);
}

TEST(StageModel, RandomStagesStayBetweenMaxAndSum) {
  // Processor sharing never beats the longest group nor loses to running all in series.
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> ms(0.01, 2.0), dem(0.01, 1.0);
  CostModel gpu(toy_gpu());
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::vector<OpEstimate>> groups(1 + rng() % 4);
    double longest = 0;
    for (auto& g : groups) {
      double sum = 0;
      for (size_t i = 0, n = 1 + rng() % 4; i < n; ++i) {
        g.push_back(est(ms(rng), dem(rng)));
        sum += g.back().ms;
      }
      longest = std::max(longest, sum);
    }
    auto s = gpu.stage(groups);
    EXPECT_GE(s.ms, longest - 1e-9);
    EXPECT_LE(s.ms, s.serial_ms + 1e-9);
  }
}

TEST(CostModelPlan, SchedulesOnABranchyPlan) {
  Model model = testing::load_proto(testing::branchy_model(32));
  auto plan = exec::make_plan(model.graph(), {{4, 32}});
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  exec::TaskGraph g = exec::TaskGraph::build(*plan, 1);
  auto seq = sched::sequential_schedule(g);
  sched::GeneratorOptions four;
  four.max_groups = 4;
  auto greedy = sched::greedy_schedule(g, four);
  ASSERT_TRUE(seq.ok() && greedy.ok());
  CostModel h100(profile::h100_sxm());
  double serial = 0;
  for (const auto& st : (*plan)->steps) {
    OpEstimate e = h100.op(**plan, st);
    EXPECT_GT(e.ms, 0);
    EXPECT_EQ(e.source, OpEstimate::Source::kAnalytical);
    serial += e.ms;
  }
  EXPECT_NEAR(h100.schedule_ms(*seq), serial, 1e-9);
  // Tiny ops on an H100 overlap: the branchy schedule is strictly faster.
  EXPECT_LT(h100.schedule_ms(*greedy), serial - 1e-6);
  // Keys tell steps apart by type and shape: Relu vs Neg differ, the two Adds match.
  std::set<std::string> keys;
  for (const auto& st : (*plan)->steps) keys.insert(profile::op_key(**plan, st));
  EXPECT_EQ(keys.size(), (*plan)->steps.size() - 1);
}

// x[1,2,6,6] -> Conv(W[3,2,3,3], pads 1) -> Relu -> y: fusable into one step.
Model conv_relu_model() {
  std::mt19937 rng(9);
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1, 2, 6, 6});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1, 3, 6, 6});
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {3, 2, 3, 3}) w->add_dims(d);
  std::normal_distribution<float> nd(0.f, 0.5f);
  for (int i = 0; i < 54; ++i) w->add_float_data(nd(rng));
  auto* conv = testing::add_node(g, "Conv", {"x", "w"}, {"c"});
  auto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  testing::add_node(g, "Relu", {"c"}, {"y"});
  return testing::load_proto(m);
}

TEST(OpKeys, FusedStepsHaveTheirOwnKey) {
  Model model = conv_relu_model();
  exec::PlanOptions unfused_opts;
  unfused_opts.fuse = false;
  auto fused = exec::make_plan(model.graph(), {{1, 2, 6, 6}});
  auto unfused = exec::make_plan(model.graph(), {{1, 2, 6, 6}}, unfused_opts);
  ASSERT_TRUE(fused.ok() && unfused.ok());
  ASSERT_EQ((*fused)->steps.size(), 1u);
  ASSERT_EQ((*unfused)->steps.size(), 2u);
  std::string k_fused = profile::op_key(**fused, (*fused)->steps[0]);
  std::string k_conv = profile::op_key(**unfused, (*unfused)->steps[0]);
  EXPECT_EQ(k_fused.substr(0, k_fused.rfind('|')), k_conv.substr(0, k_conv.rfind('|')));  // same type and inputs
  EXPECT_NE(k_fused, k_conv);
  // The cost model sees the fused step's work: the Conv's plus the Relu's.
  profile::OpWork wf = profile::describe_step(**fused, (*fused)->steps[0]);
  profile::OpWork wc = profile::describe_step(**unfused, (*unfused)->steps[0]);
  EXPECT_EQ(wf.op_type, "Conv");
  EXPECT_GT(wf.flops, wc.flops);
  EXPECT_DOUBLE_EQ(wf.gemm_min_dim, 3);  // 3 output channels, 36 pixels
}

TEST(OpKeys, ShapesAndAttributesChangeTheKey) {
  ir::Attributes a, b;
  ir::Attribute k;
  k.kind = ir::Attribute::Kind::kInts;
  k.ints = {3, 3};
  a.set("kernel_shape", k);
  k.ints = {5, 5};
  b.set("kernel_shape", k);
  EXPECT_NE(profile::attributes_hash(a), profile::attributes_hash(b));
  EXPECT_EQ(profile::attributes_hash(a), profile::attributes_hash(a));
  std::vector<DataType> f32 = {DataType::kFloat32};
  std::string k1 = profile::op_key("MaxPool", f32, {{1, 8, 4, 4}}, a);
  EXPECT_EQ(k1, profile::op_key("MaxPool", f32, {{1, 8, 4, 4}}, a));
  EXPECT_NE(k1, profile::op_key("MaxPool", f32, {{1, 8, 4, 5}}, a));
  EXPECT_NE(k1, profile::op_key("MaxPool", f32, {{1, 8, 4, 4}}, b));
  EXPECT_NE(k1, profile::op_key("AveragePool", f32, {{1, 8, 4, 4}}, a));
  EXPECT_EQ(k1.rfind("MaxPool|float32[1,8,4,4]|", 0), 0u);
}

}  // namespace
}  // namespace top

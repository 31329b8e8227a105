// Device memory: weights are uploaded once per plan and shared by every instance;
// a plan too large for the device fails with OutOfMemory (an error of that call) and
// leaves the backend usable.
#include <gtest/gtest.h>

#include "exec/schedule.h"
#include "gpu_test_util.h"
#include "sched/generators.h"
#include "test_models.h"

namespace top::gputest {
namespace {

// Alignment slack the backend may add per packed constant (pack_offsets aligns each
// tensor for vector loads; 256 bytes covers cudaMalloc's own alignment).
constexpr size_t kPackSlack = 256;

size_t constant_bytes(const exec::ExecutionPlan& plan, size_t* count) {
  size_t bytes = 0;
  *count = 0;
  for (const exec::Slot& s : plan.slots)
    if (s.kind == exec::Slot::Kind::kConstant) {
      bytes += s.constant.nbytes();
      ++*count;
    }
  return bytes;
}

Result<std::unique_ptr<cuda::ScheduleInstance>> prepare_sequential(std::shared_ptr<const exec::ExecutionPlan> plan,
                                                                   const std::vector<Tensor>& inputs) {
  TOP_ASSIGN_OR_RETURN(exec::Schedule s, sched::sequential_schedule(exec::TaskGraph::build(std::move(plan), 1)));
  return backend()->prepare(s, {pointers(inputs)});
}

TEST(GpuMemory, WeightsUploadedOncePerPlanAndShared) {
  TOP_SKIP_WITHOUT_GPU();
  Model model = testing::load_proto(testing::inception_block_model(5));
  std::vector<Tensor> inputs = random_model_inputs(model, 1, 3);
  auto plan = plan_for(model, inputs);  // a fresh plan: nothing of it is on the device yet
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  size_t count = 0;
  const size_t weights = constant_bytes(**plan, &count);
  ASSERT_GT(weights, 0u);

  // The backend drops cached plans of models that are gone when it next uploads one; a
  // weightless throwaway upload does that now, so the delta below is this plan's alone.
  {
    Model weightless = testing::load_proto(testing::branchy_model(8));
    std::vector<Tensor> x = random_model_inputs(weightless, 1, 2);
    auto p = plan_for(weightless, x);
    ASSERT_TRUE(p.ok() && run_cuda(**p, x).ok());
  }
  const size_t before = backend()->memory_stats().weights_bytes;
  auto first = prepare_sequential(*plan, inputs);
  ASSERT_TRUE(first.ok()) << first.status().to_string();
  const size_t after_first = backend()->memory_stats().weights_bytes;
  ASSERT_GE(after_first, before);
  EXPECT_GE(after_first - before, weights) << "the plan's constants are " << weights << " bytes";
  EXPECT_LE(after_first - before, weights + kPackSlack * count) << "more than the plan's constants were uploaded";

  auto second = prepare_sequential(*plan, inputs);
  ASSERT_TRUE(second.ok()) << second.status().to_string();
  EXPECT_EQ(backend()->memory_stats().weights_bytes, after_first) << "a second instance uploaded the weights again";
  auto out = run_cuda(**plan, inputs);  // the one-stream path shares them too
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(backend()->memory_stats().weights_bytes, after_first);

  // Each instance holds at least one task's graph inputs and outputs of its own.
  size_t io = 0;
  for (const Tensor& t : inputs) io += t.nbytes();
  for (const Tensor& t : *out) io += t.nbytes();
  EXPECT_GE((*second)->device_bytes(), io);
}

// x[1] -> Expand to 5e10 floats (200 GB, more than any GPU has) -> Slice the first
// element -> y[1]: tiny inputs and outputs, a huge activation.
onnx::ModelProto huge_activation_model() {
  onnx::ModelProto m = testing::empty_model(13);
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::FLOAT, {1});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::FLOAT, {1});
  const std::pair<const char*, int64_t> ints[] = {{"big_shape", 50'000'000'000}, {"zero", 0}, {"one", 1}};
  for (const auto& [name, value] : ints) {
    onnx::TensorProto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT64);
    t->add_dims(1);
    t->add_int64_data(value);
  }
  testing::add_node(g, "Expand", {"x", "big_shape"}, {"big"}, "expand_huge");
  testing::add_node(g, "Slice", {"big", "zero", "one"}, {"y"}, "first");
  return m;
}

TEST(GpuMemory, HugeActivationIsOutOfMemoryNotACrash) {
  TOP_SKIP_WITHOUT_GPU();
  Model model = testing::load_proto(huge_activation_model());
  std::vector<Tensor> inputs = random_model_inputs(model, 1, 9);
  auto plan = plan_for(model, inputs);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  ASSERT_GE((*plan)->arena_bytes, size_t(200'000'000'000));

  auto run = run_cuda(**plan, inputs);
  ASSERT_FALSE(run.ok()) << "a 200 GB activation arena was allocated?";
  EXPECT_EQ(run.status().code(), StatusCode::kOutOfMemory) << run.status().to_string();
  auto inst = prepare_sequential(*plan, inputs);
  if (inst.ok()) {  // an instance may allocate lazily: then its first run must fail
    Status s = (*inst)->run();
    EXPECT_EQ(s.code(), StatusCode::kOutOfMemory) << s.to_string();
  } else {
    EXPECT_EQ(inst.status().code(), StatusCode::kOutOfMemory) << inst.status().to_string();
  }

  // The backend still works afterwards.
  Model small = testing::load_proto(testing::branchy_model(16));
  std::vector<Tensor> x = random_model_inputs(small, 2, 4);
  auto small_plan = plan_for(small, x);
  ASSERT_TRUE(small_plan.ok());
  auto cpu = run_cpu(**small_plan, x);
  auto gpu = run_cuda(**small_plan, x);
  ASSERT_TRUE(cpu.ok() && gpu.ok()) << (gpu.ok() ? cpu.status().to_string() : gpu.status().to_string());
  EXPECT_EQ(compare_all(*gpu, *cpu, 1e-5), "");
}

}  // namespace
}  // namespace top::gputest

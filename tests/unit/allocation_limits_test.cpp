// The checked allocation path (top/limits.h, Tensor::allocate): sizes a file, header or
// caller chooses are validated with overflow-safe arithmetic before anything is
// allocated, and nothing throws; wrapped input buffers must be real and large enough.
#include <gtest/gtest.h>

#include "op_test_util.h"
#include "test_models.h"
#include "top/limits.h"
#include "top/runtime.h"
#include "top/session.h"

namespace top {
namespace {

// Restores the default limit however a test ends.
struct LimitGuard {
  explicit LimitGuard(size_t bytes) { set_max_allocation_bytes(bytes); }
  ~LimitGuard() { set_max_allocation_bytes(0); }
};

TEST(AllocationLimits, DefaultIsHalfThePhysicalMemory) {
  if (std::getenv("TOP_MAX_ALLOCATION_BYTES")) GTEST_SKIP() << "TOP_MAX_ALLOCATION_BYTES overrides the default";
  EXPECT_GT(physical_memory_bytes(), size_t(1) << 28);
  EXPECT_EQ(max_allocation_bytes(), physical_memory_bytes() / 2);
  LimitGuard g(12345);
  EXPECT_EQ(max_allocation_bytes(), 12345u);
}

TEST(AllocationLimits, CheckedBytesRefusesOverflowNegativeAndOverLimit) {
  auto ok = checked_tensor_bytes(DataType::kFloat32, {2, 3, 5});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 120u);
  EXPECT_EQ(*checked_tensor_bytes(DataType::kFloat32, {0, INT64_MAX, INT64_MAX}), 0u);  // empty is fine
  EXPECT_EQ(checked_tensor_bytes(DataType::kFloat32, {-2, 4}).status().code(), StatusCode::kInvalidArgument);
  // 2^62 * 4 bytes wraps to 0 in size_t arithmetic: must be caught, not read as 0.
  EXPECT_EQ(checked_tensor_bytes(DataType::kFloat32, {int64_t(1) << 62}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(checked_tensor_bytes(DataType::kInt64, {INT64_MAX, INT64_MAX}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(checked_tensor_bytes(DataType::kUndefined, {1}).status().code(), StatusCode::kInvalidArgument);
  LimitGuard g(1000);
  Status s = checked_tensor_bytes(DataType::kFloat32, {251}, "input 'x'").status();
  EXPECT_EQ(s.code(), StatusCode::kOutOfMemory);
  EXPECT_NE(s.message().find("input 'x'"), std::string::npos) << s.message();
  EXPECT_TRUE(checked_tensor_bytes(DataType::kFloat32, {250}).ok());
}

TEST(AllocationLimits, TensorFactoriesNeverThrow) {
  // 3e9 floats (12 GB) against a 1 MB limit: refused before any byte is allocated.
  LimitGuard g(size_t(1) << 20);
  auto big = Tensor::allocate(DataType::kFloat32, {3000000000});
  EXPECT_EQ(big.status().code(), StatusCode::kOutOfMemory);
  EXPECT_NO_THROW({
    Tensor z = Tensor::zeros(DataType::kFloat32, {3000000000});
    EXPECT_FALSE(z.defined());
    Tensor o = Tensor::zeros(DataType::kFloat32, {int64_t(1) << 62});
    EXPECT_FALSE(o.defined());
    Tensor v = Tensor::from_vector<float>({INT64_MAX, 2}, {1.0f, 2.0f});
    EXPECT_FALSE(v.defined());
  });
  Tensor small = Tensor::from_vector<float>({2}, {1.5f, -2.0f});
  ASSERT_TRUE(small.defined());
  EXPECT_GE(small.capacity_bytes(), small.nbytes());
  set_max_allocation_bytes(4);  // the clone would exceed it
  EXPECT_FALSE(small.clone().defined());
}

TEST(AllocationLimits, AllocateIsZeroFilledAndAligned) {
  auto t = Tensor::allocate(DataType::kFloat64, {3, 7});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t->raw_data()) % 64, 0u);
  for (int64_t i = 0; i < t->numel(); ++i) EXPECT_EQ(t->data<double>()[i], 0.0);
}

TEST(WrappedInputs, NullOrShortBuffersAreRefusedBySessionAndRuntime) {
  Model m = testing::load_proto(testing::branchy_model(16));
  auto session = Session::create(m).value();
  Tensor source = testing::random_tensor<float>({2, 16}, 3);
  std::vector<float> data(source.data<float>(), source.data<float>() + source.numel());

  Tensor null_buf = Tensor::wrap(DataType::kFloat32, {2, 16}, nullptr, nullptr, 1 << 20);
  auto r = session->run({null_buf});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("null"), std::string::npos) << r.status().message();

  Tensor short_buf = Tensor::wrap(DataType::kFloat32, {2, 16}, nullptr, data.data(), 16 * sizeof(float));
  r = session->run({short_buf});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("buffer holds 64"), std::string::npos) << r.status().message();

  Tensor good = Tensor::wrap(DataType::kFloat32, {2, 16}, nullptr, data.data(), data.size() * sizeof(float));
  auto ref = session->run({good});
  ASSERT_TRUE(ref.ok()) << ref.status().to_string();

  RuntimeConfig cfg;
  cfg.num_streams = 1;
  auto rt = Runtime::create(cfg).value();
  ASSERT_TRUE(rt->load_model("m", m).ok());
  EXPECT_EQ(rt->submit("m", {null_buf}).get().status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rt->submit("m", {short_buf}).get().status.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(rt->submit("m", {Tensor()}).get().status.code(), StatusCode::kInvalidArgument);
  TaskResult ok = rt->submit("m", {good}).get();
  ASSERT_TRUE(ok.status.ok()) << ok.status.to_string();
  ASSERT_EQ(ok.outputs.size(), ref->size());
  for (int64_t i = 0; i < ok.outputs[0].numel(); ++i)
    EXPECT_FLOAT_EQ(ok.outputs[0].data<float>()[i], (*ref)[0].data<float>()[i]);
  rt->shutdown();
}

}  // namespace
}  // namespace top

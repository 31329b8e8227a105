// Needs no GPU: the comparison every GPU test relies on (gpu_test_util.h's compare)
// must be able to fail, for float16 outputs (Cast) too.
#include <gtest/gtest.h>

#include <cstring>

#include "gpu_test_util.h"

namespace top::gputest {
namespace {

Tensor half_tensor(const std::vector<uint16_t>& bits) {
  Tensor t = Tensor::zeros(DataType::kFloat16, {static_cast<int64_t>(bits.size())});
  std::memcpy(t.raw_data(), bits.data(), bits.size() * sizeof(uint16_t));
  return t;
}

TEST(GpuCompare, Float16ComparesValuesAndNaNAgrees) {
  // 1.0, -2.0, 65504 (max), a subnormal; then NaN with the CPU's and the GPU's payloads.
  const Tensor ref = half_tensor({0x3c00, 0xc000, 0x7bff, 0x0001, 0x7e00});
  EXPECT_EQ(compare(half_tensor({0x3c00, 0xc000, 0x7bff, 0x0001, 0x7fff}), ref, 0.0), "");
  EXPECT_NE(compare(half_tensor({0x3c01, 0xc000, 0x7bff, 0x0001, 0x7e00}), ref, 0.0), "");  // 1 ulp off
  EXPECT_NE(compare(half_tensor({0x3c00, 0xc000, 0x7bff, 0x0001, 0x3c00}), ref, 0.0), "");  // NaN lost
}

TEST(GpuCompare, FloatToleranceIsRelativeToTheLargestReference) {
  const Tensor ref = Tensor::from_vector<float>({3}, {100.0f, -1.0f, 0.5f});
  EXPECT_EQ(compare(Tensor::from_vector<float>({3}, {100.0f, -1.0f, 0.5005f}), ref, 1e-5), "");
  EXPECT_NE(compare(Tensor::from_vector<float>({3}, {100.0f, -1.0f, 0.6f}), ref, 1e-5), "");
  EXPECT_NE(compare(Tensor::from_vector<int64_t>({3}, {100, -1, 0}), ref, 1e-5), "");  // dtype
}

}  // namespace
}  // namespace top::gputest

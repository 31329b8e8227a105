// The GPU kernels' addressing, checked without a GPU: the index spaces the CUDA op
// factories build (backend/cuda/op_index.h) are replayed on the host with the same
// __host__ __device__ functions the kernels call (kernels/index_math.h), and the result
// must equal the CPU operator's output on random inputs.
#ifdef TOP_WITH_CUDA

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_op_util.h"
#include "backend/cuda/op_index.h"
#include "kernels/index_math.h"
#include "op_test_util.h"

namespace top {
namespace {

namespace tt = top::testing;
using kernels::StridedIndex;

// One node run on the CPU, and the prepare context a GPU factory would see for it.
struct Case {
  ir::Node node;
  std::vector<Tensor> inputs;
  tt::OpRun cpu;
  cuda::PrepareContext ctx;
};

std::unique_ptr<Case> run_case(const std::string& type, const ir::Attributes& attrs, std::vector<Tensor> inputs,
                               int opset) {
  auto c = std::make_unique<Case>();
  c->node.name = "n0";
  c->node.op_type = type;
  c->node.opset = opset;
  c->node.attrs = attrs;
  c->inputs = std::move(inputs);
  c->cpu = tt::run_op(type, attrs, c->inputs, opset);
  EXPECT_TRUE(c->cpu.status.ok()) << type << ": " << c->cpu.status.to_string();
  c->ctx.node = &c->node;
  c->ctx.attrs = &c->node.attrs;
  for (const Tensor& t : c->inputs)
    c->ctx.inputs.push_back(t.defined() ? ops::ValueInfo{t.dtype(), t.shape(), &t} : ops::ValueInfo{});
  for (const Tensor& t : c->cpu.outputs) c->ctx.outputs.push_back(ops::ValueInfo{t.dtype(), t.shape(), nullptr});
  return c;
}

// The strided copy kernel on the host: dst[off1] = src[off0].
Tensor replay_copy(const StridedIndex<2>& index, const Tensor& x, const Tensor& like) {
  Tensor y = Tensor::zeros(like.dtype(), like.shape());
  const size_t es = dtype_size(x.dtype());
  EXPECT_EQ(kernels::strided_numel(index), y.numel());
  for (int64_t i = 0; i < kernels::strided_numel(index); ++i) {
    int64_t off[2];
    kernels::strided_offsets(index, i, off);
    std::memcpy(static_cast<char*>(y.raw_data()) + off[1] * es, static_cast<const char*>(x.raw_data()) + off[0] * es,
                es);
  }
  return y;
}

Tensor ints(std::vector<int64_t> v) { return tt::i64(std::move(v)); }

TEST(CudaIndexMath, SliceMatchesCpu) {
  const Tensor x = tt::random_tensor<float>({3, 4, 5, 6}, 1);
  struct S {
    std::vector<int64_t> starts, ends, axes, steps;
  };
  const int64_t big = INT64_MAX;
  for (const S& s : std::vector<S>{{{1, 0}, {3, 5}, {0, 2}, {1, 2}},
                                   {{-1}, {-big}, {3}, {-1}},
                                   {{10, -3}, {-10, big}, {1, -1}, {-2, 1}},
                                   {{0, 1, 2, 0}, {3, 4, 5, 6}, {0, 1, 2, 3}, {2, 2, 2, 5}},
                                   {{2}, {2}, {0}, {1}}}) {
    auto c = run_case("Slice", {}, {x, ints(s.starts), ints(s.ends), ints(s.axes), ints(s.steps)}, 13);
    Result<StridedIndex<2>> index = cuda::slice_index(c->ctx);
    ASSERT_TRUE(index.ok()) << index.status().to_string();
    EXPECT_TRUE(tt::same_bytes(replay_copy(*index, x, c->cpu.out()), c->cpu.out()));
  }
}

TEST(CudaIndexMath, TransposeMatchesCpu) {
  const Tensor x = tt::random_tensor<int64_t>({2, 3, 4, 5}, 2, -100, 100);
  for (const std::vector<int64_t>& perm :
       std::vector<std::vector<int64_t>>{{0, 2, 3, 1}, {3, 2, 1, 0}, {1, 0, 2, 3}, {0, 1, 3, 2}, {2, 0, 3, 1}}) {
    auto c = run_case("Transpose", tt::attrs_of({{"perm", tt::a_ints(perm)}}), {x}, 13);
    Result<StridedIndex<2>> index = cuda::transpose_index(c->ctx);
    ASSERT_TRUE(index.ok()) << index.status().to_string();
    EXPECT_TRUE(tt::same_bytes(replay_copy(*index, x, c->cpu.out()), c->cpu.out()));
  }
}

TEST(CudaIndexMath, TileMatchesCpu) {
  const Tensor x = tt::random_tensor<float>({2, 1, 3}, 3);
  for (const std::vector<int64_t>& reps : std::vector<std::vector<int64_t>>{{1, 4, 2}, {3, 1, 1}, {2, 2, 2}}) {
    auto c = run_case("Tile", {}, {x, ints(reps)}, 13);
    Result<StridedIndex<2>> index = cuda::tile_index(c->ctx);
    ASSERT_TRUE(index.ok()) << index.status().to_string();
    EXPECT_TRUE(tt::same_bytes(replay_copy(*index, x, c->cpu.out()), c->cpu.out()));
  }
}

TEST(CudaIndexMath, ExpandBroadcastMatchesCpu) {
  const Tensor x = tt::random_tensor<float>({3, 1, 2}, 4);
  auto c = run_case("Expand", {}, {x, ints({2, 3, 4, 2})}, 13);
  Result<StridedIndex<2>> index = cuda::broadcast_index<2>(c->ctx, {x.shape()}, c->cpu.out().shape());
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  EXPECT_TRUE(tt::same_bytes(replay_copy(*index, x, c->cpu.out()), c->cpu.out()));
}

TEST(CudaIndexMath, BinaryBroadcastOffsetsMatchCpuAdd) {
  const Tensor a = tt::random_tensor<float>({2, 1, 4, 5}, 5);
  const Tensor b = tt::random_tensor<float>({3, 1, 5}, 6);
  auto c = run_case("Add", {}, {a, b}, 13);
  Result<StridedIndex<3>> index = cuda::broadcast_index<3>(c->ctx, {a.shape(), b.shape()}, c->cpu.out().shape());
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  const Tensor& ref = c->cpu.out();
  ASSERT_EQ(kernels::strided_numel(*index), ref.numel());
  for (int64_t i = 0; i < ref.numel(); ++i) {
    int64_t off[3];
    kernels::strided_offsets(*index, i, off);
    ASSERT_EQ(a.data<float>()[off[0]] + b.data<float>()[off[1]], ref.data<float>()[off[2]]) << "element " << i;
  }
}

TEST(CudaIndexMath, PadMatchesCpuInEveryMode) {
  const Tensor x = tt::random_tensor<float>({2, 3, 4}, 7);
  for (const char* mode : {"constant", "reflect", "edge", "wrap"}) {
    for (const std::vector<int64_t>& pads :
         std::vector<std::vector<int64_t>>{{0, 2, 3, 1, 1, 2}, {1, 0, -1, 0, 2, 1}, {0, 1, 0, 0, 2, 3}}) {
      auto c = run_case("Pad", tt::attrs_of({{"mode", tt::a_str(mode)}}), {x, ints(pads), tt::f32({}, {1.5f})}, 13);
      Result<cuda::PadPlan> plan = cuda::pad_plan(c->ctx);
      ASSERT_TRUE(plan.ok()) << plan.status().to_string();
      EXPECT_TRUE(plan->device_value);
      const Tensor& ref = c->cpu.out();
      for (int64_t i = 0; i < ref.numel(); ++i) {
        const int64_t off = kernels::pad_source_offset(plan->index, i);
        const float v = off < 0 ? 1.5f : x.data<float>()[off];
        ASSERT_EQ(v, ref.data<float>()[i]) << mode << " element " << i;
      }
    }
  }
}

TEST(CudaIndexMath, PadWithAxesAndAttributeValue) {
  const Tensor x = tt::random_tensor<int32_t>({3, 5}, 8, -50, 50);
  auto c = run_case("Pad", tt::attrs_of({{"mode", tt::a_str("reflect")}}), {x, ints({2, 3}), Tensor(), ints({-1})}, 18);
  Result<cuda::PadPlan> plan = cuda::pad_plan(c->ctx);
  ASSERT_TRUE(plan.ok()) << plan.status().to_string();
  const Tensor& ref = c->cpu.out();
  for (int64_t i = 0; i < ref.numel(); ++i)
    ASSERT_EQ(x.data<int32_t>()[kernels::pad_source_offset(plan->index, i)], ref.data<int32_t>()[i]) << i;
  auto old = run_case("Pad", tt::attrs_of({{"pads", tt::a_ints({1, 0, 0, 2})}, {"value", tt::a_float(-7.0f)}}), {x}, 2);
  Result<cuda::PadPlan> old_plan = cuda::pad_plan(old->ctx);
  ASSERT_TRUE(old_plan.ok()) << old_plan.status().to_string();
  int32_t fill;
  std::memcpy(&fill, &old_plan->value, sizeof fill);
  for (int64_t i = 0; i < old->cpu.out().numel(); ++i) {
    const int64_t off = kernels::pad_source_offset(old_plan->index, i);
    ASSERT_EQ(off < 0 ? fill : x.data<int32_t>()[off], old->cpu.out().data<int32_t>()[i]) << i;
  }
}

// Replays a resize on the host with the kernels' per-element functions.
void expect_resize_matches(const Case& c, bool upsample, const std::string& what) {
  Result<cuda::ResizePlan> plan = cuda::resize_plan(c.ctx, upsample);
  ASSERT_TRUE(plan.ok()) << what << ": " << plan.status().to_string();
  const Tensor& x = c.inputs[0];
  const Tensor& ref = c.cpu.out();
  if (plan->copy) {
    EXPECT_TRUE(tt::same_bytes(x, ref)) << what;
    return;
  }
  for (int64_t i = 0; i < ref.numel(); ++i) {
    float v;
    if (plan->params.sampling.mode == kernels::ResizeMode::kNearest) {
      bool outside;
      const int64_t off = kernels::resize_nearest_source(plan->params, i, &outside);
      v = outside ? plan->extrapolation : x.data<float>()[off];
      ASSERT_EQ(v, ref.data<float>()[i]) << what << " element " << i;
    } else {
      v = kernels::resize_interpolate_at<float>(plan->params, x.data<float>(), i, plan->extrapolation);
      ASSERT_NEAR(v, ref.data<float>()[i], 1e-5f) << what << " element " << i;
    }
  }
}

TEST(CudaIndexMath, ResizeNearestMatchesCpuForEveryRoundingAndTransform) {
  const Tensor x = tt::random_tensor<float>({1, 2, 5, 7}, 9);
  for (const char* coord : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn",
                            "half_pixel_symmetric"}) {
    for (const char* nearest : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"}) {
      for (const std::vector<float>& scales : std::vector<std::vector<float>>{{1, 1, 2, 1.5f}, {1, 1, 0.6f, 0.43f}}) {
        const ir::Attributes attrs = tt::attrs_of({{"mode", tt::a_str("nearest")},
                                                   {"coordinate_transformation_mode", tt::a_str(coord)},
                                                   {"nearest_mode", tt::a_str(nearest)}});
        auto c = run_case("Resize", attrs, {x, Tensor(), tt::f32v(scales)}, 13);
        expect_resize_matches(*c, false, std::string(coord) + "/" + nearest);
      }
    }
  }
}

TEST(CudaIndexMath, ResizeLinearAndCubicMatchCpu) {
  const Tensor x = tt::random_tensor<float>({1, 2, 6, 5}, 10);
  for (const char* mode : {"linear", "cubic"}) {
    for (const char* coord : {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"}) {
      const ir::Attributes attrs = tt::attrs_of({{"mode", tt::a_str(mode)},
                                                 {"coordinate_transformation_mode", tt::a_str(coord)},
                                                 {"exclude_outside", tt::a_int(std::string(mode) == "cubic")}});
      auto up = run_case("Resize", attrs, {x, Tensor(), Tensor(), ints({1, 2, 9, 11})}, 13);
      expect_resize_matches(*up, false, std::string(mode) + "/" + coord + " sizes");
      auto down = run_case("Resize", attrs, {x, Tensor(), tt::f32v({1, 1, 0.5f, 0.8f})}, 13);
      expect_resize_matches(*down, false, std::string(mode) + "/" + coord + " scales");
    }
  }
}

TEST(CudaIndexMath, ResizeCropAndResizeExtrapolatesLikeCpu) {
  const Tensor x = tt::random_tensor<float>({1, 1, 4, 4}, 11);
  for (const char* mode : {"nearest", "linear"}) {
    const ir::Attributes attrs = tt::attrs_of({{"mode", tt::a_str(mode)},
                                               {"coordinate_transformation_mode", tt::a_str("tf_crop_and_resize")},
                                               {"extrapolation_value", tt::a_float(-3.0f)}});
    const Tensor roi = tt::f32v({0, 0, -0.2f, 0.1f, 1, 1, 0.9f, 1.3f});
    auto c = run_case("Resize", attrs, {x, roi, Tensor(), ints({1, 1, 6, 5})}, 13);
    expect_resize_matches(*c, false, mode);
  }
}

TEST(CudaIndexMath, UpsampleAndKeepAspectRatioMatchCpu) {
  const Tensor x = tt::random_tensor<float>({1, 1, 3, 4}, 12);
  auto up = run_case("Upsample", tt::attrs_of({{"mode", tt::a_str("nearest")}}), {x, tt::f32v({1, 1, 2, 3})}, 9);
  expect_resize_matches(*up, true, "Upsample");
  const ir::Attributes attrs = tt::attrs_of({{"mode", tt::a_str("linear")},
                                             {"keep_aspect_ratio_policy", tt::a_str("not_larger")},
                                             {"axes", tt::a_ints({2, 3})}});
  auto keep = run_case("Resize", attrs, {x, Tensor(), Tensor(), ints({7, 5})}, 18);
  expect_resize_matches(*keep, false, "not_larger");
}

// ReduceSum replayed from the index space: outputs enumerate the kept dims, each sums
// its reduced elements.
void expect_reduce_sum_matches(const Case& c, int axes_input_since) {
  Result<kernels::ReduceIndex> index = cuda::reduce_index(c.ctx, axes_input_since);
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  const Tensor& x = c.inputs[0];
  const Tensor& ref = c.cpu.out();
  ASSERT_EQ(index->out_count, ref.numel());
  for (int64_t o = 0; o < ref.numel(); ++o) {
    int64_t base;
    kernels::strided_offsets(index->kept, o, &base);
    double sum = 0;
    for (int64_t k = 0; k < index->reduce_count; ++k) {
      int64_t off;
      kernels::strided_offsets(index->reduced, k, &off);
      sum += x.data<float>()[base + off];
    }
    ASSERT_NEAR(sum, ref.data<float>()[o], 1e-4) << "output " << o;
  }
}

TEST(CudaIndexMath, ReduceIndexMatchesCpu) {
  const Tensor x = tt::random_tensor<float>({3, 4, 5, 2}, 13);
  for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{1}, {0, 2}, {-1, 1}, {0, 1, 2, 3}}) {
    auto c = run_case("ReduceSum", tt::attrs_of({{"keepdims", tt::a_int(0)}}), {x, ints(axes)}, 13);
    expect_reduce_sum_matches(*c, 13);
  }
  auto all = run_case("ReduceSum", {}, {x}, 13);  // no axes: everything
  expect_reduce_sum_matches(*all, 13);
  auto noop = run_case("ReduceSum", tt::attrs_of({{"noop_with_empty_axes", tt::a_int(1)}}), {x}, 13);
  expect_reduce_sum_matches(*noop, 13);
  auto old = run_case("ReduceSum", tt::attrs_of({{"axes", tt::a_ints({2})}}), {x}, 11);
  expect_reduce_sum_matches(*old, 13);
}

TEST(CudaIndexMath, SliceDefaultsAndAttributesMatchCpu) {
  const Tensor x = tt::random_tensor<int32_t>({4, 5, 6}, 9, -50, 50);
  // opset 13 without axes and steps: leading axes, step 1 (INT64 sentinels clamp).
  auto c = run_case("Slice", {}, {x, ints({-3, 1}), ints({INT64_MAX, -1})}, 13);
  Result<StridedIndex<2>> index = cuda::slice_index(c->ctx);
  ASSERT_TRUE(index.ok()) << index.status().to_string();
  EXPECT_TRUE(tt::same_bytes(replay_copy(*index, x, c->cpu.out()), c->cpu.out()));
  // opset 9: starts/ends/axes are attributes.
  auto old = run_case("Slice",
                      tt::attrs_of({{"starts", tt::a_ints({1, -4})}, {"ends", tt::a_ints({3, 100})}, {"axes", tt::a_ints({2, 0})}}),
                      {x}, 9);
  Result<StridedIndex<2>> old_index = cuda::slice_index(old->ctx);
  ASSERT_TRUE(old_index.ok()) << old_index.status().to_string();
  EXPECT_TRUE(tt::same_bytes(replay_copy(*old_index, x, old->cpu.out()), old->cpu.out()));
  // An output shape the slice does not give is refused, naming the node.
  old->ctx.outputs[0].shape = {4, 5, 3};
  Result<StridedIndex<2>> bad = cuda::slice_index(old->ctx);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("n0"), std::string::npos) << bad.status().to_string();
}

TEST(CudaIndexMath, MergingKeepsAtMostEightDims) {
  std::vector<int64_t> dims(12, 2), strides(12);
  int64_t s = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    strides[d] = s;  // every dim skips one: nothing merges
    s *= 2 * 2;
  }
  const int64_t* st[1] = {strides.data()};
  StridedIndex<1> index;
  EXPECT_FALSE(kernels::make_strided_index<1>(12, dims.data(), st, nullptr, &index));
  std::vector<int64_t> dense(12);
  s = 1;
  for (size_t d = dims.size(); d-- > 0;) {
    dense[d] = s;
    s *= 2;
  }
  const int64_t* st2[1] = {dense.data()};
  ASSERT_TRUE(kernels::make_strided_index<1>(12, dims.data(), st2, nullptr, &index));
  EXPECT_EQ(index.rank, 1);
  EXPECT_EQ(index.dims[0], 4096);
}

}  // namespace
}  // namespace top

#endif  // TOP_WITH_CUDA

// uint16, uint32 and uint64 tensors: .npy round trips, initializers in uint64_data,
// Cast from floats saturating (NaN and negatives give 0), arithmetic wrapping.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "op_test_util.h"
#include "test_models.h"
#include "top/model.h"
#include "top/session.h"
#include "util/npy.h"

namespace top {
namespace {

using testing::attrs_of;
using testing::a_int;
using testing::run_op;

TEST(UnsignedDtypes, NpyRoundTrip) {
  Tensor a = Tensor::from_vector<uint16_t>({3}, {0, 7, 65535});
  Tensor b = Tensor::from_vector<uint32_t>({2}, {4000000000u, 1});
  Tensor c = Tensor::from_vector<uint64_t>({2}, {std::numeric_limits<uint64_t>::max(), 5});
  const std::string path = ::testing::TempDir() + "/unsigned_dtypes.npy";
  for (const Tensor* t : {&a, &b, &c}) {
    ASSERT_TRUE(npy::save(path, *t).ok());
    auto back = npy::load(path);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    EXPECT_EQ(back->dtype(), t->dtype());
    EXPECT_EQ(std::memcmp(back->raw_data(), t->raw_data(), t->nbytes()), 0);
  }
}

TEST(UnsignedDtypes, CastFromFloatSaturatesAndIntegersWrap) {
  Tensor f = Tensor::from_vector<float>({5}, {-3.5f, NAN, 7.9f, 1e30f, 65535.0f});
  testing::OpRun u16 = run_op("Cast", attrs_of({{"to", a_int(onnx::TensorProto::UINT16)}}), {f});
  ASSERT_TRUE(u16.status.ok()) << u16.status.to_string();
  const uint16_t want[] = {0, 0, 7, 65535, 65535};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(u16.out().data<uint16_t>()[i], want[i]) << i;
  testing::OpRun u64 = run_op("Cast", attrs_of({{"to", a_int(onnx::TensorProto::UINT64)}}), {f});
  ASSERT_TRUE(u64.status.ok());
  EXPECT_EQ(u64.out().data<uint64_t>()[3], std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(u64.out().data<uint64_t>()[0], 0u);
  Tensor x = Tensor::from_vector<uint32_t>({2}, {4294967295u, 3});
  Tensor y = Tensor::from_vector<uint32_t>({2}, {2, 5});
  testing::OpRun add = run_op("Add", {}, {x, y});
  ASSERT_TRUE(add.status.ok());
  EXPECT_EQ(add.out().data<uint32_t>()[0], 1u);
  testing::OpRun sub = run_op("Sub", {}, {y, x});
  EXPECT_EQ(sub.out().data<uint32_t>()[1], 2u);
}

TEST(UnsignedDtypes, Uint64InitializerFromTheTypedField) {
  onnx::ModelProto m = testing::empty_model();
  auto* g = m.mutable_graph();
  testing::add_value_info(g->add_input(), "x", onnx::TensorProto::UINT64, {2});
  testing::add_value_info(g->add_output(), "y", onnx::TensorProto::UINT64, {2});
  auto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::UINT64);
  w->add_dims(2);
  w->add_uint64_data(10);
  w->add_uint64_data(uint64_t(1) << 63);
  testing::add_node(g, "Max", {"x", "w"}, {"y"});
  Model model = testing::load_proto(m);
  auto session = Session::create(model, {});
  ASSERT_TRUE(session.ok());
  auto out = (*session)->run({Tensor::from_vector<uint64_t>({2}, {20, 1})});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ((*out)[0].data<uint64_t>()[0], 20u);
  EXPECT_EQ((*out)[0].data<uint64_t>()[1], uint64_t(1) << 63);
}

}  // namespace
}  // namespace top

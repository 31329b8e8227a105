// RNN/GRU/LSTM cases the ONNX Runtime and node-suite cases do not pin down: a recurrence
// small enough to check by hand (forward and reverse), the zero padding and final state of
// short sequences, and the errors for lengths, shapes and activations that do not fit.
#include <gtest/gtest.h>

#include <cmath>

#include "op_test_util.h"

namespace top::ops {
namespace {

using namespace top::testing;

ir::Attribute a_strs(std::vector<std::string> v) {
  ir::Attribute a;
  a.kind = ir::Attribute::Kind::kStrings;
  a.strings = std::move(v);
  return a;
}

// One unit, one input feature: h_t = tanh(x_t + 0.5 h_{t-1}).
const Tensor kW = Tensor::from_vector<float>({1, 1, 1}, {1.0f});
const Tensor kR = Tensor::from_vector<float>({1, 1, 1}, {0.5f});

TEST(RecurrentOps, RnnForwardAndReverseByHand) {
  const Tensor x = Tensor::from_vector<float>({2, 1, 1}, {1.0f, 2.0f});
  OpRun fwd = run_op("RNN", attrs_of({{"hidden_size", a_int(1)}}), {x, kW, kR}, 14, 2, 2);
  ASSERT_TRUE(fwd.status.ok()) << fwd.status.to_string();
  const float h1 = std::tanh(1.0f), h2 = std::tanh(2.0f + 0.5f * h1);
  EXPECT_NEAR(fwd.out(0).data<float>()[0], h1, 1e-6);
  EXPECT_NEAR(fwd.out(0).data<float>()[1], h2, 1e-6);
  EXPECT_NEAR(fwd.out(1).data<float>()[0], h2, 1e-6);

  OpRun rev = run_op("RNN", attrs_of({{"hidden_size", a_int(1)}, {"direction", a_str("reverse")}}), {x, kW, kR}, 14, 2,
                     2);
  ASSERT_TRUE(rev.status.ok()) << rev.status.to_string();
  const float r1 = std::tanh(2.0f), r0 = std::tanh(1.0f + 0.5f * r1);
  EXPECT_NEAR(rev.out(0).data<float>()[1], r1, 1e-6);  // Y keeps time order
  EXPECT_NEAR(rev.out(0).data<float>()[0], r0, 1e-6);
  EXPECT_NEAR(rev.out(1).data<float>()[0], r0, 1e-6);  // the state after the first step
}

TEST(RecurrentOps, ShortSequencesArePaddedWithZerosAndKeepTheirLastState) {
  // batch 2, lengths {1, 3}: Y rows past a sequence's end are 0, Y_h is its last state.
  const Tensor x = Tensor::from_vector<float>({3, 2, 1}, {0.3f, -0.2f, 0.7f, 0.1f, -0.5f, 0.4f});
  const Tensor lens = Tensor::from_vector<int32_t>({2}, {1, 3});
  OpRun r = run_op("GRU", attrs_of({{"hidden_size", a_int(1)}}),
                   {x, Tensor::from_vector<float>({1, 3, 1}, {0.4f, -0.3f, 0.9f}),
                    Tensor::from_vector<float>({1, 3, 1}, {0.2f, 0.6f, -0.7f}), Tensor(), lens},
                   14, 2, 2);
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  const float* y = r.out(0).data<float>();  // [seq 3, dirs 1, batch 2, hidden 1]
  EXPECT_EQ(y[2], 0.0f);
  EXPECT_EQ(y[4], 0.0f);
  EXPECT_NE(y[0], 0.0f);
  EXPECT_EQ(r.out(1).data<float>()[0], y[0]);  // batch 0 ended at t = 0
  EXPECT_EQ(r.out(1).data<float>()[1], y[5]);  // batch 1 at t = 2
}

TEST(RecurrentOps, SequenceLengthOutsideTheSequenceIsAnError) {
  const Tensor x = Tensor::from_vector<float>({2, 1, 1}, {1.0f, 2.0f});
  OpRun r = run_op("RNN", attrs_of({{"hidden_size", a_int(1)}}),
                   {x, kW, kR, Tensor(), Tensor::from_vector<int32_t>({1}, {3})}, 14, 2, 2, {4});
  EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << r.status.to_string();
  EXPECT_NE(r.status.message().find("sequence_lens"), std::string::npos) << r.status.to_string();
}

TEST(RecurrentOps, MismatchedShapesAndUnknownActivationsAreRefused) {
  const Tensor x = Tensor::from_vector<float>({2, 1, 1}, {1.0f, 2.0f});
  OpRun hidden = run_op("RNN", attrs_of({{"hidden_size", a_int(2)}}), {x, kW, kR}, 14, 2, 2);
  EXPECT_EQ(hidden.status.code(), StatusCode::kInvalidArgument) << hidden.status.to_string();
  const Tensor w_lstm = Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3});  // 3 rows: not 4 * hidden
  OpRun gates = run_op("LSTM", {}, {x, w_lstm, Tensor::from_vector<float>({1, 3, 1}, {1, 2, 3})}, 14, 2, 2);
  EXPECT_EQ(gates.status.code(), StatusCode::kInvalidArgument) << gates.status.to_string();
  OpRun act = run_op("RNN", attrs_of({{"activations", a_strs({"Gelu"})}}), {x, kW, kR}, 14, 2, 2);
  EXPECT_FALSE(act.status.ok());
  EXPECT_NE(act.status.message().find("Gelu"), std::string::npos) << act.status.to_string();
  OpRun count = run_op("LSTM", attrs_of({{"activations", a_strs({"Sigmoid", "Tanh"})}}),
                       {x, Tensor::from_vector<float>({1, 4, 1}, {1, 2, 3, 4}),
                        Tensor::from_vector<float>({1, 4, 1}, {1, 2, 3, 4})},
                       14, 2, 2);
  EXPECT_EQ(count.status.code(), StatusCode::kInvalidArgument) << count.status.to_string();
}

TEST(RecurrentOps, LstmActivationAlphasAreConsumedByTheFunctionsThatTakeThem) {
  // f = HardSigmoid(alpha 0.3, beta 0.4), g = Tanh, h = LeakyRelu(alpha 0.1): the second
  // alpha belongs to h, the only other function that takes one.
  const Tensor x = Tensor::from_vector<float>({1, 1, 1}, {2.0f});
  const Tensor w = Tensor::from_vector<float>({1, 4, 1}, {1.0f, 1.0f, 1.0f, -1.0f});  // i o f c
  const Tensor r = Tensor::from_vector<float>({1, 4, 1}, {0, 0, 0, 0});
  OpRun run = run_op("LSTM",
                     attrs_of({{"activations", a_strs({"HardSigmoid", "Tanh", "LeakyRelu"})},
                               {"activation_alpha", a_floats({0.3f, 0.1f})},
                               {"activation_beta", a_floats({0.4f})}}),
                     {x, w, r}, 14, 2, 3);
  ASSERT_TRUE(run.status.ok()) << run.status.to_string();
  const float gate = std::min(1.0f, 0.3f * 2.0f + 0.4f);  // i = o = f
  const float cell = gate * std::tanh(-2.0f);              // c_prev = 0
  const float h = gate * (cell < 0 ? 0.1f * cell : cell);
  EXPECT_NEAR(run.out(2).data<float>()[0], cell, 1e-6);
  EXPECT_NEAR(run.out(1).data<float>()[0], h, 1e-6);
}

}  // namespace
}  // namespace top::ops

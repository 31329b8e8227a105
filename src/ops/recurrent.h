// RNN, GRU and LSTM: the attribute parsing and the shape rule that the CPU kernel
// (src/ops/recurrent.cpp) and the CUDA factory (src/backend/cuda/ops_recurrent.cpp)
// share. The recurrence itself is ops/recurrent_math.h.
#pragma once

#include <string>

#include "ir/attributes.h"
#include "ops/recurrent_math.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::ops {

// Inputs by index (ONNX order); P and initial_c exist for LSTM only.
enum RnnInput : size_t { kRnnX = 0, kRnnW, kRnnR, kRnnB, kRnnSeqLens, kRnnInitH, kRnnInitC, kRnnP };

// The attributes, parsed and validated once.
struct RnnParams {
  RnnKind kind = RnnKind::kRnn;
  int64_t hidden = -1;  // -1: taken from W's shape
  int64_t dirs = 1;
  bool reverse_only = false;
  bool batch_first = false;
  bool linear_before_reset = false;
  bool input_forget = false;
  float clip = 0;
  RnnActivation act[2][3];
};

// "RNN", "GRU" or "LSTM"; errors start with `p`.
Result<RnnParams> parse_rnn_params(RnnKind kind, const ir::Attributes& attrs, const std::string& p);

// Dims of one node's problem after the shape rule has checked every input.
struct RnnDims {
  int64_t seq = 0, batch = 0, input = 0, hidden = 0;
  Shape y, state;  // Y; Y_h and Y_c
};

// `shape(i)` / `present(i)` describe input i. Checks X, W, R, B, sequence_lens,
// initial_h/c and P against each other and the attributes; float32 only.
Result<RnnDims> rnn_dims(const RnnParams& params, const std::vector<Shape>& shapes, const std::vector<DataType>& dtypes,
                         const std::string& p);

// The problem's sizes and flags (pointers left null: each backend fills them).
RnnProblem rnn_problem(const RnnParams& params, const RnnDims& dims);

const char* rnn_op_name(RnnKind kind);

}  // namespace top::ops

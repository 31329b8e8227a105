// Small ONNX models built in C++ for tests (no files, no Python).
#pragma once

#include <onnx/onnx_pb.h>

#include <random>
#include <string>
#include <vector>

#include "top/model.h"

namespace top::testing {

// A graph input or output of element type `elem` with dims (-1 = symbolic "batch").
void add_value_info(onnx::ValueInfoProto* vi, const std::string& name, int elem, const std::vector<int64_t>& dims);

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out, const std::string& name = "");

onnx::ModelProto empty_model(int opset = 13);

// A float initializer `name` of shape `dims`, values drawn from N(0, 0.5) by `rng`.
void add_weight(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, std::mt19937& rng);

// x[batch, width] -> Mul(Add(Relu(x), Sigmoid(x)), Add(Tanh(x), Neg(x))): four
// independent branches, so greedy schedules have parallel groups. Batchable.
onnx::ModelProto branchy_model(int64_t width = 64);

// idx[batch] (int64) -> Gather(table[10, 4], idx): an index out of range fails at run
// time in the kernel, not at admission.
onnx::ModelProto gather_model();

// x[batch, 8, 10, 10] -> an Inception-style block: three 1x1 Conv+Relu branches of 4, 6
// and 3 channels (the second without bias), a 3x3 Conv (5 channels, pad 1) and a 3x3
// MaxPool, concatenated on channels (21). The 1x1 convolutions read the same input
// with the same window: a merge stage candidate (exec/conv_merge.h). Random weights
// from `seed`.
onnx::ModelProto inception_block_model(unsigned seed = 7);

// Moves every initializer held in raw_data or float_data to external data: one file
// `file_name` (offsets aligned to 64 bytes, with location, offset and length entries),
// whose bytes are returned for the caller to write next to the model.
std::string move_weights_to_external(onnx::ModelProto& m, const std::string& file_name);

Model load_proto(const onnx::ModelProto& m);  // aborts the test binary on failure

}  // namespace top::testing

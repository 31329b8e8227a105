// The operator set the foundation promises, at every opset we claim to test.
#include <gtest/gtest.h>

#include "ops/op.h"

namespace top::ops {
namespace {

TEST(OpRegistry, HasTheFoundationOperatorSetAtOpsets11To17) {
  const char* required[] = {
      "Conv", "ConvTranspose", "BatchNormalization", "Relu", "LeakyRelu", "Clip", "Sigmoid", "HardSigmoid",
      "Tanh", "Erf", "Softmax", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
      "Add", "Sub", "Mul", "Div", "Pow", "Sqrt", "Exp", "Neg", "Min", "Max", "Where", "Equal", "MatMul", "Gemm",
      "ReduceMean", "ReduceSum", "ReduceMax", "Concat", "Split", "Slice", "Gather", "Reshape", "Flatten",
      "Transpose", "Squeeze", "Unsqueeze", "Expand", "Pad", "Resize", "Identity", "Dropout", "Cast", "Shape",
      "ConstantOfShape", "Range", "Constant"};
  const OpRegistry& r = OpRegistry::builtin();
  for (int opset = 11; opset <= 17; ++opset)
    for (const char* op : required) EXPECT_TRUE(r.supports("", op, opset)) << op << " at opset " << opset;
  // Introduced later than opset 11 in the ONNX spec.
  for (int opset = 14; opset <= 17; ++opset) EXPECT_TRUE(r.supports("", "HardSwish", opset));
  EXPECT_FALSE(r.supports("", "HardSwish", 13));
  EXPECT_TRUE(r.supports("", "LayerNormalization", 17));
  EXPECT_FALSE(r.supports("com.microsoft", "Relu", 13));
  EXPECT_FALSE(r.supports("", "NoSuchOp", 13));
}

TEST(OpRegistry, UnknownOpErrorNamesEverything) {
  ir::Node n;
  n.name = "mystery_node";
  n.op_type = "NoSuchOp";
  n.opset = 15;
  auto op = OpRegistry::builtin().create(n);
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(op.status().message(), "unsupported operator NoSuchOp (domain 'ai.onnx', opset 15) at node 'mystery_node'");
}

}  // namespace
}  // namespace top::ops

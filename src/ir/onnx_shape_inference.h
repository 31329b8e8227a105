// ONNX shape inference (libonnx) run so that a corrupt model can never crash it.
//
// libonnx's inference functions trust what earlier nodes inferred: Conv's reads one
// dilation per kernel dimension, where the kernel's rank comes from the weight and the
// dilations' count from the input, so a weight of rank 4 on an input of rank 2 reads
// an empty vector (a null pointer; found by tests/fuzz/model_fuzz). Others loop once
// per unit of a dim, write through a negative index or divide INT64_MIN by -1. Ranks
// and dims that reach a node through inference are unknown before it runs, so the
// checks cannot happen beforehand: the registry handed to libonnx wraps each op's
// inference function with checks on the input types it is given (the .cpp lists them)
// and calls libonnx's only when they pass.
#pragma once

#include <onnx/onnx_pb.h>

#include "top/status.h"

namespace top::ir {

// Annotates model.graph().value_info with what libonnx infers. A node whose inputs
// would take libonnx's inference out of bounds is left unannotated (our own operator
// checks then report it when the model is planned); errors libonnx throws become
// InvalidModel. Call only after every node's attributes passed our operator validation
// (libonnx also divides by attribute values such as strides).
Status infer_onnx_shapes(onnx::ModelProto& model);

}  // namespace top::ir

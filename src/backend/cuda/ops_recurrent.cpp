// RNN, GRU and LSTM on the GPU (kernels/recurrent.cu; CPU: src/ops/recurrent.cpp). The
// attributes and shapes go through the CPU's rule (ops/recurrent.h); the kernel runs the
// same recurrence (ops/recurrent_math.h), one block per (direction, batch) sequence, its
// state in the stream's workspace.
#include <memory>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/recurrent.h"
#include "ops/recurrent.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_recurrent(const PrepareContext& ctx, ops::RnnKind kind) {
  const std::string node = node_label(ctx);
  TOP_ASSIGN_OR_RETURN(ops::RnnParams params, ops::parse_rnn_params(kind, attrs_of(ctx), node + ": "));
  std::vector<Shape> shapes;
  std::vector<DataType> dtypes;
  for (const ops::ValueInfo& v : ctx.inputs) {
    shapes.push_back(v.shape);
    dtypes.push_back(v.dtype);
  }
  TOP_ASSIGN_OR_RETURN(ops::RnnDims dims, ops::rnn_dims(params, shapes, dtypes, node + ": "));
  for (size_t i = 0; i < ctx.outputs.size(); ++i)
    if (ctx.outputs[i].present() && ctx.outputs[i].shape != (i == 0 ? dims.y : dims.state))
      return InvalidArgument(node + ": output " + std::to_string(i) + " shape mismatch");
  const ops::RnnProblem shape_only = ops::rnn_problem(params, dims);
  const size_t scratch = static_cast<size_t>(shape_only.dirs * shape_only.batch *
                                             ops::rnn_scratch_floats(shape_only.hidden)) * sizeof(float);
  if (ctx.resources != nullptr && scratch > ctx.resources->workspace_bytes)
    return ctx.unsupported("state of " + std::to_string(scratch) + " bytes exceeds the stream workspace");
  auto fn = [=](const LaunchContext& lc) -> Status {
    ops::RnnProblem q = shape_only;
    auto in = [&](size_t i) -> const void* {
      return i < lc.inputs.size() && lc.inputs[i] != nullptr ? lc.inputs[i]->data : nullptr;
    };
    auto out = [&](size_t i) -> float* {
      return i < lc.outputs.size() && lc.outputs[i] != nullptr ? lc.outputs[i]->as<float>() : nullptr;
    };
    q.x = static_cast<const float*>(in(ops::kRnnX));
    q.w = static_cast<const float*>(in(ops::kRnnW));
    q.r = static_cast<const float*>(in(ops::kRnnR));
    if (q.x == nullptr || q.w == nullptr || q.r == nullptr)
      return InvalidArgument("CUDA backend: " + node + ": X, W and R are required");
    q.b = static_cast<const float*>(in(ops::kRnnB));
    // sequence_lens are read on the device, clamped to [0, seq] (the CPU refuses others).
    q.seq_lens = static_cast<const int32_t*>(in(ops::kRnnSeqLens));
    q.init_h = static_cast<const float*>(in(ops::kRnnInitH));
    q.init_c = static_cast<const float*>(in(ops::kRnnInitC));
    q.p = static_cast<const float*>(in(ops::kRnnP));
    q.y = out(0);
    q.y_h = out(1);
    q.y_c = out(2);
    const cudaError_t e = kernels::recurrent(q, static_cast<float*>(lc.resources->workspace), lc.stream());
    if (e != cudaSuccess)
      return cuda_status(e, "kernels::recurrent", __FILE__, __LINE__).with_context("CUDA backend: " + node);
    return Status::Ok();
  };
  return std::unique_ptr<CudaOp>(std::make_unique<FunctionOp>(std::move(fn), scratch));
}

}  // namespace

void register_cuda_recurrent_ops(CudaOpRegistry& r) {
  r.add("RNN", [](const PrepareContext& ctx) { return make_recurrent(ctx, ops::RnnKind::kRnn); });
  r.add("GRU", [](const PrepareContext& ctx) { return make_recurrent(ctx, ops::RnnKind::kGru); });
  r.add("LSTM", [](const PrepareContext& ctx) { return make_recurrent(ctx, ops::RnnKind::kLstm); });
}

}  // namespace top::cuda

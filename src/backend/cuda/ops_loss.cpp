// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss on the GPU (kernels/loss.cu,
// kernels/softmax.cu; CPU: src/ops/loss.cpp). SCE writes its LogSoftmax into the
// log_prob output when the model has it, else into the stream's workspace.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_op_util.h"
#include "kernels/loss.h"
#include "kernels/softmax.h"
#include "ops/loss.h"

namespace top::cuda {
namespace {

Result<std::unique_ptr<CudaOp>> make_loss(const PrepareContext& ctx, bool softmax) {
  TOP_RETURN_IF_ERROR(require_input(ctx, 0, {DataType::kFloat32, DataType::kFloat64}));
  TOP_RETURN_IF_ERROR(require_input(ctx, 1, {DataType::kInt64, DataType::kInt32}));
  const bool has_weight = ctx.has_input(2);
  if (has_weight) TOP_RETURN_IF_ERROR(require_input(ctx, 2, {ctx.inputs[0].dtype}));
  const ir::Attributes& a = attrs_of(ctx);
  const std::string p = node_label(ctx) + ": ";
  TOP_ASSIGN_OR_RETURN(ops::LossReduction r, ops::parse_loss_reduction(a.get_string("reduction", "mean"), p));
  TOP_ASSIGN_OR_RETURN(ops::LossPlan plan, ops::loss_plan(ctx.inputs[0].shape, ctx.inputs[1].shape,
                                                          has_weight ? &ctx.inputs[2].shape : nullptr, r, p));
  const bool has_ignore = a.has("ignore_index");
  const int64_t ignore = a.get_int("ignore_index", 0);
  const int reduction = r == ops::LossReduction::kNone ? 0 : r == ops::LossReduction::kSum ? 1 : 2;
  const DataType dt = ctx.inputs[0].dtype;
  const bool i64 = ctx.inputs[1].dtype == DataType::kInt64;
  const bool log_prob_output = softmax && ctx.outputs.size() > 1 && ctx.outputs[1].present();
  const size_t scratch = softmax && !log_prob_output ? shape_numel(ctx.inputs[0].shape) * dtype_size(dt) : 0;
  const std::string node = node_label(ctx);
  auto fn = [=](const LaunchContext& lc) -> Status {
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* x, launch_input(lc, 0, node));
    TOP_ASSIGN_OR_RETURN(const DeviceTensor* target, launch_input(lc, 1, node));
    const void* weight = nullptr;
    if (has_weight) {
      TOP_ASSIGN_OR_RETURN(const DeviceTensor* w, launch_input(lc, 2, node));
      weight = w->data;
    }
    TOP_ASSIGN_OR_RETURN(DeviceTensor* out, launch_output(lc, 0, node));
    const void* lp = x->data;
    if (softmax) {
      void* dst = lc.resources->workspace;
      if (log_prob_output) {
        TOP_ASSIGN_OR_RETURN(DeviceTensor* lpo, launch_output(lc, 1, node));
        dst = lpo->data;
      }
      TOP_CUDA_CHECK(kernels::softmax(kernels::SoftmaxKind::kLogSoftmax, dt, x->data, dst, plan.n, plan.c, plan.inner,
                                      lc.stream()));
      lp = dst;
    }
    TOP_CUDA_CHECK(kernels::nll_loss(dt, lp, target->data, i64, weight, out->data, plan.n, plan.c, plan.inner,
                                     has_ignore, ignore, reduction, lc.stream()));
    return Status::Ok();
  };
  return std::unique_ptr<CudaOp>(std::make_unique<FunctionOp>(fn, scratch));
}

}  // namespace

void register_cuda_loss_ops(CudaOpRegistry& r) {
  r.add("NegativeLogLikelihoodLoss", [](const PrepareContext& ctx) { return make_loss(ctx, false); });
  r.add("SoftmaxCrossEntropyLoss", [](const PrepareContext& ctx) { return make_loss(ctx, true); });
}

}  // namespace top::cuda

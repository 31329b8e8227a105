#include "backend/cuda/device_plan.h"

#include <algorithm>
#include <string>

#include "backend/cuda/cuda_check.h"

namespace top::cuda {

namespace {

constexpr size_t kDeviceAlignment = 256;  // cudaMalloc's own alignment

}  // namespace

size_t pack_offsets(const std::vector<size_t>& bytes, std::vector<size_t>& offsets) {
  offsets.assign(bytes.size(), 0);
  size_t total = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    offsets[i] = total;
    total += (bytes[i] + kDeviceAlignment - 1) / kDeviceAlignment * kDeviceAlignment;
  }
  return total;
}

Result<std::shared_ptr<const DevicePlan>> DevicePlan::create(std::shared_ptr<const exec::ExecutionPlan> plan,
                                                             StreamResources& resources, bool allow_tf32) {
  std::shared_ptr<DevicePlan> dp(new DevicePlan());
  dp->plan_ = std::move(plan);
  TOP_RETURN_IF_ERROR(dp->upload_constants());
  TOP_RETURN_IF_ERROR(dp->create_ops(resources, allow_tf32));
  return std::shared_ptr<const DevicePlan>(std::move(dp));
}

Status DevicePlan::upload_constants() {
  const auto& slots = plan_->slots;
  std::vector<size_t> bytes(slots.size(), 0), offsets;
  for (size_t v = 0; v < slots.size(); ++v)
    if (slots[v].kind == exec::Slot::Kind::kConstant) bytes[v] = slots[v].constant.nbytes();
  const size_t total = pack_offsets(bytes, offsets);
  TOP_ASSIGN_OR_RETURN(weights_, DeviceBuffer::create(total));
  constants_.assign(slots.size(), DeviceTensor{});
  auto* base = static_cast<uint8_t*>(weights_.get());
  for (size_t v = 0; v < slots.size(); ++v) {
    if (slots[v].kind != exec::Slot::Kind::kConstant) continue;
    const Tensor& c = slots[v].constant;
    DeviceTensor& d = constants_[v];
    d.dtype = c.dtype();
    d.shape = c.shape();
    d.data = base + offsets[v];
    // Synchronous, once per plan: weights are in place before any launch can read them.
    if (bytes[v] > 0) TOP_CUDA_CHECK(cudaMemcpy(d.data, c.raw_data(), bytes[v], cudaMemcpyHostToDevice));
  }
  return Status::Ok();
}

Status DevicePlan::create_ops(StreamResources& resources, bool allow_tf32) {
  const exec::ExecutionPlan& p = *plan_;
  auto info = [&](ir::ValueId v) {
    ops::ValueInfo vi;
    if (v == ir::kNoValue) return vi;
    const exec::Slot& s = p.slots[v];
    vi.dtype = s.dtype;
    vi.shape = s.shape;
    if (s.kind == exec::Slot::Kind::kConstant) {
      vi.dtype = s.constant.dtype();
      vi.shape = s.constant.shape();
      vi.constant = &s.constant;
    } else if (s.kind == exec::Slot::Kind::kInput && s.constant.defined()) {
      vi.constant = &s.constant;  // a value-specialised plan's input (exec::PlanOptions)
    }
    return vi;
  };
  for (const exec::Step& step : p.steps) {
    const ir::Node& node = p.graph->nodes[step.node];
    PrepareContext ctx;
    ctx.node = &node;
    ctx.attrs = step.attrs ? step.attrs.get() : &node.attrs;
    for (ir::ValueId v : step.inputs) ctx.inputs.push_back(info(v));
    for (ir::ValueId v : step.outputs) ctx.outputs.push_back(info(v));
    ctx.resources = &resources;
    ctx.allow_tf32 = allow_tf32;
    TOP_ASSIGN_OR_RETURN(std::unique_ptr<CudaOp> op, CudaOpRegistry::builtin().create(ctx));
    if (op->workspace_bytes() > resources.workspace_bytes)
      return Internal("CUDA backend: " + node.op_type + " node '" + node.name + "' needs " +
                      std::to_string(op->workspace_bytes()) + " bytes of workspace, more than the " +
                      std::to_string(resources.workspace_bytes) + " a stream has (raise CudaBackendOptions::workspace_bytes)");
    workspace_bytes_ = std::max(workspace_bytes_, op->workspace_bytes());
    ops_.push_back(std::move(op));
  }
  return Status::Ok();
}

}  // namespace top::cuda

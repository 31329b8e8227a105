#include <algorithm>

#include "backend/cuda/cuda_op.h"

namespace top::cuda {

Status PrepareContext::unsupported(const std::string& why) const {
  return Unsupported("CUDA backend: " + node->op_type + " node '" + node->name + "': " + why);
}

const CudaOpRegistry& CudaOpRegistry::builtin() {
  static const CudaOpRegistry registry = [] {
    CudaOpRegistry r;
    register_cuda_conv_ops(r);
    register_cuda_pool_ops(r);
    register_cuda_gemm_ops(r);
    register_cuda_elementwise_ops(r);
    register_cuda_activation_ops(r);
    register_cuda_tensor_ops(r);
    register_cuda_reduce_ops(r);
    register_cuda_norm_ops(r);
    register_cuda_matrix_mask_ops(r);
    register_cuda_cumulative_ops(r);
    register_cuda_recurrent_ops(r);
    register_cuda_einsum_ops(r);
    register_cuda_signal_ops(r);
    register_cuda_quantized_linear_ops(r);
    register_cuda_encoding_ops(r);
    register_cuda_scatter_ops(r);
    register_cuda_selection_ops(r);
    register_cuda_loss_ops(r);
    register_cuda_quantize_ops(r);
    return r;
  }();
  return registry;
}

void CudaOpRegistry::add(const std::string& op_type, CudaOpFactory factory) {
  entries_.emplace_back(op_type, std::move(factory));
}

Result<std::unique_ptr<CudaOp>> CudaOpRegistry::create(const PrepareContext& ctx) const {
  for (const auto& [type, factory] : entries_)
    if (type == ctx.op_type()) return factory(ctx);
  return ctx.unsupported("no GPU kernel for this operator type");
}

bool CudaOpRegistry::supports(const std::string& op_type) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto& e) { return e.first == op_type; });
}

std::vector<std::string> CudaOpRegistry::op_types() const {
  std::vector<std::string> out;
  for (const auto& e : entries_) out.push_back(e.first);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace top::cuda

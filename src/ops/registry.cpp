#include <algorithm>
#include <set>

#include "ops/families.h"
#include "ops/op.h"
#include "util/thread_pool.h"

namespace top::ops {

const OpRegistry& OpRegistry::builtin() {
  static const OpRegistry registry = [] {
    OpRegistry r;
    register_conv_ops(r);
    register_pool_ops(r);
    register_norm_ops(r);
    register_matmul_ops(r);
    register_elementwise_ops(r);
    register_activation_ops(r);
    register_reduce_ops(r);
    register_shape_ops(r);
    register_tensor_ops(r);
    register_resize_ops(r);
    register_matrix_mask_ops(r);
    register_cumulative_ops(r);
    register_encoding_ops(r);
    register_gather_nd_ops(r);
    register_scatter_ops(r);
    register_selection_ops(r);
    register_loss_ops(r);
    register_quantize_ops(r);
    register_recurrent_ops(r);
    register_quantized_linear_ops(r);
    register_control_flow_ops(r);
    register_einsum_ops(r);
    register_signal_ops(r);
    register_data_dependent_ops(r);
    register_linalg_ops(r);
    register_reverse_sequence_ops(r);
    register_text_ops(r);
    register_roi_align_ops(r);
    register_unpool_ops(r);
    register_training_ops(r);
    register_sequence_ops(r);
    return r;
  }();
  return registry;
}

void OpRegistry::add(const std::string& op_type, int since_opset, OpFactory factory) {
  entries_.push_back(Entry{op_type, since_opset, std::move(factory), ""});
}

void OpRegistry::add_in_domain(const std::string& domain, const std::string& op_type, int since_opset,
                               OpFactory factory) {
  entries_.push_back(Entry{op_type, since_opset, std::move(factory), domain});
}

static bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }
static std::string canonical_domain(const std::string& domain) { return is_default_domain(domain) ? "" : domain; }

Result<std::unique_ptr<Op>> OpRegistry::create(const ir::Node& node) const {
  const Entry* best = nullptr;
  const std::string domain = canonical_domain(node.domain);
  for (const Entry& e : entries_)
    if (e.domain == domain && e.op_type == node.op_type && e.since_opset <= node.opset &&
        (!best || e.since_opset > best->since_opset))
      best = &e;
  if (!best) {
    return Unsupported("unsupported operator " + node.op_type + " (domain '" +
                       (node.domain.empty() ? std::string("ai.onnx") : node.domain) + "', opset " +
                       std::to_string(node.opset) + ") at node '" + node.name + "'");
  }
  // Before opset 7 binary ops broadcast only with broadcast=1, along an `axis`, by rules
  // that are not numpy's; running them with numpy's would give wrong values quietly.
  // (Gemm's old `broadcast` only allowed a smaller C, which numpy's rules cover.)
  if (node.opset < 7 && node.op_type != "Gemm" && node.attrs.get_int("broadcast", 0) != 0)
    return Unsupported(node.op_type + " node '" + node.name +
                       "': the legacy broadcast=1 attribute (opset < 7; its axis-aligned rules are not numpy's)");
  std::unique_ptr<Op> op = best->factory();
  Status s = op->init(node.attrs, node.opset);
  if (!s.ok()) return s.with_context(node.op_type + " node '" + node.name + "'");
  return op;
}

bool OpRegistry::supports(const std::string& domain, const std::string& op_type, int opset) const {
  const std::string d = canonical_domain(domain);
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.domain == d && e.op_type == op_type && e.since_opset <= opset; });
}

std::vector<std::string> OpRegistry::op_types() const {
  std::set<std::string> s;
  for (const Entry& e : entries_) s.insert(e.op_type);
  return {s.begin(), s.end()};
}

ir::OpCost Op::cost(const InferContext& ctx) const {
  ir::OpCost c;
  for (size_t i = 0; i < ctx.num_inputs(); ++i)
    if (ctx.has_input(i)) c.bytes += static_cast<double>(shape_numel(ctx.input_shape(i)) * dtype_size(ctx.input_dtype(i)));
  for (size_t i = 0; i < ctx.num_outputs(); ++i) {
    const ValueInfo& o = ctx.output(i);
    if (!o.present()) continue;
    double n = static_cast<double>(shape_numel(o.shape));
    c.flops += n;
    c.bytes += n * static_cast<double>(dtype_size(o.dtype));
  }
  return c;
}

int KernelContext::num_threads() const { return pool_ ? pool_->num_threads() : 1; }

void KernelContext::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) const {
  if (pool_) {
    pool_->parallel_for(n, grain, fn);
  } else if (n > 0) {
    fn(0, n);
  }
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank, const char* what) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1)) {
    return InvalidArgument(std::string(what) + " axis " + std::to_string(axis) + " is out of range for rank " +
                           std::to_string(rank));
  }
  return axis < 0 ? axis + rank : axis;
}

}  // namespace top::ops

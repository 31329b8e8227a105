// MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool on the GPU (float32, 1-3
// spatial dims) with one direct kernel (kernels/pool.h) rather than cuDNN pooling:
// cuDNN pads symmetrically and has no ceil_mode or dilations, and the direct kernel
// reproduces the CPU reference's window rules exactly. Pools are memory-bound, so the
// direct kernel loses little.
#include <memory>
#include <string>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "kernels/pool.h"
#include "ops/conv_util.h"

namespace top::cuda {

namespace {

class PoolOp final : public CudaOp {
 public:
  PoolOp(bool is_max, bool count_include_pad, int64_t planes, kernels::PoolGeometry g)
      : is_max_(is_max), include_pad_(count_include_pad), planes_(planes), g_(g) {}

  Status launch(const LaunchContext& ctx) const override {
    const float* x = ctx.inputs[0]->as<float>();
    float* y = ctx.outputs[0]->as<float>();
    if (is_max_) {
      int64_t* idx = ctx.outputs.size() > 1 && ctx.outputs[1] ? ctx.outputs[1]->as<int64_t>() : nullptr;
      TOP_CUDA_CHECK(kernels::max_pool(x, y, idx, planes_, g_, ctx.stream()));
    } else {
      TOP_CUDA_CHECK(kernels::average_pool(x, y, planes_, g_, include_pad_, ctx.stream()));
    }
    return Status::Ok();
  }

 private:
  bool is_max_, include_pad_;
  int64_t planes_;
  kernels::PoolGeometry g_;
};

// The window geometry padded to 3 axes (leading unit axes), or Unsupported.
Result<kernels::PoolGeometry> pool_geometry(const PrepareContext& ctx, const ops::WindowGeometry& w) {
  const size_t nd = w.in.size();
  if (nd < 1 || nd > 3) return ctx.unsupported(std::to_string(nd) + " spatial dims (1 to 3 are supported)");
  kernels::PoolGeometry g{};
  for (size_t a = 0; a < 3; ++a) {
    const bool used = a >= 3 - nd;
    const size_t i = used ? a - (3 - nd) : 0;
    g.in[a] = used ? w.in[i] : 1;
    g.out[a] = used ? w.out[i] : 1;
    g.kernel[a] = used ? w.kernel[i] : 1;
    g.stride[a] = used ? w.strides[i] : 1;
    g.dilation[a] = used ? w.dilations[i] : 1;
    g.pad_begin[a] = used ? w.pad_begin[i] : 0;
    g.pad_end[a] = used ? w.pad_end[i] : 0;
  }
  return g;
}

Result<std::unique_ptr<CudaOp>> make_pool(const PrepareContext& ctx, bool is_max, bool global) {
  if (!ctx.has_input(0) || ctx.inputs[0].dtype != DataType::kFloat32 || ctx.inputs[0].shape.size() < 3)
    return ctx.unsupported("X must be float32 with rank >= 3");
  const Shape& x = ctx.inputs[0].shape;
  const std::vector<int64_t> spatial(x.begin() + 2, x.end());
  ops::WindowAttrs attrs;
  if (global) {
    attrs.kernel_shape = spatial;
  } else {
    TOP_RETURN_IF_ERROR(ops::parse_window_attrs(*ctx.attrs, ctx.op_type().c_str(), attrs));
    if (attrs.kernel_shape.empty()) return ctx.unsupported("attribute kernel_shape is required");
    if (ctx.attrs->get_int("storage_order", 0) != 0 && ctx.outputs.size() > 1 && ctx.outputs[1].present())
      return ctx.unsupported("Indices with storage_order=1");
  }
  auto w = ops::forward_window_geometry(attrs, spatial, attrs.kernel_shape, ctx.op_type().c_str());
  if (!w.ok()) return w.status().with_context("CUDA backend: node '" + ctx.node->name + "'");
  Shape want{x[0], x[1]};
  want.insert(want.end(), w->out.begin(), w->out.end());
  if (ctx.outputs.empty() || shape_numel(ctx.outputs[0].shape) != shape_numel(want))
    return ctx.unsupported("output shape " +
                           (ctx.outputs.empty() ? std::string("?") : shape_str(ctx.outputs[0].shape)) +
                           " differs from the window geometry's " + shape_str(want));
  TOP_ASSIGN_OR_RETURN(kernels::PoolGeometry g, pool_geometry(ctx, *w));
  const bool include_pad = !global && ctx.attrs->get_int("count_include_pad", 0) != 0;
  return std::unique_ptr<CudaOp>(std::make_unique<PoolOp>(is_max, include_pad, x[0] * x[1], g));
}

}  // namespace

void register_cuda_pool_ops(CudaOpRegistry& r) {
  r.add("MaxPool", [](const PrepareContext& c) { return make_pool(c, true, false); });
  r.add("AveragePool", [](const PrepareContext& c) { return make_pool(c, false, false); });
  r.add("GlobalMaxPool", [](const PrepareContext& c) { return make_pool(c, true, true); });
  r.add("GlobalAveragePool", [](const PrepareContext& c) { return make_pool(c, false, true); });
}

}  // namespace top::cuda

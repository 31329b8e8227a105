// Helpers shared by the factories of the kernels/-backed GPU operators
// (ops_elementwise/activation/tensor/reduce/norm.cpp): a CudaOp made of a launch
// function, index spaces for broadcasting and strided copies, and the few factories
// that several families use (pointwise unary, broadcasting binary, device copy).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "kernels/copy.h"
#include "kernels/elementwise.h"
#include "kernels/index_math.h"
#include "ops/gather_nd.h"

namespace top::cuda {

using LaunchFn = std::function<Status(const LaunchContext&)>;

// A CudaOp whose launch() runs `fn`: factories compute everything shape-dependent and
// capture it by value, so `fn` only enqueues kernels.
class FunctionOp final : public CudaOp {
 public:
  explicit FunctionOp(LaunchFn fn, size_t workspace = 0) : fn_(std::move(fn)), workspace_(workspace) {}
  size_t workspace_bytes() const override { return workspace_; }
  Status launch(const LaunchContext& ctx) const override { return fn_(ctx); }

 private:
  LaunchFn fn_;
  size_t workspace_;
};

inline Result<std::unique_ptr<CudaOp>> function_op(LaunchFn fn) {
  return std::unique_ptr<CudaOp>(std::make_unique<FunctionOp>(std::move(fn)));
}

// Row-major element strides of `s`.
std::vector<int64_t> dense_strides(const Shape& s);

// An op that reads input 0 and writes output 0 with one launcher call:
// launch(x, y, stream) returns the launcher's cudaError_t; `kernel` names it in errors.
using XYLaunch = std::function<cudaError_t(const DeviceTensor& x, DeviceTensor& y, cudaStream_t stream)>;
Result<std::unique_ptr<CudaOp>> xy_op(const PrepareContext& ctx, const char* kernel, XYLaunch launch);

// Index space over `dims` for N operands given their strides and base offsets; refuses
// (naming the node) a space that keeps more than kernels::kMaxDims dims after merging.
template <int N>
Result<kernels::StridedIndex<N>> strided_index(const PrepareContext& ctx, const Shape& dims,
                                               const std::vector<std::vector<int64_t>>& strides,
                                               const std::vector<int64_t>& offsets = {});

// Index space over `out` whose operands are `inputs` (numpy-broadcast to out) and then
// out itself, dense. N = inputs.size() + 1.
template <int N>
Result<kernels::StridedIndex<N>> broadcast_index(const PrepareContext& ctx, const std::vector<Shape>& inputs,
                                                 const Shape& out);

// The launch context's tensors, or InvalidArgument naming the node when one is missing.
Result<const DeviceTensor*> launch_input(const LaunchContext& ctx, size_t i, const std::string& node);
Result<DeviceTensor*> launch_output(const LaunchContext& ctx, size_t i, const std::string& node);

// The attributes the op was built with (a fused step's own, else the node's).
inline const ir::Attributes& attrs_of(const PrepareContext& ctx) { return ctx.attrs ? *ctx.attrs : ctx.node->attrs; }

// "<op> node '<name>'", for messages.
std::string node_label(const PrepareContext& ctx);

// Input `i` must be present; its dtype must be one of `dtypes` (empty: any).
Status require_input(const PrepareContext& ctx, size_t i, const std::vector<DataType>& dtypes = {});

// y = f(x) elementwise (math and pointwise activations).
Result<std::unique_ptr<CudaOp>> make_unary_op(const PrepareContext& ctx, kernels::UnaryKind kind,
                                              const kernels::UnaryParams& params = {});

// out = f(a, b) with numpy broadcasting; `dtypes` are the supported input dtypes.
Result<std::unique_ptr<CudaOp>> make_binary_op(const PrepareContext& ctx, kernels::BinaryKind kind,
                                               const std::vector<DataType>& dtypes);

// Output 0 = the bytes of input 0 (Identity, Reshape, Flatten, Squeeze, Unsqueeze, ...).
Result<std::unique_ptr<CudaOp>> make_copy_op(const PrepareContext& ctx);

// Integer values of input `i`, which must be constant at plan time (Slice's starts,
// Pad's pads, Reduce axes, ...); nullopt-like empty result with *present=false when
// the optional input is absent.
Result<std::vector<int64_t>> constant_ints(const PrepareContext& ctx, size_t i, const char* what,
                                           bool* present = nullptr);

// GatherElements/ScatterElements addressing: the index space of the indices' dims over
// data's strides with the axis' stride 0 (the index supplies that coordinate).
struct AlongAxisIndex {
  kernels::StridedIndex<1> index;
  int64_t axis_dim = 0, axis_stride = 0;
};
Result<AlongAxisIndex> along_axis_index(const PrepareContext& ctx, const Shape& data, const Shape& indices,
                                        int64_t axis);

// The kernels' form of a GatherND/ScatterND plan; Unsupported past kMaxGatherNdCoords.
Result<kernels::GatherNdIndex> gather_nd_index(const PrepareContext& ctx, const ops::GatherNdPlan& g);

// `axis` in [-rank, rank) mapped to [0, rank), else InvalidArgument naming the node.
Result<int64_t> normalized_axis(const PrepareContext& ctx, int64_t axis, int64_t rank);

}  // namespace top::cuda

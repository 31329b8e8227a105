// CudaOp: one plan step's operator on the GPU.
//
// A CudaOp is created once per step of an ExecutionPlan when the plan is uploaded to the
// device (DevicePlan, device_plan.h): its factory sees the node (type, opset, name), the
// attributes (the fused step's own when exec::Step::op is set), and the concrete dtypes
// and shapes of every input and output (plus host values of plan-time constants, e.g.
// Reshape's shape or Slice's starts). All decisions that depend on shapes — cuDNN
// descriptors and algorithm choice, cuBLAS parameters, broadcast strides, kernel grid
// sizes — are made there, once. launch() only enqueues work on the given stream: it
// never synchronises, never allocates device memory (scratch space comes from the
// stream's workspace, sized by workspace_bytes()), and is safe to call from several
// host threads at once for different streams (so it is const).
//
// Adding a GPU operator: write a factory in the src/backend/cuda/ops_<family>.cpp of its
// family (device code goes in kernels/, with a host launcher taking a cudaStream_t),
// register it in that file's register_cuda_*_ops(), and list the family in
// cuda_op_registry.cpp. The backend-consistency test (tests/gpu) checks every op the
// CPU registry has against the CPU kernel.
#pragma once

#include <cuda_runtime.h>
#include <cublas_v2.h>
#include <cudnn.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/attributes.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "top/status.h"
#include "top/tensor.h"

namespace top::cuda {

// A tensor in device memory (not owned).
struct DeviceTensor {
  void* data = nullptr;
  DataType dtype = DataType::kUndefined;
  Shape shape;
  int64_t numel() const { return shape_numel(shape); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
  template <class T> T* as() const { return static_cast<T*>(data); }
};

// The per-stream resources a launch uses. One of these exists per CUDA stream of the
// backend; handles are bound to that stream.
struct StreamResources {
  cudaStream_t stream = nullptr;
  cudnnHandle_t cudnn = nullptr;
  cublasHandle_t cublas = nullptr;
  void* workspace = nullptr;  // at least the largest workspace_bytes() of the plan's ops
  size_t workspace_bytes = 0;
};

struct PrepareContext {
  const ir::Node* node = nullptr;        // op_type, opset, name
  const ir::Attributes* attrs = nullptr;  // node->attrs, or the fused step's attributes
  std::vector<ops::ValueInfo> inputs;    // absent optional inputs have dtype kUndefined
  std::vector<ops::ValueInfo> outputs;
  // A stream's resources, for choices that need the device (cudnnFind*, cuBLASLt
  // heuristics). Prepare may synchronise this stream. resources->workspace_bytes is
  // the most scratch any launch can get: workspace_bytes() must not exceed it (pick
  // an algorithm that fits instead).
  StreamResources* resources = nullptr;
  // Allow TF32 tensor cores for float32 convolutions and GEMMs (CudaBackendOptions).
  // Off by default so results agree with the CPU reference to float32 rounding.
  bool allow_tf32 = false;

  const std::string& op_type() const { return node->op_type; }
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i].present(); }
  // Error naming the node, for factories that refuse a configuration.
  Status unsupported(const std::string& why) const;
};

struct LaunchContext {
  std::vector<const DeviceTensor*> inputs;  // null for absent optional inputs
  std::vector<DeviceTensor*> outputs;       // null for outputs the model omitted
  const StreamResources* resources = nullptr;
  cudaStream_t stream() const { return resources->stream; }
};

class CudaOp {
 public:
  virtual ~CudaOp() = default;
  // Scratch memory launch() needs from StreamResources::workspace.
  virtual size_t workspace_bytes() const { return 0; }
  // Enqueues the operator on ctx.stream(). Outputs are preallocated (dtype and shape as
  // the plan decided) and never alias inputs.
  virtual Status launch(const LaunchContext& ctx) const = 0;
};

using CudaOpFactory = std::function<Result<std::unique_ptr<CudaOp>>(const PrepareContext&)>;

class CudaOpRegistry {
 public:
  // Every built-in GPU operator (families listed in cuda_op_registry.cpp).
  static const CudaOpRegistry& builtin();
  void add(const std::string& op_type, CudaOpFactory factory);
  // Unsupported, naming the node, when no factory exists for its type.
  Result<std::unique_ptr<CudaOp>> create(const PrepareContext& ctx) const;
  bool supports(const std::string& op_type) const;
  std::vector<std::string> op_types() const;

 private:
  std::vector<std::pair<std::string, CudaOpFactory>> entries_;
};

// Family registration functions (one per ops_<family>.cpp).
void register_cuda_conv_ops(CudaOpRegistry& r);         // Conv, ConvTranspose (cuDNN)
void register_cuda_pool_ops(CudaOpRegistry& r);         // MaxPool, AveragePool, Global*Pool
void register_cuda_gemm_ops(CudaOpRegistry& r);         // Gemm, MatMul (cuBLAS)
void register_cuda_elementwise_ops(CudaOpRegistry& r);  // unary, binary (broadcast), Where, Clip, Cast, ...
void register_cuda_activation_ops(CudaOpRegistry& r);   // Relu, Sigmoid, ..., Softmax, LogSoftmax, Hardmax, PRelu
void register_cuda_tensor_ops(CudaOpRegistry& r);       // Concat, Split, Slice, Transpose, Gather, Pad, Tile, Expand, Reshape-like copies, Resize, ...
void register_cuda_reduce_ops(CudaOpRegistry& r);       // Reduce*, ArgMax/ArgMin
void register_cuda_matrix_mask_ops(CudaOpRegistry& r);  // Trilu, EyeLike
void register_cuda_cumulative_ops(CudaOpRegistry& r);   // CumSum
void register_cuda_encoding_ops(CudaOpRegistry& r);     // OneHot
void register_cuda_scatter_ops(CudaOpRegistry& r);      // ScatterElements, Scatter, ScatterND
void register_cuda_selection_ops(CudaOpRegistry& r);    // TopK
void register_cuda_quantize_ops(CudaOpRegistry& r);     // QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear
void register_cuda_loss_ops(CudaOpRegistry& r);         // NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
void register_cuda_recurrent_ops(CudaOpRegistry& r);    // RNN, GRU, LSTM
void register_cuda_quantized_linear_ops(CudaOpRegistry& r);  // MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv
void register_cuda_einsum_ops(CudaOpRegistry& r);       // Einsum
void register_cuda_signal_ops(CudaOpRegistry& r);       // HannWindow, HammingWindow, BlackmanWindow
void register_cuda_norm_ops(CudaOpRegistry& r);         // BatchNormalization, LayerNormalization, InstanceNormalization, ...

}  // namespace top::cuda

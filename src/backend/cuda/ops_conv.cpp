// Conv and ConvTranspose on the GPU (float32, NCHW, 1-3 spatial dims) through cuDNN.
//
// Conv: cudnnConvolutionForward, then one epilogue kernel for bias, the fused residual
// Z (4th input) and the fused activation (kernels/conv_epilogue.h). cuDNN pads
// symmetrically: asymmetric pads (SAME_* with odd totals, explicit pads) zero-pad the
// input into the workspace first. 1-D convolutions run as 2-D ones with a unit height.
// ConvTranspose: cudnnConvolutionBackwardData (symmetric pads only), bias epilogue.
//
// The algorithm is chosen once per step at prepare time by cuDNN's heuristics within
// the stream workspace, and cached per configuration for the process. Without TF32
// (the default) only FMA-math algorithms are taken and the FFT/Winograd families are
// left out: their rounding differs visibly from the CPU reference.
// TODO: cudnnFind* (measured choice) and cudnnConvolutionBiasActivationForward for
// Conv+bias+Relu once a GPU run confirms both against this path.
#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_op.h"
#include "backend/cuda/cuda_resources.h"
#include "backend/cuda/fused_epilogue.h"
#include "kernels/conv_epilogue.h"
#include "ops/conv_util.h"

namespace top::cuda {

namespace {

class TensorDesc : public UniqueHandle<cudnnTensorDescriptor_t, TensorDesc> {
 public:
  TensorDesc() = default;
  static void destroy(cudnnTensorDescriptor_t d) { cudnnDestroyTensorDescriptor(d); }
  // A packed NCHW-style float tensor of dims `d` (4 or 5 of them).
  Status init(const std::vector<int>& d) {
    cudnnTensorDescriptor_t h = nullptr;
    TOP_CUDNN_CHECK(cudnnCreateTensorDescriptor(&h));
    h_ = h;
    std::vector<int> strides(d.size(), 1);
    for (int i = static_cast<int>(d.size()) - 2; i >= 0; --i) strides[i] = strides[i + 1] * d[i + 1];
    TOP_CUDNN_CHECK(
        cudnnSetTensorNdDescriptor(h, CUDNN_DATA_FLOAT, static_cast<int>(d.size()), d.data(), strides.data()));
    return Status::Ok();
  }
};

class FilterDesc : public UniqueHandle<cudnnFilterDescriptor_t, FilterDesc> {
 public:
  FilterDesc() = default;
  static void destroy(cudnnFilterDescriptor_t d) { cudnnDestroyFilterDescriptor(d); }
  Status init(const std::vector<int>& d) {
    cudnnFilterDescriptor_t h = nullptr;
    TOP_CUDNN_CHECK(cudnnCreateFilterDescriptor(&h));
    h_ = h;
    TOP_CUDNN_CHECK(
        cudnnSetFilterNdDescriptor(h, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, static_cast<int>(d.size()), d.data()));
    return Status::Ok();
  }
};

class ConvDesc : public UniqueHandle<cudnnConvolutionDescriptor_t, ConvDesc> {
 public:
  ConvDesc() = default;
  static void destroy(cudnnConvolutionDescriptor_t d) { cudnnDestroyConvolutionDescriptor(d); }
  Status init(const std::vector<int>& pads, const std::vector<int>& strides, const std::vector<int>& dilations,
              int groups) {
    cudnnConvolutionDescriptor_t h = nullptr;
    TOP_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&h));
    h_ = h;
    TOP_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(h, static_cast<int>(pads.size()), pads.data(), strides.data(),
                                                    dilations.data(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    TOP_CUDNN_CHECK(cudnnSetConvolutionGroupCount(h, groups));
    return Status::Ok();
  }
};

constexpr size_t kAlign = 256;
size_t align_up(size_t b) { return (b + kAlign - 1) / kAlign * kAlign; }

bool all_fit_int(const std::vector<int64_t>& v) {
  return std::all_of(v.begin(), v.end(), [](int64_t x) { return x >= 0 && x <= INT_MAX; });
}
std::vector<int> to_int(const std::vector<int64_t>& v) { return std::vector<int>(v.begin(), v.end()); }

// Spatial vectors as cuDNN wants them: 1-D becomes 2-D with a leading unit axis.
std::vector<int64_t> spatial2(const std::vector<int64_t>& v, int64_t unit) {
  if (v.size() != 1) return v;
  return {unit, v[0]};
}

// The chosen algorithm of one convolution configuration, for the whole process: the
// same layer shapes recur across plans (batch sizes, merged tasks) and models.
struct AlgoChoice {
  int algo = 0;
  size_t workspace = 0;
  cudnnMathType_t math = CUDNN_FMA_MATH;
};

std::mutex& algo_cache_mu() {
  static std::mutex mu;
  return mu;
}
std::map<std::string, AlgoChoice>& algo_cache() {
  static std::map<std::string, AlgoChoice> cache;
  return cache;
}

std::string algo_key(const char* kind, const std::vector<int>& x, const std::vector<int>& w,
                     const std::vector<int>& pads, const std::vector<int>& strides, const std::vector<int>& dil,
                     int groups, bool tf32, size_t budget) {
  std::string k = kind;
  for (const auto* v : {&x, &w, &pads, &strides, &dil}) {
    k += '|';
    for (int i : *v) k += std::to_string(i) + ',';
  }
  return k + "|g" + std::to_string(groups) + (tf32 ? "|tf32|" : "|fma|") + std::to_string(budget);
}

// First heuristic result that succeeded, fits the budget, and (without TF32) uses FMA
// math and none of the algorithms in `inexact`; else `fallback` (no workspace).
template <class Perf, class Algo>
AlgoChoice pick(const std::vector<Perf>& perf, int returned, size_t budget, bool tf32, const std::vector<Algo>& inexact,
                Algo fallback) {
  for (int i = 0; i < returned; ++i) {
    const Perf& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > budget) continue;
    if (!tf32 && (p.mathType != CUDNN_FMA_MATH || std::find(inexact.begin(), inexact.end(), p.algo) != inexact.end()))
      continue;
    return AlgoChoice{static_cast<int>(p.algo), p.memory, p.mathType};
  }
  return AlgoChoice{static_cast<int>(fallback), 0, CUDNN_FMA_MATH};
}

// The algorithm for `key`: cached for the process, else the first fit among cuDNN's
// heuristics (`heuristics(perf, count, &returned)`, run with the math type the choice
// allows). Leaves `conv` set to the chosen math type.
template <class Perf, class Algo, class Heuristics>
Result<AlgoChoice> choose_algo(const std::string& key, cudnnConvolutionDescriptor_t conv, bool tf32, size_t budget,
                               int count, const std::vector<Algo>& inexact, Algo fallback, Heuristics heuristics) {
  std::lock_guard<std::mutex> lock(algo_cache_mu());
  auto it = algo_cache().find(key);
  if (it == algo_cache().end()) {
    TOP_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH));
    std::vector<Perf> perf(static_cast<size_t>(count));
    int returned = 0;
    TOP_CUDNN_CHECK(heuristics(perf.data(), count, &returned));
    it = algo_cache().emplace(key, pick(perf, returned, budget, tf32, inexact, fallback)).first;
  }
  TOP_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, it->second.math));
  return it->second;
}

class ConvOp final : public CudaOp {
 public:
  TensorDesc x_desc, y_desc;
  FilterDesc w_desc;
  ConvDesc conv_desc;
  AlgoChoice algo;
  bool pad_input = false;
  size_t pad_bytes = 0;  // aligned size of the padded input in the workspace
  int64_t planes = 0;    // N * C of the input
  int64_t in3[3] = {1, 1, 1}, pad3[3] = {0, 0, 0}, padded3[3] = {1, 1, 1};
  int64_t out_channels = 0, out_plane = 0;
  kernels::Epilogue epi;

  size_t workspace_bytes() const override { return pad_bytes + algo.workspace; }

  Status launch(const LaunchContext& ctx) const override {
    const StreamResources& res = *ctx.resources;
    const float* x = ctx.inputs[0]->as<float>();
    auto* ws = static_cast<uint8_t*>(res.workspace);
    if (pad_input) {
      TOP_CUDA_CHECK(kernels::pad_planes(x, reinterpret_cast<float*>(ws), planes, in3, pad3, padded3, res.stream));
      x = reinterpret_cast<const float*>(ws);
    }
    DeviceTensor* y = ctx.outputs[0];
    if (y->numel() == 0) return Status::Ok();
    const float one = 1.0f, zero = 0.0f;
    TOP_CUDNN_CHECK(cudnnConvolutionForward(res.cudnn, &one, x_desc.get(), x, w_desc.get(), ctx.inputs[1]->data,
                                            conv_desc.get(), static_cast<cudnnConvolutionFwdAlgo_t>(algo.algo),
                                            algo.workspace ? ws + pad_bytes : nullptr, algo.workspace, &zero,
                                            y_desc.get(), y->data));
    const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<float>() : nullptr;
    const float* z = ctx.inputs.size() > 3 && ctx.inputs[3] ? ctx.inputs[3]->as<float>() : nullptr;
    TOP_CUDA_CHECK(kernels::bias_residual_activation(y->as<float>(), bias, out_channels, out_plane, z, y->numel(), epi,
                                                     res.stream));
    return Status::Ok();
  }
};

Status check_float_inputs(const PrepareContext& ctx) {
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (ctx.has_input(i) && ctx.inputs[i].dtype != DataType::kFloat32)
      return ctx.unsupported("input " + std::to_string(i) + " is " + dtype_name(ctx.inputs[i].dtype) +
                             "; only float32 is supported");
  if (!ctx.has_input(0) || !ctx.has_input(1)) return ctx.unsupported("needs inputs X and W");
  const size_t rank = ctx.inputs[0].shape.size();
  if (rank < 3 || rank > 5 || ctx.inputs[1].shape.size() != rank)
    return ctx.unsupported("X " + shape_str(ctx.inputs[0].shape) + " and W " + shape_str(ctx.inputs[1].shape) +
                           " must have the same rank, 3 to 5");
  if (ctx.outputs.empty() || !ctx.outputs[0].present()) return ctx.unsupported("the output Y is missing");
  return Status::Ok();
}

Result<std::unique_ptr<CudaOp>> make_conv(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(check_float_inputs(ctx));
  const Shape& x = ctx.inputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  const Shape& y = ctx.outputs[0].shape;
  ops::WindowAttrs attrs;
  TOP_RETURN_IF_ERROR(ops::parse_window_attrs(*ctx.attrs, "Conv", attrs));
  attrs.ceil_mode = false;
  const int64_t groups = ctx.attrs->get_int("group", 1);
  ops::FusedActivation act;
  TOP_RETURN_IF_ERROR(ops::parse_fused_activation(*ctx.attrs, "Conv", act));
  auto g = ops::forward_window_geometry(attrs, std::vector<int64_t>(x.begin() + 2, x.end()),
                                        std::vector<int64_t>(w.begin() + 2, w.end()), "Conv");
  if (!g.ok()) return g.status().with_context("CUDA backend: Conv node '" + ctx.node->name + "'");
  Shape want{x[0], w[0]};
  want.insert(want.end(), g->out.begin(), g->out.end());
  if (want != y)
    return ctx.unsupported("output " + shape_str(y) + " differs from the window geometry's " + shape_str(want));
  if (!all_fit_int(x) || !all_fit_int(w) || !all_fit_int(y) || groups < 1 || groups > INT_MAX)
    return ctx.unsupported("dimensions beyond cuDNN's 32-bit range");

  auto op = std::make_unique<ConvOp>();
  const size_t nd = g->in.size();
  op->pad_input = g->pad_begin != g->pad_end;
  std::vector<int64_t> in_sp = g->in, pads = g->pad_begin;
  if (op->pad_input) {
    for (size_t i = 0; i < nd; ++i) {
      in_sp[i] = g->in[i] + g->pad_begin[i] + g->pad_end[i];
      pads[i] = 0;
    }
    for (size_t i = 0; i < nd; ++i) {  // right-aligned into 3 axes
      const size_t a = 3 - nd + i;
      op->in3[a] = g->in[i];
      op->pad3[a] = g->pad_begin[i];
      op->padded3[a] = in_sp[i];
    }
    op->planes = x[0] * x[1];
    op->pad_bytes = align_up(static_cast<size_t>(op->planes * shape_numel(in_sp)) * sizeof(float));
  }
  std::vector<int> xd{static_cast<int>(x[0]), static_cast<int>(x[1])},
      wd{static_cast<int>(w[0]), static_cast<int>(w[1])}, yd{static_cast<int>(y[0]), static_cast<int>(y[1])};
  for (int64_t v : spatial2(in_sp, 1)) xd.push_back(static_cast<int>(v));
  for (int64_t v : spatial2(g->kernel, 1)) wd.push_back(static_cast<int>(v));
  for (int64_t v : spatial2(g->out, 1)) yd.push_back(static_cast<int>(v));
  const std::vector<int> pd = to_int(spatial2(pads, 0)), sd = to_int(spatial2(g->strides, 1)),
                         dd = to_int(spatial2(g->dilations, 1));
  TOP_RETURN_IF_ERROR(op->x_desc.init(xd));
  TOP_RETURN_IF_ERROR(op->w_desc.init(wd));
  TOP_RETURN_IF_ERROR(op->y_desc.init(yd));
  TOP_RETURN_IF_ERROR(op->conv_desc.init(pd, sd, dd, static_cast<int>(groups)));
  std::vector<int> check(yd.size());
  TOP_CUDNN_CHECK(cudnnGetConvolutionNdForwardOutputDim(op->conv_desc.get(), op->x_desc.get(), op->w_desc.get(),
                                                        static_cast<int>(check.size()), check.data()));
  if (check != yd) return ctx.unsupported("cuDNN's output dims differ from the plan's " + shape_str(y));

  const size_t budget =
      ctx.resources->workspace_bytes > op->pad_bytes ? ctx.resources->workspace_bytes - op->pad_bytes : 0;
  const std::string key = algo_key("fwd", xd, wd, pd, sd, dd, static_cast<int>(groups), ctx.allow_tf32, budget);
  const std::vector<cudnnConvolutionFwdAlgo_t> inexact{
      CUDNN_CONVOLUTION_FWD_ALGO_FFT, CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD,
      CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED};
  TOP_ASSIGN_OR_RETURN(
      op->algo, (choose_algo<cudnnConvolutionFwdAlgoPerf_t>(
                    key, op->conv_desc.get(), ctx.allow_tf32, budget, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, inexact,
                    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, [&](auto* perf, int count, int* returned) {
                      return cudnnGetConvolutionForwardAlgorithm_v7(ctx.resources->cudnn, op->x_desc.get(),
                                                                    op->w_desc.get(), op->conv_desc.get(),
                                                                    op->y_desc.get(), count, returned, perf);
                    })));
  // Heuristics report a size; the exact one for the chosen algorithm is what launch uses.
  size_t exact = 0;
  TOP_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(
      ctx.resources->cudnn, op->x_desc.get(), op->w_desc.get(), op->conv_desc.get(), op->y_desc.get(),
      static_cast<cudnnConvolutionFwdAlgo_t>(op->algo.algo), &exact));
  op->algo.workspace = exact;
  op->out_channels = y[1];
  op->out_plane = shape_numel(g->out);
  op->epi = to_epilogue(act);
  return std::unique_ptr<CudaOp>(std::move(op));
}

// ConvTranspose = the data gradient of the forward convolution from Y's shape to X's.
class ConvTransposeOp final : public CudaOp {
 public:
  TensorDesc x_desc, y_desc;
  FilterDesc w_desc;
  ConvDesc conv_desc;
  AlgoChoice algo;
  int64_t out_channels = 0, out_plane = 0;

  size_t workspace_bytes() const override { return algo.workspace; }

  Status launch(const LaunchContext& ctx) const override {
    const StreamResources& res = *ctx.resources;
    DeviceTensor* y = ctx.outputs[0];
    if (y->numel() == 0) return Status::Ok();
    const float one = 1.0f, zero = 0.0f;
    TOP_CUDNN_CHECK(cudnnConvolutionBackwardData(
        res.cudnn, &one, w_desc.get(), ctx.inputs[1]->data, x_desc.get(), ctx.inputs[0]->data, conv_desc.get(),
        static_cast<cudnnConvolutionBwdDataAlgo_t>(algo.algo), algo.workspace ? res.workspace : nullptr, algo.workspace,
        &zero, y_desc.get(), y->data));
    const float* bias = ctx.inputs.size() > 2 && ctx.inputs[2] ? ctx.inputs[2]->as<float>() : nullptr;
    TOP_CUDA_CHECK(kernels::bias_residual_activation(y->as<float>(), bias, out_channels, out_plane, nullptr, y->numel(),
                                                     kernels::Epilogue{}, res.stream));
    return Status::Ok();
  }
};

Result<std::unique_ptr<CudaOp>> make_conv_transpose(const PrepareContext& ctx) {
  TOP_RETURN_IF_ERROR(check_float_inputs(ctx));
  const Shape& x = ctx.inputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  const Shape& y = ctx.outputs[0].shape;
  ops::WindowAttrs attrs;
  TOP_RETURN_IF_ERROR(ops::parse_window_attrs(*ctx.attrs, "ConvTranspose", attrs));
  const int64_t groups = ctx.attrs->get_int("group", 1);
  const size_t nd = x.size() - 2;
  if (!all_fit_int(x) || !all_fit_int(w) || !all_fit_int(y) || groups < 1 || groups > INT_MAX)
    return ctx.unsupported("dimensions beyond cuDNN's 32-bit range");
  const std::vector<int64_t> strides = attrs.strides.empty() ? std::vector<int64_t>(nd, 1) : attrs.strides;
  const std::vector<int64_t> dil = attrs.dilations.empty() ? std::vector<int64_t>(nd, 1) : attrs.dilations;
  const std::vector<int64_t> adj = ctx.attrs->get_ints("output_padding");
  if (strides.size() != nd || dil.size() != nd || (!adj.empty() && adj.size() != nd))
    return ctx.unsupported("strides/dilations/output_padding do not match the spatial rank");
  // The padding the CPU reference derived (ops/conv.cpp): total = full size - output
  // size; cuDNN can only take it split evenly.
  std::vector<int64_t> pads(nd);
  for (size_t i = 0; i < nd; ++i) {
    const int64_t full = (x[2 + i] - 1) * strides[i] + (adj.empty() ? 0 : adj[i]) + (w[2 + i] - 1) * dil[i] + 1;
    const int64_t total = full - y[2 + i];
    if (total < 0 || total % 2 != 0)
      return ctx.unsupported("asymmetric or negative padding (total " + std::to_string(total) + ")");
    if (attrs.auto_pad == ops::AutoPad::kNotSet && ctx.attrs->get_ints("output_shape").empty() && !attrs.pads.empty() &&
        attrs.pads[i] != attrs.pads[i + nd])
      return ctx.unsupported("asymmetric pads " + ops::ints_str(attrs.pads));
    pads[i] = total / 2;
  }
  auto op = std::make_unique<ConvTransposeOp>();
  std::vector<int> xd{static_cast<int>(x[0]), static_cast<int>(x[1])},
      wd{static_cast<int>(w[0]), static_cast<int>(w[1])}, yd{static_cast<int>(y[0]), static_cast<int>(y[1])};
  for (int64_t v : spatial2(std::vector<int64_t>(x.begin() + 2, x.end()), 1)) xd.push_back(static_cast<int>(v));
  for (int64_t v : spatial2(std::vector<int64_t>(w.begin() + 2, w.end()), 1)) wd.push_back(static_cast<int>(v));
  for (int64_t v : spatial2(std::vector<int64_t>(y.begin() + 2, y.end()), 1)) yd.push_back(static_cast<int>(v));
  const std::vector<int> pd = to_int(spatial2(pads, 0)), sd = to_int(spatial2(strides, 1)),
                         dd = to_int(spatial2(dil, 1));
  TOP_RETURN_IF_ERROR(op->x_desc.init(xd));
  TOP_RETURN_IF_ERROR(op->w_desc.init(wd));
  TOP_RETURN_IF_ERROR(op->y_desc.init(yd));
  TOP_RETURN_IF_ERROR(op->conv_desc.init(pd, sd, dd, static_cast<int>(groups)));
  // The forward convolution of Y's shape must give X's shape.
  std::vector<int> check(xd.size());
  TOP_CUDNN_CHECK(cudnnGetConvolutionNdForwardOutputDim(op->conv_desc.get(), op->y_desc.get(), op->w_desc.get(),
                                                        static_cast<int>(check.size()), check.data()));
  if (check != xd) return ctx.unsupported("this output_padding/output_shape has no cuDNN equivalent");

  const size_t budget = ctx.resources->workspace_bytes;
  const std::string key = algo_key("bwd_data", xd, wd, pd, sd, dd, static_cast<int>(groups), ctx.allow_tf32, budget);
  const std::vector<cudnnConvolutionBwdDataAlgo_t> inexact{
      CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING,
      CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD, CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED};
  TOP_ASSIGN_OR_RETURN(
      op->algo, (choose_algo<cudnnConvolutionBwdDataAlgoPerf_t>(
                    key, op->conv_desc.get(), ctx.allow_tf32, budget, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, inexact,
                    CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, [&](auto* perf, int count, int* returned) {
                      // ConvTranspose's X is the data gradient's dy, its Y the dx.
                      return cudnnGetConvolutionBackwardDataAlgorithm_v7(ctx.resources->cudnn, op->w_desc.get(),
                                                                         op->x_desc.get(), op->conv_desc.get(),
                                                                         op->y_desc.get(), count, returned, perf);
                    })));
  size_t exact = 0;
  TOP_CUDNN_CHECK(cudnnGetConvolutionBackwardDataWorkspaceSize(
      ctx.resources->cudnn, op->w_desc.get(), op->x_desc.get(), op->conv_desc.get(), op->y_desc.get(),
      static_cast<cudnnConvolutionBwdDataAlgo_t>(op->algo.algo), &exact));
  op->algo.workspace = exact;
  op->out_channels = y[1];
  op->out_plane = shape_numel(Shape(y.begin() + 2, y.end()));
  return std::unique_ptr<CudaOp>(std::move(op));
}

}  // namespace

void register_cuda_conv_ops(CudaOpRegistry& r) {
  r.add("Conv", make_conv);
  r.add("ConvTranspose", make_conv_transpose);
}

}  // namespace top::cuda

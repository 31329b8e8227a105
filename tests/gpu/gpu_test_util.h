// Shared pieces of the GPU tests (tests/gpu, binary top_gpu_tests, ctest label gpu):
// the process's one CUDA backend (or the reason there is none, so every test skips),
// where the generated data lives, plans and runs on both backends, and the comparison
// of CUDA outputs against the CPU reference.
//
// The CPU backend is the reference: a CUDA output agrees with it when
//   max|gpu - cpu| / max(max|cpu|, 1e-6) <= tolerance
// (the conformance metric; NaN in both counts as equal, so do equal infinities; float16
// is decoded to its value), and integer and bool outputs are equal element for element.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "exec/plan.h"
#include "top/model.h"
#include "top/tensor.h"

namespace top::gputest {

// Whole zoo models against the CPU: tens of float32 convolutions in a row, each summed
// in cuDNN's order (possibly by a Winograd or FFT algorithm, error ~1e-5 per layer)
// rather than the CPU's; a wrong kernel gives errors of order 1.
constexpr double kZooTolerance = 5e-4;

// The backend every test shares (creating one makes streams, handles and workspaces);
// null when there is no usable GPU.
cuda::CudaBackend* backend();
// Why backend() is null: device_available()'s message, or CudaBackend::create's.
std::string unavailable_reason();

// Generated data: $TOP_GPU_TEST_OPS_DIR or <build>/testdata/ops (scripts/gen-testdata,
// or tests/ops/gen_op_cases.py alone: the GPU tests need no expected outputs), and
// $TOP_MODELS_DIR or <build>/models (scripts/zoo).
std::string op_cases_dir();
std::string models_dir();

std::vector<const Tensor*> pointers(const std::vector<Tensor>& ts);

// The plan of `model` for inputs of these shapes (fused, as the runtime runs it).
Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(const Model& model, const std::vector<Tensor>& inputs);

Result<std::vector<Tensor>> run_cpu(const exec::ExecutionPlan& plan, const std::vector<Tensor>& inputs);
Result<std::vector<Tensor>> run_cuda(const exec::ExecutionPlan& plan, const std::vector<Tensor>& inputs);

// Float32/float64 tensors replaced by values of the same shape drawn uniformly from
// each tensor's own finite [min, max] (never within 1e-3 of 0 where the range allows),
// so inputs stay in the op's domain as the case generator chose it; other dtypes
// (indices, shapes, masks) are kept, since random integers would mostly be invalid there.
std::vector<Tensor> randomize_floats(const std::vector<Tensor>& like, uint32_t seed);

// Random float32 inputs for a zoo model at `batch` (symbolic dims: batch first, 1 after).
std::vector<Tensor> random_model_inputs(const Model& model, int64_t batch, uint32_t seed);

// Empty when `got` agrees with `ref` within `tolerance` (see above); otherwise what
// differs: shape, dtype, or the worst element with both values.
std::string compare(const Tensor& got, const Tensor& ref, double tolerance);
// Every output of `got` against `ref`; failures are prefixed with the output index.
std::string compare_all(const std::vector<Tensor>& got, const std::vector<Tensor>& ref, double tolerance);

}  // namespace top::gputest

// First line of every GPU test.
#define TOP_SKIP_WITHOUT_GPU() \
  if (::top::gputest::backend() == nullptr) GTEST_SKIP() << ::top::gputest::unavailable_reason()

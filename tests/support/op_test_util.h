// Shared harness for the operator unit tests (tests/unit/ops_*_test.cpp): attribute
// makers, random tensors, a run-one-node helper (create, infer, allocate, compute) and
// the comparison helpers used against naive references.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ops/op.h"
#include "top/tensor.h"

namespace top::testing {

// ---- attributes ---------------------------------------------------------------------

ir::Attribute a_int(int64_t v);
ir::Attribute a_ints(std::vector<int64_t> v);
ir::Attribute a_float(float v);
ir::Attribute a_floats(std::vector<float> v);
ir::Attribute a_str(std::string v);
ir::Attribute a_tensor(Tensor t);
ir::Attributes attrs_of(std::initializer_list<std::pair<const char*, ir::Attribute>> items);

// ---- small constant tensors ---------------------------------------------------------

Tensor i64(std::vector<int64_t> v);                // 1-D int64
Tensor f32(Shape s, std::vector<float> v);          // float32 of shape `s`
Tensor f32v(std::vector<float> v);                  // 1-D float32

// ---- random tensors -----------------------------------------------------------------

// Uniform in [lo, hi] (drawn as double), never closer to 0 than 1e-3 for floats (such
// values become 0.5); ints uniform in [lo, hi]; bools fair coin flips.
template <class T>
Tensor random_tensor(Shape shape, uint32_t seed, double lo = -2.0, double hi = 2.0) {
  Tensor t = Tensor::zeros(dtype_of<T>(), std::move(shape));
  std::mt19937 rng(seed);
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if constexpr (std::is_same<T, bool>::value) {
      p[i] = (rng() & 1) != 0;
    } else if constexpr (std::is_floating_point<T>::value) {
      double v = std::uniform_real_distribution<double>(lo, hi)(rng);
      p[i] = static_cast<T>(std::fabs(v) < 1e-3 ? 0.5 : v);
    } else {
      p[i] = static_cast<T>(std::uniform_int_distribution<int64_t>(static_cast<int64_t>(lo), static_cast<int64_t>(hi))(rng));
    }
  }
  return t;
}

// Floats uniform in [-1, 1] (drawn as float), never closer to 0 than 1e-3 (such values
// become 0.5); ints in [1, 100]; bools fair coin flips. A different stream from
// random_tensor<T>: the tests that use it were written against these exact values.
template <class T = float>
Tensor random_unit(Shape shape, uint32_t seed) {
  Tensor t = Tensor::zeros(dtype_of<T>(), std::move(shape));
  std::mt19937 rng(seed);
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if constexpr (std::is_same<T, bool>::value) {
      p[i] = (rng() & 1) != 0;
    } else if constexpr (std::is_floating_point<T>::value) {
      float v = std::uniform_real_distribution<float>(-1.0f, 1.0f)(rng);
      p[i] = static_cast<T>(std::fabs(v) < 1e-3f ? 0.5f : v);
    } else {
      p[i] = static_cast<T>(1 + rng() % 100);
    }
  }
  return t;
}

// ---- running one node ---------------------------------------------------------------

struct OpRun {
  Status status;
  std::vector<Tensor> outputs;
  const Tensor& out(size_t i = 0) const { return outputs[i]; }
};

struct RunOptions {
  int opset = 17;
  int threads = 2;
  size_t num_outputs = 1;
  // When false, no input is visible to infer() as a constant; when true, every defined
  // input is, except the indices in `runtime_only`.
  bool inputs_as_constants = true;
  std::vector<size_t> runtime_only;
  // Garbage the kernel must overwrite: false = every output byte 0xAB; true = float32
  // outputs all quiet NaN (other dtypes zero).
  bool nan_fill = false;
  // Channel-blocked inputs/outputs (KernelContext::set_blocks); empty: all plain.
  std::vector<int> in_blocks, out_blocks;
};

// Creates the kernel for one node named `name` (no attributes), without inferring.
Result<std::unique_ptr<ops::Op>> create_op(const std::string& type, int opset, const std::string& name = "n0");

// Creates, infers and computes one node ("n0"). Undefined tensors are absent optional
// inputs. A failure at create or infer leaves `outputs` empty.
OpRun run_op_with(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                  const RunOptions& opts);

// Inputs are constants to infer() except those in `runtime_only`; outputs 0xAB-filled.
OpRun run_op(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
             int opset = 17, int threads = 2, size_t num_outputs = 1, std::vector<size_t> runtime_only = {});

// All inputs runtime-only (shapes and dtypes only for infer()); float outputs NaN-filled.
OpRun run_kernel(const std::string& type, const ir::Attributes& attrs, const std::vector<Tensor>& inputs,
                 int threads = 2, size_t num_outputs = 1, int opset = 17);

// ---- comparisons and references -----------------------------------------------------

// max|out - ref| / max(|ref|, tiny), skipping matching NaNs and infinities: the
// conformance metric.
template <class T>
double rel_err(const Tensor& out, const std::vector<double>& ref) {
  double num = 0, den = 0;
  const T* p = out.data<T>();
  for (size_t i = 0; i < ref.size(); ++i) {
    const double o = static_cast<double>(p[i]);
    if (std::isnan(ref[i]) && std::isnan(o)) continue;
    if (std::isinf(ref[i]) && o == ref[i]) continue;
    num = std::max(num, std::fabs(o - ref[i]));
    den = std::max(den, std::fabs(ref[i]));
  }
  return num / std::max(den, 1e-30);
}

// Float32 `out` against `ref`: max|diff| / max|ref| (max|diff| when ref is all zero);
// any NaN in the output makes it infinite.
double rel_error(const Tensor& out, const std::vector<float>& ref);

template <class T>
std::vector<double> as_doubles(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(t.data<T>()[i]);
  return v;
}

// f(x[i]) for every element of float32 `x`, in double.
std::vector<double> ref_map(const Tensor& x, const std::function<double(double)>& f);

// Row-major strides of `in` seen through `out` (numpy broadcasting), for the references.
std::vector<int64_t> ref_strides(const Shape& in, const Shape& out);
int64_t ref_offset(int64_t flat, const Shape& out, const std::vector<int64_t>& strides);

// Row-major multi-index of flat index `i` in `dims`, and back.
std::vector<int64_t> unravel(int64_t i, const Shape& dims);
int64_t ravel(const std::vector<int64_t>& idx, const Shape& s);

// Same dtype and identical bytes.
bool same_bytes(const Tensor& a, const Tensor& b);

}  // namespace top::testing

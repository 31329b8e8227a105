#include "gpu_test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <sstream>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "op_test_util.h"

namespace top::gputest {

namespace {

struct Shared {
  std::unique_ptr<cuda::CudaBackend> backend;
  std::string reason;
};

Shared& shared() {
  static Shared s = [] {
    Shared r;
    Status avail = cuda::device_available();
    if (!avail.ok()) {
      r.reason = "no usable GPU: " + avail.to_string();
      return r;
    }
    auto be = cuda::CudaBackend::create({});
    if (!be.ok()) {
      r.reason = "CudaBackend::create failed: " + be.status().to_string();
      return r;
    }
    r.backend = std::move(*be);
    return r;
  }();
  return s;
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

bool is_float(DataType t) { return t == DataType::kFloat32 || t == DataType::kFloat64; }

// IEEE half: sign, 5 exponent bits (bias 15), 10 mantissa bits.
double half_value(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const double v = e == 0 ? std::ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : std::ldexp(m + 1024, e - 25);
  return (h & 0x8000u) ? -v : v;
}

}  // namespace

cuda::CudaBackend* backend() { return shared().backend.get(); }
std::string unavailable_reason() { return shared().reason; }

std::string op_cases_dir() { return env_or("TOP_GPU_TEST_OPS_DIR", std::string(TOP_BUILD_DIR) + "/testdata/ops"); }
std::string models_dir() { return env_or("TOP_MODELS_DIR", std::string(TOP_BUILD_DIR) + "/models"); }

std::vector<const Tensor*> pointers(const std::vector<Tensor>& ts) {
  std::vector<const Tensor*> out;
  for (const Tensor& t : ts) out.push_back(&t);
  return out;
}

Result<std::shared_ptr<const exec::ExecutionPlan>> plan_for(const Model& model, const std::vector<Tensor>& inputs) {
  TOP_ASSIGN_OR_RETURN(std::vector<Shape> shapes, exec::check_inputs(*model.graph(), pointers(inputs)));
  return exec::make_plan(model.graph(), shapes);
}

Result<std::vector<Tensor>> run_cpu(const exec::ExecutionPlan& plan, const std::vector<Tensor>& inputs) {
  static backend::CpuBackend cpu(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  exec::Arena arena;
  return cpu.run(plan, pointers(inputs), arena, nullptr);
}

Result<std::vector<Tensor>> run_cuda(const exec::ExecutionPlan& plan, const std::vector<Tensor>& inputs) {
  if (backend() == nullptr) return Status(StatusCode::kUnavailable, unavailable_reason());
  exec::Arena unused;  // the CUDA backend keeps its own device arenas
  return backend()->run(plan, pointers(inputs), unused, nullptr);
}

std::vector<Tensor> randomize_floats(const std::vector<Tensor>& like, uint32_t seed) {
  std::vector<Tensor> out;
  for (size_t i = 0; i < like.size(); ++i) {
    const Tensor& t = like[i];
    if (!is_float(t.dtype())) {
      out.push_back(t);
      continue;
    }
    // The case's own finite range: the generator keeps inputs in the op's domain
    // (positive for Log/Sqrt/Pow bases/variances, within [-1, 1] for Asin/Acos), and
    // values outside it would make both backends agree on NaN and compare nothing.
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t k = 0; k < t.numel(); ++k) {
      const double v = t.item_as_double(k);
      if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    }
    if (!(lo < hi)) {  // empty, constant or all non-finite: nothing to vary
      out.push_back(t);
      continue;
    }
    std::mt19937 rng(seed * 7919u + static_cast<uint32_t>(i));
    std::uniform_real_distribution<double> uniform(lo, hi);
    Tensor r = Tensor::zeros(t.dtype(), t.shape());
    for (int64_t k = 0; k < r.numel(); ++k) {
      double v = uniform(rng);
      for (int tries = 0; tries < 8 && std::fabs(v) < 1e-3; ++tries) v = uniform(rng);  // keep away from 0 (Div, Log)
      if (r.dtype() == DataType::kFloat32)
        r.data<float>()[k] = static_cast<float>(v);
      else
        r.data<double>()[k] = v;
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Tensor> random_model_inputs(const Model& model, int64_t batch, uint32_t seed) {
  std::vector<Tensor> out;
  uint32_t s = seed;
  for (const TensorInfo& info : model.inputs()) {
    Shape shape = info.shape;
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] < 0) shape[d] = d == 0 ? batch : 1;
    out.push_back(testing::random_tensor<float>(shape, s++, -1.0, 1.0));
  }
  return out;
}

std::string compare(const Tensor& got, const Tensor& ref, double tolerance) {
  std::ostringstream msg;
  if (got.dtype() != ref.dtype()) {
    msg << "dtype " << dtype_name(got.dtype()) << ", reference " << dtype_name(ref.dtype());
    return msg.str();
  }
  if (got.shape() != ref.shape()) {
    msg << "shape " << shape_str(got.shape()) << ", reference " << shape_str(ref.shape());
    return msg.str();
  }
  if (!is_float(ref.dtype()) && ref.dtype() != DataType::kFloat16) {
    for (int64_t k = 0; k < ref.numel(); ++k)
      if (got.item_as_int(k) != ref.item_as_int(k)) {
        msg << "element " << k << ": " << got.item_as_int(k) << ", reference " << ref.item_as_int(k)
            << " (integer outputs must be equal)";
        return msg.str();
      }
    return "";
  }
  // Tensor::item_as_double has no float16 case (it gives 0): decode the bits here.
  auto value = [](const Tensor& t, int64_t k) {
    return t.dtype() == DataType::kFloat16 ? half_value(static_cast<const uint16_t*>(t.raw_data())[k])
                                           : t.item_as_double(k);
  };
  double max_ref = 0, max_err = 0;
  int64_t worst = 0;
  for (int64_t k = 0; k < ref.numel(); ++k) {
    double r = value(ref, k), g = value(got, k);
    if (std::isnan(r) && std::isnan(g)) continue;
    if (std::isinf(r) && g == r) continue;
    if (std::isfinite(r)) max_ref = std::max(max_ref, std::fabs(r));
    double e = std::fabs(g - r);
    if (std::isnan(e) || e > max_err) {
      max_err = std::isnan(e) ? INFINITY : e;
      worst = k;
      if (std::isinf(max_err)) break;
    }
  }
  double rel = max_err / std::max(max_ref, 1e-6);
  if (rel <= tolerance) return "";
  msg << "relative error " << rel << " > " << tolerance << ": worst element " << worst << " = " << value(got, worst)
      << ", reference " << value(ref, worst) << ", max|reference| " << max_ref;
  return msg.str();
}

std::string compare_all(const std::vector<Tensor>& got, const std::vector<Tensor>& ref, double tolerance) {
  if (got.size() != ref.size())
    return std::to_string(got.size()) + " outputs, reference has " + std::to_string(ref.size());
  std::string all;
  for (size_t i = 0; i < ref.size(); ++i) {
    std::string m = compare(got[i], ref[i], tolerance);
    if (!m.empty()) all += (all.empty() ? "" : "; ") + ("output " + std::to_string(i) + ": " + m);
  }
  return all;
}

}  // namespace top::gputest

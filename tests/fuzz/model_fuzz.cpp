// libFuzzer target: arbitrary bytes as an ONNX model, loaded, planned and run once.
//
// Model::load_from_memory must return a Status for anything. A model that loads is
// planned for small shapes (each symbolic dimension 1 or 2) and run once on random
// inputs of its declared types; whatever the run returns is fine, a crash, a leak or
// undefined behaviour is not. Sizes are kept small so that the fuzzer explores rather
// than computes: a 256 MiB allocation limit and no run above 50 MFLOP.
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "top/limits.h"
#include "top/model.h"
#include "top/session.h"

namespace {

std::string g_base_dir;  // an empty folder: external-data references find nothing

constexpr double kMaxFlops = 5e7;

// A random tensor of `dtype`; integers small (-1..3) so that they are plausible
// indices, axes and shapes as often as not.
top::Result<top::Tensor> random_input(top::DataType dtype, const top::Shape& shape, std::mt19937_64& rng) {
  TOP_ASSIGN_OR_RETURN(top::Tensor t, top::Tensor::allocate(dtype, shape));
  std::normal_distribution<float> normal(0.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int64_t small = static_cast<int64_t>(rng() % 5) - 1;
    switch (dtype) {
      case top::DataType::kFloat32: t.data<float>()[i] = normal(rng); break;
      case top::DataType::kFloat64: t.data<double>()[i] = normal(rng); break;
      case top::DataType::kInt64: t.data<int64_t>()[i] = small; break;
      case top::DataType::kInt32: t.data<int32_t>()[i] = static_cast<int32_t>(small); break;
      case top::DataType::kBool: t.data<bool>()[i] = rng() % 2; break;
      default: {  // float16, int8, ...: any bit pattern of the element's size
        auto* bytes = static_cast<unsigned char*>(t.raw_data()) + static_cast<size_t>(i) * top::dtype_size(dtype);
        for (size_t b = 0; b < top::dtype_size(dtype); ++b) bytes[b] = static_cast<unsigned char>(rng());
      }
    }
  }
  return t;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  top::set_max_allocation_bytes(size_t(256) << 20);
  spdlog::set_level(spdlog::level::off);
  char dir[] = "/tmp/top_model_fuzz_XXXXXX";
  if (::mkdtemp(dir) == nullptr) __builtin_trap();
  g_base_dir = dir;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto model = top::Model::load_from_memory(data, size, g_base_dir);
  if (!model.ok()) return 0;
  std::mt19937_64 rng(size);
  std::vector<top::Tensor> inputs;
  std::vector<top::Shape> shapes;
  for (const top::TensorInfo& info : model->inputs()) {
    top::Shape shape = info.shape;
    for (int64_t& d : shape)
      if (d < 0) d = 1 + static_cast<int64_t>(rng() % 2);
    auto t = random_input(info.dtype, shape, rng);
    if (!t.ok()) return 0;  // over the limit or no element type: nothing to run
    shapes.push_back(shape);
    inputs.push_back(std::move(t).value());
  }
  top::SessionOptions opts;
  opts.num_threads = 1;
  auto session = top::Session::create(*model, opts);
  if (!session.ok()) return 0;
  auto info = (*session)->plan_info(shapes);
  if (!info.ok() || info->flops > kMaxFlops) return 0;
  auto outs = (*session)->run(inputs);
  (void)outs;
  return 0;
}

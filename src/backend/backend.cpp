#include "backend/backend.h"

#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/sim/sim_backend.h"
#ifdef TOP_WITH_CUDA
#include "backend/cuda/cuda_backend.h"
#endif

namespace top::backend {

namespace {

// The backends this build contains, for error messages.
const char* compiled_backends() {
#ifdef TOP_WITH_CUDA
  return "cpu, sim, cuda";
#else
  return "cpu, sim";
#endif
}

}  // namespace

Result<std::unique_ptr<Backend>> create_backend(const std::string& name, const BackendOptions& opts) {
  int threads = opts.num_threads > 0 ? opts.num_threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  if (name == "cpu") return std::unique_ptr<Backend>(new CpuBackend(threads));
  if (name == "sim") {
    TOP_ASSIGN_OR_RETURN(auto sim, SimBackend::create(opts));
    return std::unique_ptr<Backend>(std::move(sim));
  }
#ifdef TOP_WITH_CUDA
  if (name == "cuda") {
    auto be = cuda::CudaBackend::create();
    if (!be.ok()) return be.status().with_context("backend 'cuda'");
    return std::unique_ptr<Backend>(std::move(be).value());
  }
#endif
  return Unsupported("unknown backend '" + name + "' (available: " + compiled_backends() + ")");
}

}  // namespace top::backend

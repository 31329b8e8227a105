#include "backend/backend.h"

#include <thread>

#include "backend/cpu/cpu_backend.h"

namespace top::backend {

Result<std::unique_ptr<Backend>> create_backend(const std::string& name, const BackendOptions& opts) {
  int threads = opts.num_threads > 0 ? opts.num_threads : static_cast<int>(std::thread::hardware_concurrency());
  if (threads <= 0) threads = 1;
  if (name == "cpu") return std::unique_ptr<Backend>(new CpuBackend(threads));
  return Unsupported("unknown backend '" + name + "' (available: cpu)");
}

}  // namespace top::backend

#include "ops/onednn/onednn_runtime.h"

#include <algorithm>
#include <cstdint>

// libgomp's API, declared here rather than through <omp.h>: that header belongs to the
// compiler's OpenMP (GCC's libgomp or clang's libomp), and oneDNN was built with
// GCC's. We never compile with -fopenmp; only oneDNN's loops run on OpenMP.
extern "C" void omp_set_num_threads(int n);
extern "C" int omp_get_max_threads();

namespace top::ops::onednn {

const dnnl::engine& engine() {
  static const dnnl::engine e(dnnl::engine::kind::cpu, 0);
  return e;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream s(engine());
  return s;
}

void* Scratch::get(size_t which, size_t bytes) {
  Buffer& b = buffers_[which];
  if (bytes > b.bytes || !b.aligned) {
    const size_t want = std::max<size_t>(bytes, 64);
    b.raw.reset(new unsigned char[want + 64]);
    const auto p = reinterpret_cast<uintptr_t>(b.raw.get());
    b.aligned = reinterpret_cast<void*>((p + 63) & ~uintptr_t{63});
    b.bytes = want;
  }
  return b.aligned;
}

Scratch& thread_scratch() {
  thread_local Scratch s;
  return s;
}

void use_threads(int n) {
  n = std::max(n, 1);
  if (omp_get_max_threads() != n) omp_set_num_threads(n);
}

}  // namespace top::ops::onednn

// What every oneDNN kernel shares: the CPU engine, a stream and scratch memory per
// calling thread, and the calling thread's OpenMP team size.
//
// Debian's oneDNN 2.6 runs its parallel loops on OpenMP (DNNL_CPU_RUNTIME=OMP). An
// OpenMP team size is a per-thread setting, so each stream thread sets its own before
// a primitive runs (use_threads): a stream with one intra-op thread runs oneDNN inline
// on that thread, one with two runs a team of two, and streams never oversubscribe the
// machine with a team the size of it each.
#pragma once

#include <cstddef>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>

namespace top::ops::onednn {

const dnnl::engine& engine();
dnnl::stream& thread_stream();  // on engine(), one per calling thread

// Grow-only buffers per calling thread (64-byte aligned): the blocked copies of a
// step's input and output and the primitive's scratchpad. One kernel runs at a time
// on a thread, so its buffers are free between calls.
class Scratch {
 public:
  void* get(size_t which, size_t bytes);

 private:
  struct Buffer {
    std::unique_ptr<unsigned char[]> raw;
    size_t bytes = 0;
    void* aligned = nullptr;
  };
  Buffer buffers_[3];
};
Scratch& thread_scratch();

// Sets the calling thread's OpenMP team size for the primitives it runs next.
void use_threads(int n);

}  // namespace top::ops::onednn

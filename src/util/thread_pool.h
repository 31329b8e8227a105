// ThreadPool: a fixed set of worker threads for data-parallel loops inside one
// operator (intra-op parallelism). The calling thread takes part in every loop, so a
// pool of N threads keeps N-1 workers.
//
// Thread safety: parallel_for may be called from several threads at once; each call
// is independent (calls are serialised on the workers, the caller still progresses).
//
// With oneDNN (whose convolutions run on libgomp) the pool runs its loops on libgomp too
// (uses_openmp()): one team of threads per calling thread then serves both, instead of
// two sets of workers taking turns on the same cores, and libgomp's workers wait for
// the next loop spinning briefly, where ours sleep on a condition variable (a wake-up
// costs 30-60 us on a shared VM, more than a small element-wise op). TOP_POOL_OPENMP=0
// (or TOP_ONEDNN=0) keeps the pool's own workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace top {

class ThreadPool {
 public:
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }
  bool uses_openmp() const { return openmp_; }

  // Runs fn(begin, end) over disjoint chunks covering [0, n). Chunks are at least
  // `grain` long, so tiny loops stay on the calling thread. Returns when all are done.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();

  int num_threads_;
  bool openmp_ = false;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
};

}  // namespace top

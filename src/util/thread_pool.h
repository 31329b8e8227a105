// ThreadPool: a fixed set of worker threads for data-parallel loops inside one
// operator (intra-op parallelism). The calling thread takes part in every loop, so a
// pool of N threads keeps N-1 workers.
//
// Thread safety: parallel_for may be called from several threads at once; each call
// is independent (calls are serialised on the workers, the caller still progresses).
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

  // Runs fn(begin, end) over disjoint chunks covering [0, n). Chunks are at least
  // `grain` long, so tiny loops stay on the calling thread. Returns when all are done.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
};

}  // namespace top

#include "util/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>

#if defined(TOP_HAVE_ONEDNN)
// libgomp's entry point for `#pragma omp parallel num_threads(n)`: runs fn(data) on a
// team of n threads, the caller included, and returns when all are done. Declared here
// rather than through <omp.h>, like ops/onednn/onednn_runtime.cpp: only libgomp is
// linked, whatever the compiler, and nothing here is compiled with -fopenmp.
extern "C" void GOMP_parallel(void (*fn)(void*), void* data, unsigned num_threads, unsigned flags);
#endif

namespace top {

namespace {

bool env_off(const char* name) {
  const char* e = std::getenv(name);
  return e && std::strcmp(e, "0") == 0;
}

bool openmp_pools() {
#if defined(TOP_HAVE_ONEDNN)
  static const bool on = !env_off("TOP_POOL_OPENMP") && !env_off("TOP_ONEDNN");
  return on;
#else
  return false;
#endif
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) : num_threads_(std::max(1, num_threads)), openmp_(openmp_pools()) {
  if (openmp_) return;  // libgomp's team of the calling thread does the work
  for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::worker_loop() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

void ThreadPool::parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  int64_t chunks = std::min<int64_t>(num_threads_, (n + grain - 1) / grain);
  if (chunks <= 1) {
    fn(0, n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
#if defined(TOP_HAVE_ONEDNN)
  if (openmp_) {
    struct Loop {
      std::atomic<int64_t> next{0};
      int64_t chunks, step, n;
      const std::function<void(int64_t, int64_t)>* fn;
    } loop{{0}, chunks, step, n, &fn};
    GOMP_parallel(
        [](void* p) {
          Loop& l = *static_cast<Loop*>(p);
          for (int64_t c; (c = l.next.fetch_add(1)) < l.chunks;) {
            const int64_t b = c * l.step, e = std::min(l.n, b + l.step);
            if (b < e) (*l.fn)(b, e);
          }
        },
        &loop, static_cast<unsigned>(chunks), 0);
    return;
  }
#endif
  // Chunks are claimed through a shared counter, so the caller can run all of them
  // itself when the workers are busy with another loop (no deadlock, no idle wait).
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    std::mutex mu;
    std::condition_variable cv;
  };
  auto shared = std::make_shared<Shared>();
  auto run_chunks = [shared, step, n, chunks, &fn] {
    for (;;) {
      int64_t c = shared->next.fetch_add(1);
      if (c >= chunks) return;
      int64_t b = c * step, e = std::min(n, b + step);
      if (b < e) fn(b, e);
      if (shared->done.fetch_add(1) + 1 == chunks) {
        std::lock_guard<std::mutex> lock(shared->mu);
        shared->cv.notify_all();
      }
    }
  };
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int64_t i = 1; i < chunks; ++i) jobs_.push_back(run_chunks);
  }
  cv_.notify_all();
  run_chunks();
  std::unique_lock<std::mutex> lock(shared->mu);
  shared->cv.wait(lock, [&] { return shared->done.load() == chunks; });
}

}  // namespace top

// Completion callbacks that use the runtime (unload, shutdown, blocking submit, stats),
// callbacks that throw, and load/unload cycles that must give their memory back.
//
// A deadlock must fail a test, not hang the binary: every wait has a timeout, and a
// runtime whose threads are stuck is abandoned (never destroyed, which would join them).
#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "hold_policy.h"
#include "test_models.h"
#include "top/runtime.h"

namespace top {
namespace {

using testing::branchy_model;
using testing::HoldPolicy;
using testing::load_proto;

constexpr auto kHang = std::chrono::seconds(10);  // far above any step here: a deadlock

Tensor random_input(int64_t batch, int64_t width, std::mt19937& rng) {
  std::normal_distribution<float> nd(0.f, 2.f);
  Tensor t = Tensor::zeros(DataType::kFloat32, {batch, width});
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = nd(rng);
  return t;
}


std::unique_ptr<Runtime> make_runtime(RuntimeConfig cfg) {
  auto rt = Runtime::create(cfg);
  EXPECT_TRUE(rt.ok()) << rt.status().to_string();
  return rt.ok() ? std::move(rt).value() : nullptr;
}

// Waits for `f`; on a deadlock abandons the runtime (its threads will never return, so
// its destructor would hang) and says so.
template <class T>
bool ready_or_abandon(std::future<T>& f, std::unique_ptr<Runtime>& rt) {
  if (f.wait_for(kHang) == std::future_status::ready) return true;
  (void)rt.release();  // deliberately leaked: joining its threads would hang the test
  return false;
}

// Runs the runtime's shutdown on another thread so a hang is reported, not suffered.
bool shutdown_or_abandon(std::unique_ptr<Runtime>& rt, ShutdownMode mode = ShutdownMode::kDrain) {
  Runtime* raw = rt.get();
  auto done = std::async(std::launch::async, [raw, mode] { raw->shutdown(mode); });
  if (done.wait_for(kHang) == std::future_status::ready) return true;
  (void)rt.release();
  // The async thread stays blocked; std::future's destructor would wait for it.
  new std::future<void>(std::move(done));
  return false;
}

// Holds the first callback until every task is submitted, so what it does (unload,
// shutdown) meets a known queue.
struct Gate {
  std::promise<void> open_;
  std::shared_future<void> opened = open_.get_future().share();
  void open() { open_.set_value(); }
  void wait() const { opened.wait_for(kHang); }
};

// What callbacks of one test record; shared so an abandoned runtime's threads never
// touch a finished test's stack.
struct Record {
  explicit Record(int n) : calls(static_cast<size_t>(n)), codes(static_cast<size_t>(n)) {
    for (auto& c : calls) c.store(0);
  }
  std::vector<std::atomic<int>> calls;  // per task: how many times its callback ran
  std::vector<StatusCode> codes;        // per task: the status it ended with
  std::atomic<int> total{0};
  bool each_once() const {
    for (const auto& c : calls)
      if (c.load() != 1) return false;
    return true;
  }
  void note(int i, const TaskResult& r) {
    codes[static_cast<size_t>(i)] = r.status.code();
    calls[static_cast<size_t>(i)]++;
    total++;
  }
};

// On main this waited for its own instance, which finishes only after the callback.
TEST(RuntimeReentrancy, CallbackUnloadsItsOwnModel) {
  RuntimeConfig cfg;
  cfg.num_streams = 1;
  cfg.launch_policy = fifo_launch_policy();  // one task at a time: the others stay queued
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(16))).ok());
  constexpr int kTasks = 6;
  auto rec = std::make_shared<Record>(kTasks);
  auto unloaded = std::make_shared<std::promise<Status>>();
  auto unloaded_f = unloaded->get_future();
  auto first = std::make_shared<std::atomic<bool>>(true);
  auto gate = std::make_shared<Gate>();
  Runtime* raw = rt.get();
  std::mt19937 rng(11);
  for (int i = 0; i < kTasks; ++i)
    ASSERT_TRUE(rt->submit("m", {random_input(1, 16, rng)}, [=](TaskResult r) {
                    rec->note(i, r);
                    if (!first->exchange(false)) return;
                    gate->wait();
                    unloaded->set_value(raw->unload_model("m"));
                  }).ok());
  gate->open();
  ASSERT_TRUE(ready_or_abandon(unloaded_f, rt)) << "unload_model() from a callback deadlocked";
  EXPECT_TRUE(unloaded_f.get().ok());
  EXPECT_TRUE(rt->models().empty());
  EXPECT_EQ(rt->unload_model("m").code(), StatusCode::kNotFound);
  ASSERT_TRUE(shutdown_or_abandon(rt));
  EXPECT_EQ(rec->total.load(), kTasks);
  EXPECT_TRUE(rec->each_once());
  int cancelled = 0;
  for (StatusCode c : rec->codes) {
    EXPECT_TRUE(c == StatusCode::kOk || c == StatusCode::kCancelled) << static_cast<int>(c);
    cancelled += c == StatusCode::kCancelled;
  }
  EXPECT_GE(cancelled, 1);  // the tasks queued behind the first were dropped by the unload
  EXPECT_TRUE(rt->stats().models.empty()) << "an unloaded model stays in stats()";
}

// On main shutdown() from a stream thread joined the launcher, which waited for the
// callback's own instance: a deadlock.
void shutdown_from_stream_callback(ShutdownMode mode) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = fixed_launch_policy(0, 2, 2);
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(16))).ok());
  constexpr int kTasks = 12;
  auto rec = std::make_shared<Record>(kTasks);
  auto returned = std::make_shared<std::promise<RuntimeStats>>();
  auto returned_f = returned->get_future();
  auto first = std::make_shared<std::atomic<bool>>(true);
  auto gate = std::make_shared<Gate>();
  Runtime* raw = rt.get();
  std::mt19937 rng(12);
  for (int i = 0; i < kTasks; ++i)
    ASSERT_TRUE(rt->submit("m", {random_input(1, 16, rng)}, [=](TaskResult r) {
                    rec->note(i, r);
                    if (!first->exchange(false)) return;
                    gate->wait();
                    raw->shutdown(mode);
                    returned->set_value(raw->stats());  // stats() from a callback too
                  }).ok());
  gate->open();
  ASSERT_TRUE(ready_or_abandon(returned_f, rt)) << "shutdown() from a callback deadlocked";
  EXPECT_EQ(returned_f.get().models.size(), 1u);
  // Refused from now on, whatever the thread.
  EXPECT_EQ(rt->submit("m", {random_input(1, 16, rng)}).get().status.code(), StatusCode::kUnavailable);
  ASSERT_TRUE(shutdown_or_abandon(rt, mode));  // the join the callback could not do
  EXPECT_EQ(rec->total.load(), kTasks);
  EXPECT_TRUE(rec->each_once());
  for (StatusCode c : rec->codes) {
    if (mode == ShutdownMode::kDrain) {
      EXPECT_EQ(c, StatusCode::kOk);
    } else {
      EXPECT_TRUE(c == StatusCode::kOk || c == StatusCode::kCancelled) << static_cast<int>(c);
    }
  }
}

TEST(RuntimeReentrancy, DrainShutdownFromCallback) { shutdown_from_stream_callback(ShutdownMode::kDrain); }
TEST(RuntimeReentrancy, CancelShutdownFromCallback) { shutdown_from_stream_callback(ShutdownMode::kCancel); }

// A deadline passing in the queue ends its task on the launcher thread; on main its
// callback's shutdown() joined the launcher from itself.
TEST(RuntimeReentrancy, ShutdownFromLauncherThreadCallback) {
  RuntimeConfig cfg;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  constexpr int kTasks = 5;  // task 0 has the deadline
  auto rec = std::make_shared<Record>(kTasks);
  auto returned = std::make_shared<std::promise<void>>();
  auto returned_f = returned->get_future();
  Runtime* raw = rt.get();
  std::mt19937 rng(13);
  for (int i = 0; i < kTasks; ++i) {
    TaskOptions opts;
    if (i == 0) opts.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
    ASSERT_TRUE(rt->submit("m", {random_input(1, 8, rng)}, [=](TaskResult r) {
                    rec->note(i, r);
                    if (i != 0) return;
                    raw->shutdown(ShutdownMode::kCancel);
                    returned->set_value();
                  }, opts).ok());
  }
  ASSERT_TRUE(ready_or_abandon(returned_f, rt)) << "shutdown() from the launcher thread deadlocked";
  ASSERT_TRUE(shutdown_or_abandon(rt, ShutdownMode::kCancel));
  EXPECT_TRUE(rec->each_once());
  EXPECT_EQ(rec->codes[0], StatusCode::kDeadlineExceeded);
  for (int i = 1; i < kTasks; ++i) EXPECT_EQ(rec->codes[i], StatusCode::kCancelled) << i;
}

// block_when_full: a callback's submit into a full queue cannot wait, because the
// queue drains only once the callback's instance has finished. On main it blocked
// forever.
TEST(RuntimeReentrancy, BlockingSubmitFromStreamCallbackDoesNotWait) {
  RuntimeConfig cfg;
  cfg.num_streams = 1;
  cfg.queue_capacity = 1;
  cfg.block_when_full = true;
  cfg.launch_policy = fifo_launch_policy();  // nothing launches while the callback runs
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(16))).ok());
  struct Submitted {
    std::future<TaskResult> fits, overflows;
  };
  auto inner = std::make_shared<std::promise<Submitted>>();
  auto inner_f = inner->get_future();
  Runtime* raw = rt.get();
  std::mt19937 rng(14);
  Tensor x = random_input(1, 16, rng), y = random_input(1, 16, rng), z = random_input(1, 16, rng);
  ASSERT_TRUE(rt->submit("m", {x}, [=](TaskResult r) {
                  EXPECT_TRUE(r.status.ok());
                  Submitted s;
                  s.fits = raw->submit("m", {y});       // the queue was empty
                  s.overflows = raw->submit("m", {z});  // the queue holds `fits`
                  inner->set_value(std::move(s));
                }).ok());
  ASSERT_TRUE(ready_or_abandon(inner_f, rt)) << "a blocking submit() from a callback deadlocked";
  Submitted s = inner_f.get();
  ASSERT_EQ(s.overflows.wait_for(std::chrono::seconds(0)), std::future_status::ready);
  TaskResult over = s.overflows.get();
  EXPECT_EQ(over.status.code(), StatusCode::kResourceExhausted) << over.status.to_string();
  ASSERT_TRUE(ready_or_abandon(s.fits, rt));
  EXPECT_TRUE(s.fits.get().status.ok());
  ASSERT_TRUE(shutdown_or_abandon(rt));
}

// The same from the launcher thread (a deadline passed): on main the launcher itself
// blocked, so nothing could ever make room.
TEST(RuntimeReentrancy, BlockingSubmitFromLauncherCallbackDoesNotWait) {
  RuntimeConfig cfg;
  cfg.queue_capacity = 2;
  cfg.block_when_full = true;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  auto codes = std::make_shared<std::promise<std::vector<StatusCode>>>();
  auto codes_f = codes->get_future();
  Runtime* raw = rt.get();
  std::mt19937 rng(15);
  auto held = rt->submit("m", {random_input(1, 8, rng)});
  TaskOptions soon;
  soon.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  std::vector<Tensor> more = {random_input(1, 8, rng), random_input(1, 8, rng)};
  ASSERT_TRUE(rt->submit("m", {random_input(1, 8, rng)}, [=](TaskResult r) {
                  std::vector<StatusCode> c{r.status.code()};
                  for (const Tensor& t : more)
                    c.push_back(raw->submit("m", {t}, [](TaskResult) {}).code());
                  codes->set_value(std::move(c));
                }, soon).ok());
  ASSERT_TRUE(ready_or_abandon(codes_f, rt)) << "a blocking submit() on the launcher thread deadlocked";
  std::vector<StatusCode> c = codes_f.get();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0], StatusCode::kDeadlineExceeded);
  EXPECT_EQ(c[1], StatusCode::kOk);                 // took the expired task's place
  EXPECT_EQ(c[2], StatusCode::kResourceExhausted);  // full: refused, not waited for
  ASSERT_TRUE(shutdown_or_abandon(rt, ShutdownMode::kCancel));
  EXPECT_EQ(held.get().status.code(), StatusCode::kCancelled);
}

// On main an exception out of a callback reached the stream thread: std::terminate.
TEST(RuntimeReentrancy, ThrowingCallbacksAreCountedAndEveryTaskEndsOnce) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = fixed_launch_policy(0, 2, 2);
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(16))).ok());
  constexpr int kTasks = 20;
  auto rec = std::make_shared<Record>(kTasks);
  std::mt19937 rng(16);
  for (int i = 0; i < kTasks; ++i)
    ASSERT_TRUE(rt->submit("m", {random_input(1, 16, rng)}, [=](TaskResult r) {
                    rec->note(i, r);
                    if (i % 4 == 0) throw std::runtime_error("callback " + std::to_string(i));
                    if (i % 4 == 1) throw i;  // not a std::exception
                  }).ok());
  // An admission failure calls the callback inline: its exception is caught as well.
  Status unknown = rt->submit("nope", {random_input(1, 16, rng)}, [](TaskResult) { throw std::logic_error("x"); });
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  // The runtime goes on.
  auto after = rt->submit("m", {random_input(1, 16, rng)});
  ASSERT_TRUE(ready_or_abandon(after, rt));
  EXPECT_TRUE(after.get().status.ok());
  ASSERT_TRUE(shutdown_or_abandon(rt));
  EXPECT_TRUE(rec->each_once());
  for (StatusCode c : rec->codes) EXPECT_EQ(c, StatusCode::kOk);
  EXPECT_EQ(rt->stats().callback_exceptions, static_cast<uint64_t>(kTasks / 2 + 1));
}

// Tasks cancelled at shutdown end on the launcher thread; their exceptions are caught.
TEST(RuntimeReentrancy, ThrowingCallbacksOfCancelledTasks) {
  RuntimeConfig cfg;
  cfg.launch_policy = std::make_shared<HoldPolicy>();
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(8))).ok());
  constexpr int kTasks = 5;
  auto rec = std::make_shared<Record>(kTasks);
  std::mt19937 rng(17);
  for (int i = 0; i < kTasks; ++i)
    ASSERT_TRUE(rt->submit("m", {random_input(1, 8, rng)}, [=](TaskResult r) {
                    rec->note(i, r);
                    throw std::runtime_error("cancelled callback");
                  }).ok());
  ASSERT_TRUE(shutdown_or_abandon(rt, ShutdownMode::kCancel));
  EXPECT_TRUE(rec->each_once());
  for (StatusCode c : rec->codes) EXPECT_EQ(c, StatusCode::kCancelled);
  EXPECT_EQ(rt->stats().callback_exceptions, static_cast<uint64_t>(kTasks));
}

// Bytes malloc has handed out and not got back (small chunks and mmapped ones).
size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// On main every cycle kept its model entry (graph, plans, compiled schedules, a pool
// of activation arenas) and its stats entry until the runtime was destroyed.
TEST(RuntimeReentrancy, LoadUnloadCyclesGiveMemoryBack) {
  RuntimeConfig cfg;
  cfg.num_streams = 2;
  cfg.launch_policy = fixed_launch_policy(0, 2, 2);
  auto rt = make_runtime(cfg);
  ASSERT_TRUE(rt);
  constexpr int kCycles = 30, kWarmup = 5, kTasks = 4;
  constexpr int64_t kWidth = 2048, kBatch = 16;  // 128 KiB per activation
  std::mt19937 rng(18);
  size_t before = 0;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    if (cycle == kWarmup) before = heap_in_use();
    ASSERT_TRUE(rt->load_model("m", load_proto(branchy_model(kWidth))).ok());
    std::vector<std::future<TaskResult>> fs;
    for (int i = 0; i < kTasks; ++i) fs.push_back(rt->submit("m", {random_input(kBatch, kWidth, rng)}));
    for (auto& f : fs) {
      ASSERT_TRUE(ready_or_abandon(f, rt));
      ASSERT_TRUE(f.get().status.ok());
    }
    EXPECT_EQ(rt->stats().models.size(), 1u) << "cycle " << cycle;
    ASSERT_TRUE(rt->unload_model("m").ok());
    EXPECT_TRUE(rt->stats().models.empty()) << "cycle " << cycle;
  }
  const size_t after = heap_in_use();
  const double grown_mb = (static_cast<double>(after) - static_cast<double>(before)) / (1 << 20);
  RecordProperty("heap_growth_kb", static_cast<int>(grown_mb * 1024));
  // One task's activations alone are several 128 KiB tensors: a leak of one arena per
  // cycle would be > 10 MB over these 25 cycles. 4 MB leaves room for allocator noise.
  EXPECT_LT(grown_mb, 4.0) << "heap grew " << grown_mb << " MB over " << kCycles - kWarmup << " load/unload cycles";
  RuntimeStats st = rt->stats();
  EXPECT_GT(st.throughput_per_s, 0) << "the unloaded models' completed tasks still count in the total";
  ASSERT_TRUE(shutdown_or_abandon(rt));
}

}  // namespace
}  // namespace top

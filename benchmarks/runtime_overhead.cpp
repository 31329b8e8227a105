// Per-task overhead of the asynchronous runtime (queueing, launcher, scheduling,
// dispatch to a stream, result hand-back) on a model so small that the operators
// themselves cost almost nothing.
//
//   bench_runtime_overhead [tasks=20000] [repetitions=5]
//
//   direct            Session::run, one call after another: the floor.
//   runtime latency   Runtime (fifo, 1 stream): submit() then future.get(), one task at
//                     a time. Minus "direct" = latency a task pays for going through
//                     the runtime (two thread hand-offs included).
//   direct x2         Session::run from 2 threads at once: the throughput floor.
//   runtime thruput   Runtime (fixed_launch_policy(0, 1, 0), 2 streams): all tasks
//                     submitted at once, then waited for; wall time / tasks.
// Each figure is the median over the repetitions of the mean per-task time.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "top/model.h"
#include "top/runtime.h"
#include "top/session.h"
#include "util/median.h"

namespace {

using Clock = std::chrono::steady_clock;
using top::median;
constexpr int64_t kWidth = 16;

// y = Relu(x) + x, x: [batch, 16]. Two operators so the schedule is a real graph,
// small enough that the kernels take well under a microsecond.
top::Model tiny_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.set_producer_name("bench_runtime_overhead");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("tiny");
  auto value_info = [](onnx::ValueInfoProto* vi, const char* name) {
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_param("batch");
    tt->mutable_shape()->add_dim()->set_dim_value(kWidth);
  };
  value_info(g->add_input(), "x");
  value_info(g->add_output(), "y");
  auto node = [&](const char* op, std::vector<const char*> in, const char* out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(std::string(op) + "_" + out);
    for (const char* i : in) n->add_input(i);
    n->add_output(out);
  };
  node("Relu", {"x"}, "r");
  node("Add", {"r", "x"}, "y");
  std::string bytes = m.SerializeAsString();
  auto model = top::Model::load_from_memory(bytes.data(), bytes.size());
  if (!model.ok()) {
    std::fprintf(stderr, "tiny model: %s\n", model.status().to_string().c_str());
    std::exit(1);
  }
  return *model;
}

void check(const top::Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, s.to_string().c_str());
  std::exit(1);
}

// Median over `reps` of the per-task microseconds of one measured repetition.
double per_task_us(int reps, int n, const std::function<void()>& repetition) {
  std::vector<double> us;
  for (int r = 0; r < reps; ++r) {
    auto t0 = Clock::now();
    repetition();
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n);
  }
  return median(us);
}

std::unique_ptr<top::Runtime> make_runtime(const top::Model& model, int streams,
                                           std::shared_ptr<top::LaunchPolicy> policy, size_t capacity) {
  top::RuntimeConfig cfg;
  cfg.num_streams = streams;
  cfg.threads_per_stream = 1;
  cfg.queue_capacity = capacity;
  cfg.launch_policy = std::move(policy);
  auto rt = top::Runtime::create(cfg);
  check(rt.status(), "Runtime::create");
  check((*rt)->load_model("tiny", model), "load_model");
  return std::move(rt).value();
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  if (n < 1 || reps < 1) {
    std::fprintf(stderr, "usage: %s [tasks >= 1] [repetitions >= 1]\n", argv[0]);
    return 2;
  }
  const top::Model model = tiny_model();
  top::Tensor x = top::Tensor::zeros(top::DataType::kFloat32, {1, kWidth});
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = normal(rng);
  const int warmup = std::min(n, 500);

  top::SessionOptions so;
  so.num_threads = 1;
  auto session = top::Session::create(model, so);
  check(session.status(), "Session::create");
  auto direct_run = [&](int count) {
    for (int i = 0; i < count; ++i) check((*session)->run({x}).status(), "Session::run");
  };
  direct_run(warmup);
  const double t_direct = per_task_us(reps, n, [&] { direct_run(n); });

  // Session::run is thread-safe; two callers is what two streams can do at best.
  const double t_direct2 = per_task_us(reps, n, [&] {
    std::thread other([&] { direct_run(n / 2); });
    direct_run(n - n / 2);
    other.join();
  });

  auto fifo = make_runtime(model, 1, top::fifo_launch_policy(), 1024);
  auto one_at_a_time = [&](int count) {
    for (int i = 0; i < count; ++i) check(fifo->submit("tiny", {x}).get().status, "runtime task");
  };
  one_at_a_time(warmup);
  const double t_runtime = per_task_us(reps, n, [&] { one_at_a_time(n); });
  fifo->shutdown();

  auto wide = make_runtime(model, 2, top::fixed_launch_policy(0, 1, 0), static_cast<size_t>(n));
  double submit_us = 0;
  auto all_at_once = [&](int count) {
    std::vector<std::future<top::TaskResult>> futures;
    futures.reserve(static_cast<size_t>(count));
    auto t0 = Clock::now();
    for (int i = 0; i < count; ++i) futures.push_back(wide->submit("tiny", {x}));
    submit_us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / count;
    for (auto& f : futures) check(f.get().status, "runtime task");
  };
  all_at_once(warmup);
  const double t_throughput = per_task_us(reps, n, [&] { all_at_once(n); });
  wide->shutdown();

  std::printf("runtime overhead on a 2-operator model, %d tasks x %d repetitions (median), %u hardware threads\n", n,
              reps, std::thread::hardware_concurrency());
  std::printf("%-44s %12s %14s\n", "mode", "us/task", "overhead us");
  std::printf("%-44s %12.2f %14s\n", "direct: Session::run, sequential", t_direct, "-");
  std::printf("%-44s %12.2f %14.2f\n", "runtime: fifo, 1 stream, submit+get", t_runtime, t_runtime - t_direct);
  std::printf("%-44s %12.2f %14s\n", "direct x2: Session::run from 2 threads", t_direct2, "-");
  std::printf("%-44s %12.2f %14.2f\n", "runtime: fixed(0,1,0), 2 streams, all at once", t_throughput,
              t_throughput - t_direct2);
  std::printf("(all at once: submit() itself took %.2f us/task in the last repetition)\n", submit_us);
  return 0;
}

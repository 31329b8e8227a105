#include "profile/profiler.h"

#include "backend/backend.h"
#include "util/median.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <thread>

#include "exec/executor.h"
#include "ir/graph.h"
#include "ops/gemm.h"
#include "profile/cost_model.h"
#include "util/thread_pool.h"

namespace top::profile {

namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int hardware_threads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

// Per-step samples of `runs` timed runs of the plan on `pool` (null = calling thread).
struct Samples {
  std::vector<std::vector<double>> per_step;  // ms
  std::vector<double> runs;                   // whole-run ms
};

// `backend`, when set, runs the plan instead of the CPU executor on `pool`.
Status sample_runs(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs, ThreadPool* pool,
                   int warmup, int repeat, Samples& out, backend::Backend* backend = nullptr) {
  out.per_step.assign(plan.steps.size(), {});
  out.runs.clear();
  exec::Arena arena;
  const exec::Step* first = plan.steps.empty() ? nullptr : &plan.steps[0];
  bool timing = false;
  exec::StepObserver observer = [&](const exec::Step& s, Clock::time_point b, Clock::time_point e) {
    if (timing) out.per_step[static_cast<size_t>(&s - first)].push_back(ms_between(b, e));
  };
  for (int i = 0; i < warmup + repeat; ++i) {
    timing = i >= warmup;
    auto t0 = Clock::now();
    auto res = backend ? backend->run(plan, inputs, arena, &observer) : exec::run_plan(plan, inputs, arena, pool, &observer);
    if (!res.ok()) return res.status().with_context("profiling run");
    if (timing) out.runs.push_back(ms_between(t0, Clock::now()));
  }
  return Status::Ok();
}

std::vector<StepTiming> step_timings(const exec::ExecutionPlan& plan, const Samples& s, int threads) {
  std::vector<StepTiming> out;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    const exec::Step& step = plan.steps[i];
    const ir::Node& node = plan.graph->nodes[static_cast<size_t>(step.node)];
    StepTiming t;
    t.step = static_cast<int>(i);
    t.node = node.name;
    t.op_type = node.op_type;
    t.key = op_key(plan, step);
    t.threads = threads;
    // Never report a zero: the clock's resolution bounds a tiny operator from below.
    t.ms = std::max(median(s.per_step[i]), 1e-6);
    out.push_back(std::move(t));
  }
  return out;
}

// One entry per (key, threads): the median over every sample of every step with the key.
void add_measurements(const exec::ExecutionPlan& plan, const Samples& s, int threads, Profile& p) {
  std::map<std::string, size_t> first_step;
  std::map<std::string, std::vector<double>> pooled;
  std::vector<std::string> order;
  for (size_t i = 0; i < plan.steps.size(); ++i) {
    std::string key = op_key(plan, plan.steps[i]);
    if (!first_step.count(key)) {
      first_step[key] = i;
      order.push_back(key);
    }
    auto& v = pooled[key];
    v.insert(v.end(), s.per_step[i].begin(), s.per_step[i].end());
  }
  for (const std::string& key : order) {
    const exec::Step& step = plan.steps[first_step[key]];
    const ir::Node& node = plan.graph->nodes[static_cast<size_t>(step.node)];
    OpMeasurement m;
    m.op_type = node.op_type;
    m.key = key;
    m.node = node.name;
    m.shapes = step_input_shapes(plan, step);
    m.flops = describe_step(plan, step).flops;  // the cost model's view of the work
    m.bytes = step.cost.bytes;
    m.output_elements = step_output_elements(plan, step);
    m.threads = threads;
    m.ms = std::max(median(pooled[key]), 1e-6);
    m.samples = static_cast<int>(pooled[key].size());
    Profile one;
    one.device = p.device;
    one.ops.push_back(std::move(m));
    (void)p.merge(one);  // same device by construction
  }
}

double sgemm_rate_one_thread() {
  const int64_t n = 256;
  std::vector<float> a(n * n), b(n * n), c(n * n);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  ops::sgemm_serial(false, false, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);  // warm
  // Best of several short trials: the rate when nothing else held the core.
  double best = 0;
  for (int trial = 0; trial < 8; ++trial) {
    int calls = 0;
    auto t0 = Clock::now();
    double elapsed = 0;
    do {
      ops::sgemm_serial(false, false, n, n, n, 1.f, a.data(), n, b.data(), n, 0.f, c.data(), n);
      ++calls;
      elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
    } while (elapsed < 0.015);
    best = std::max(best, 2.0 * n * n * n * calls / elapsed);
  }
  return best;
}

// Copy rate of `threads` threads over `bytes` in total (read + write counted), best of
// three trials of `passes` passes each.
double copy_bandwidth(int threads, size_t bytes, int passes) {
  std::unique_ptr<char[]> src(new char[bytes]), dst(new char[bytes]);
  std::memset(src.get(), 1, bytes);
  std::memset(dst.get(), 0, bytes);
  double best = 0;
  for (int trial = 0; trial < 3; ++trial) {
    std::atomic<int> ready{0};
    std::vector<double> seconds(static_cast<size_t>(threads));
    std::vector<std::thread> workers;
    size_t chunk = bytes / static_cast<size_t>(threads);
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&, t] {
        char* d = dst.get() + t * chunk;
        const char* s = src.get() + t * chunk;
        std::memcpy(d, s, chunk);  // touch: into cache when it fits
        ready.fetch_add(1);
        while (ready.load() < threads) std::this_thread::yield();
        auto t0 = Clock::now();
        for (int p = 0; p < passes; ++p) std::memcpy(d, s, chunk);
        seconds[static_cast<size_t>(t)] = std::chrono::duration<double>(Clock::now() - t0).count();
      });
    for (auto& w : workers) w.join();
    double s = *std::max_element(seconds.begin(), seconds.end());
    if (s > 0) best = std::max(best, 2.0 * static_cast<double>(chunk) * threads * passes / s);
  }
  return best;
}

double dispatch_overhead_s(int threads) {
  ThreadPool pool(threads);
  std::atomic<int64_t> sink{0};
  std::vector<double> v;
  for (int i = 0; i < 200; ++i) {
    auto t0 = Clock::now();
    pool.parallel_for(threads, 1, [&](int64_t b, int64_t e) { sink += e - b; });
    v.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(v);
}

}  // namespace

DeviceSpec calibrate_cpu() {
  DeviceSpec d = cpu_host(0);
  int cores = d.compute_units;
  double per_core = sgemm_rate_one_thread();
  double bw = copy_bandwidth(cores, size_t(64) << 20, 2);
  double bw1 = cores > 1 ? copy_bandwidth(1, size_t(64) << 20, 2) : bw;
  // Source and destination together half of each core's L2: what an operator sees
  // when its producer just wrote its input.
  size_t cache_set = static_cast<size_t>(d.cache_bytes / 4);
  double cache_bw = cache_set >= (size_t(64) << 10) ? copy_bandwidth(cores, cache_set, 40) : 0;
  double overhead = dispatch_overhead_s(cores);
  if (per_core > 0) d.peak_fp32_flops = per_core * cores;
  if (bw > 0) d.memory_bandwidth = std::max(bw, bw1);
  if (bw1 > 0) d.memory_bandwidth_per_unit = std::min(bw1, d.memory_bandwidth);
  if (cache_bw > bw) d.cache_bandwidth = cache_bw;
  d.launch_overhead_s = std::max(overhead, 1e-7);
  d.measured = true;
  d.source =
      "measured: single-thread SGEMM 256^3 x cores, " + std::to_string(cores) +
      "-thread memcpy of 64 MiB (memory; also on 1 thread) and of 1/4 of the L2 caches (cache), thread-pool round trip";
  return d;
}

Result<ProfileRun> profile_plan(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                const ProfilerOptions& opts) {
  if (opts.repeat < 1)
    return InvalidArgument("profiler: repeat must be at least 1, got " + std::to_string(opts.repeat));
  if (opts.warmup < 0) return InvalidArgument("profiler: warmup must be >= 0, got " + std::to_string(opts.warmup));
  if (!plan.graph) return InvalidArgument("profiler: the plan has no graph");
  const int hw = hardware_threads();
  const int threads = opts.threads > 0 ? opts.threads : hw;

  ProfileRun run;
  run.threads = threads;
  Profile& p = run.profile;
  if (opts.backend) {
    run.threads = 1;
    p.device = opts.device;
    p.created = utc_now();
    p.host_threads = hw;
    if (!opts.model_name.empty()) p.models.push_back(opts.model_name);
    Samples s;
    TOP_RETURN_IF_ERROR(sample_runs(plan, inputs, nullptr, opts.warmup, opts.repeat, s, opts.backend));
    run.steps = step_timings(plan, s, 1);
    run.run_ms = median(s.runs);
    add_measurements(plan, s, 1, p);
    return run;
  }
  p.device = opts.calibrate ? calibrate_cpu() : cpu_host(0);
  p.created = utc_now();
  p.host_threads = hw;
  if (!opts.model_name.empty()) p.models.push_back(opts.model_name);

  Samples main;
  {
    ThreadPool pool(threads);
    TOP_RETURN_IF_ERROR(sample_runs(plan, inputs, &pool, opts.warmup, opts.repeat, main));
  }
  run.steps = step_timings(plan, main, threads);
  run.run_ms = median(main.runs);
  add_measurements(plan, main, threads, p);

  Samples alone;
  bool have_alone = false;
  if (threads == 1) {
    alone = main;
    have_alone = true;
  } else if (opts.single_thread || opts.concurrency) {
    ThreadPool pool(1);
    TOP_RETURN_IF_ERROR(sample_runs(plan, inputs, &pool, opts.warmup, opts.repeat, alone));
    have_alone = true;
    if (opts.single_thread) {
      run.steps_1thread = step_timings(plan, alone, 1);
      add_measurements(plan, alone, 1, p);
    }
  }

  if (opts.concurrency && have_alone) {
    // Two copies on two one-thread streams, started together.
    const int streams = 2;
    std::vector<Samples> co(streams);
    std::vector<Status> status(streams);
    std::atomic<int> ready{0};
    std::vector<std::thread> workers;
    for (int s = 0; s < streams; ++s) {
      workers.emplace_back([&, s] {
        ThreadPool pool(1);
        ready.fetch_add(1);
        while (ready.load() < streams) std::this_thread::yield();
        status[static_cast<size_t>(s)] =
            sample_runs(plan, inputs, &pool, opts.warmup, opts.repeat, co[static_cast<size_t>(s)]);
      });
    }
    for (auto& w : workers) w.join();
    for (const Status& s : status) TOP_RETURN_IF_ERROR(s);
    std::map<std::string, std::pair<double, double>> by_type;  // concurrent, alone
    double conc_total = 0, alone_total = 0;
    for (size_t i = 0; i < plan.steps.size(); ++i) {
      std::vector<double> pooled;
      for (const Samples& c : co) pooled.insert(pooled.end(), c.per_step[i].begin(), c.per_step[i].end());
      double c_ms = median(pooled), a_ms = median(alone.per_step[i]);
      const std::string& type = plan.graph->nodes[static_cast<size_t>(plan.steps[i].node)].op_type;
      by_type[type].first += c_ms;
      by_type[type].second += a_ms;
      conc_total += c_ms;
      alone_total += a_ms;
    }
    // What plain sharing of cores already explains (two one-thread streams on fewer than
    // two cores) is the cost model's job; the profile keeps only the interference beyond.
    double stretch = std::max(1.0, static_cast<double>(streams) / hw);
    ConcurrencyMeasurement& cm = p.concurrency;
    cm.streams = streams;
    cm.threads_per_stream = 1;
    cm.alone_ms = alone_total;
    cm.concurrent_ms = conc_total;
    cm.pairwise_slowdown = alone_total > 0 ? conc_total / alone_total / stretch : 1.0;
    for (const auto& [type, ca] : by_type)
      if (ca.second > 0) cm.by_op_type[type] = ca.first / ca.second / stretch;
    cm.method =
        "two copies of the plan started together on two one-thread streams; sum of per-step medians "
        "concurrent / alone, divided by max(1, streams / host threads) = " +
        std::to_string(stretch).substr(0, 4);
    p.has_concurrency = true;
  }
  return run;
}

}  // namespace top::profile

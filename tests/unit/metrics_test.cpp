// MetricsRecorder (counters, nearest-rank percentiles, bounded histories, concurrency)
// and the RuntimeStats formatters (JSON round trip, Prometheus text).
#include "runtime/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <sstream>
#include <thread>

#include "top/stats.h"

namespace top::runtime {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Nearest rank, written the textbook way on a fully sorted copy.
double reference_percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  if (rank == 0) rank = 1;
  return v[rank - 1];
}

TEST(Metrics, PercentilesMatchSortedReference) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    std::mt19937_64 rng(seed);
    std::lognormal_distribution<double> latency(2.0, 0.8);
    std::uniform_int_distribution<int> size(1, 5000);
    const int n = size(rng);
    const Clock::time_point start{};
    MetricsRecorder m(1, start);
    const int model = m.add_model("resnet50");
    std::vector<double> samples;
    double sum = 0;
    for (int i = 0; i < n; ++i) {
      const double x = latency(rng);
      samples.push_back(x);
      sum += x;
      m.on_finish(model, true, x);
    }
    const ModelStats s = m.snapshot(start + seconds(1)).models.at(0);
    EXPECT_EQ(s.completed, static_cast<uint64_t>(n));
    EXPECT_EQ(s.latency_p50_ms, reference_percentile(samples, 50)) << "n=" << n;
    EXPECT_EQ(s.latency_p95_ms, reference_percentile(samples, 95)) << "n=" << n;
    EXPECT_EQ(s.latency_p99_ms, reference_percentile(samples, 99)) << "n=" << n;
    EXPECT_EQ(s.latency_max_ms, *std::max_element(samples.begin(), samples.end()));
    EXPECT_NEAR(s.latency_mean_ms, sum / n, 1e-9 * sum / n);
  }
}

TEST(Metrics, PercentilesOfOneToHundred) {
  MetricsRecorder m(1, Clock::time_point{});
  const int model = m.add_model("a");
  std::vector<double> v;
  for (int i = 1; i <= 100; ++i) v.push_back(i);
  std::shuffle(v.begin(), v.end(), std::mt19937_64(7));
  for (double x : v) m.on_finish(model, true, x);
  const ModelStats s = m.snapshot(Clock::time_point{} + seconds(1)).models.at(0);
  EXPECT_EQ(s.latency_p50_ms, 50);
  EXPECT_EQ(s.latency_p95_ms, 95);
  EXPECT_EQ(s.latency_p99_ms, 99);
  EXPECT_EQ(s.latency_max_ms, 100);
  EXPECT_DOUBLE_EQ(s.latency_mean_ms, 50.5);
}

TEST(Metrics, CountersGaugesAndRates) {
  const Clock::time_point start{};
  MetricsRecorder m(2, start);
  const int a = m.add_model("a");
  const int b = m.add_model("b");
  ASSERT_EQ(a, 0);
  ASSERT_EQ(b, 1);
  for (size_t i = 1; i <= 5; ++i) m.on_submit(a, i, start + milliseconds(i));
  m.on_reject(a);
  m.on_reject(b);
  m.on_reject(b);
  m.on_dequeue(a, 3, 2, /*wait_ms_sum=*/30.0, start + milliseconds(10));
  m.on_finish(a, true, 12.0);
  m.on_finish(a, false, 99.0);  // failed: no latency sample
  m.on_submit(b, 1, start + milliseconds(11));
  m.on_dequeue(b, 1, 0, 4.0, start + milliseconds(12));
  m.on_finish(b, true, 8.0);
  m.on_stream_busy(0, start, start + milliseconds(500));
  m.on_stream_busy(0, start + seconds(1), start + milliseconds(1500));
  m.on_stream_busy(1, start, start + milliseconds(200));

  const RuntimeStats s = m.snapshot(start + seconds(2));
  EXPECT_DOUBLE_EQ(s.elapsed_s, 2.0);
  EXPECT_DOUBLE_EQ(s.throughput_per_s, 1.0);  // 2 completed / 2 s
  ASSERT_EQ(s.models.size(), 2u);
  const ModelStats& sa = s.models[0];
  EXPECT_EQ(sa.model, "a");
  EXPECT_EQ(sa.submitted, 5u);
  EXPECT_EQ(sa.rejected, 1u);
  EXPECT_EQ(sa.completed, 1u);
  EXPECT_EQ(sa.failed, 1u);
  EXPECT_EQ(sa.queue_length, 2u);
  EXPECT_EQ(sa.max_queue_length, 5u);
  EXPECT_EQ(sa.in_flight, 1u);  // 3 dequeued, 2 finished
  EXPECT_DOUBLE_EQ(sa.queue_wait_mean_ms, 10.0);
  EXPECT_DOUBLE_EQ(sa.throughput_per_s, 0.5);
  EXPECT_DOUBLE_EQ(sa.latency_mean_ms, 12.0);
  EXPECT_DOUBLE_EQ(sa.latency_max_ms, 12.0);
  ASSERT_EQ(sa.queue_length_over_time.size(), 6u);
  EXPECT_DOUBLE_EQ(sa.queue_length_over_time[0].first, 0.001);
  EXPECT_EQ(sa.queue_length_over_time[0].second, 1u);
  EXPECT_DOUBLE_EQ(sa.queue_length_over_time[5].first, 0.010);
  EXPECT_EQ(sa.queue_length_over_time[5].second, 2u);
  const ModelStats& sb = s.models[1];
  EXPECT_EQ(sb.rejected, 2u);
  EXPECT_EQ(sb.in_flight, 0u);
  EXPECT_DOUBLE_EQ(sb.queue_wait_mean_ms, 4.0);
  ASSERT_EQ(s.streams.size(), 2u);
  EXPECT_DOUBLE_EQ(s.streams[0].busy_fraction, 0.5);  // 1 s of 2
  EXPECT_EQ(s.streams[0].groups_run, 2u);
  EXPECT_DOUBLE_EQ(s.streams[1].busy_fraction, 0.1);
  EXPECT_EQ(s.streams[1].stream, 1);
}

TEST(Metrics, OutOfRangeIndicesAreIgnored) {
  const Clock::time_point start{};
  MetricsRecorder m(1, start);
  const int a = m.add_model("a");
  for (int bad : {-1, 1, 1000}) {
    m.on_submit(bad, 3, start);
    m.on_reject(bad);
    m.on_dequeue(bad, 2, 1, 1.0, start);
    m.on_finish(bad, true, 1.0);
    m.on_stream_busy(bad, start, start + seconds(1));
  }
  m.on_finish(a, true, 1.0);  // finish without dequeue: in_flight stays 0
  const RuntimeStats s = m.snapshot(start + seconds(1));
  ASSERT_EQ(s.models.size(), 1u);
  EXPECT_EQ(s.models[0].submitted, 0u);
  EXPECT_EQ(s.models[0].rejected, 0u);
  EXPECT_EQ(s.models[0].in_flight, 0u);
  EXPECT_EQ(s.models[0].completed, 1u);
  EXPECT_EQ(s.streams.at(0).groups_run, 0u);
  EXPECT_EQ(s.streams.at(0).busy_fraction, 0.0);

  MetricsRecorder none(0, start);  // no models, no streams, zero elapsed
  const RuntimeStats e = none.snapshot(start);
  EXPECT_TRUE(e.models.empty());
  EXPECT_EQ(e.throughput_per_s, 0.0);
}

// An unloaded model's entry goes (its memory with it); its index is never handed out
// again, so a late event of the removed model cannot count for a newer one; its
// completed tasks stay in the all-models throughput.
TEST(Metrics, RemovedModelsLeaveTheSnapshotButCountInTheTotal) {
  const Clock::time_point start{};
  MetricsRecorder m(1, start);
  const int a = m.add_model("a");
  const int b = m.add_model("b");
  for (int i = 0; i < 3; ++i) m.on_finish(a, true, 2.0);
  m.on_finish(b, true, 2.0);
  m.remove_model(a);
  m.remove_model(a);               // twice: ignored
  const int c = m.add_model("a");  // loaded again under the same name
  EXPECT_NE(c, a);
  EXPECT_NE(c, b);
  m.on_finish(a, true, 2.0);  // late event of the removed entry: ignored
  m.on_finish(c, true, 2.0);
  std::vector<int> indices;
  const RuntimeStats s = m.snapshot(start + seconds(2), &indices);
  ASSERT_EQ(s.models.size(), 2u);
  EXPECT_EQ(indices, (std::vector<int>{b, c}));
  EXPECT_EQ(s.models[0].model, "b");
  EXPECT_EQ(s.models[1].model, "a");
  EXPECT_EQ(s.models[1].completed, 1u);
  EXPECT_DOUBLE_EQ(s.throughput_per_s, 5.0 / 2.0);  // 3 of the removed one + 1 + 1

  EXPECT_EQ(m.snapshot(start).callback_exceptions, 0u);
  EXPECT_EQ(m.on_callback_exception(), 1u);
  EXPECT_EQ(m.on_callback_exception(), 2u);
  EXPECT_EQ(m.snapshot(start).callback_exceptions, 2u);
}

TEST(Metrics, QueueHistoryStaysBoundedAndCoversTheRun) {
  const Clock::time_point start{};
  MetricsRecorder m(1, start);
  const int a = m.add_model("a");
  constexpr int kUpdates = 1'000'000;
  size_t len = 0;
  for (int i = 0; i < kUpdates; ++i) {
    const Clock::time_point t = start + microseconds(i);
    if (i % 3 == 2) {
      m.on_dequeue(a, 1, --len, 0.0, t);
    } else {
      m.on_submit(a, ++len, t);
    }
  }
  const ModelStats s = m.snapshot(start + seconds(1)).models.at(0);
  const auto& h = s.queue_length_over_time;
  EXPECT_LE(h.size(), 8192u);
  EXPECT_GE(h.size(), 1024u);  // thinned, not emptied
  EXPECT_TRUE(std::is_sorted(h.begin(), h.end(), [](auto& x, auto& y) { return x.first < y.first; }));
  EXPECT_LT(h.front().first, 0.01);
  EXPECT_GT(h.back().first, 0.9);  // still reaches the end of the run
  EXPECT_EQ(s.max_queue_length, len);
  EXPECT_EQ(s.queue_length, len);
}

TEST(Metrics, LatencyReservoirKeepsQuantilesAndExactMeanMax) {
  MetricsRecorder m(1, Clock::time_point{});
  const int a = m.add_model("a");
  constexpr uint64_t kN = 1'300'000;
  // Values i/kN visited in a scrambled order (multiplicative permutation mod kN).
  double sum = 0;
  for (uint64_t i = 0; i < kN; ++i) {
    const double x = static_cast<double>((i * 7919) % kN) / kN;
    sum += x;
    m.on_finish(a, true, x);
  }
  const ModelStats s = m.snapshot(Clock::time_point{} + seconds(1)).models.at(0);
  EXPECT_EQ(s.completed, kN);
  EXPECT_NEAR(s.latency_p50_ms, 0.50, 0.005);
  EXPECT_NEAR(s.latency_p95_ms, 0.95, 0.005);
  EXPECT_NEAR(s.latency_p99_ms, 0.99, 0.005);
  EXPECT_DOUBLE_EQ(s.latency_max_ms, static_cast<double>(kN - 1) / kN);
  EXPECT_NEAR(s.latency_mean_ms, sum / kN, 1e-9);
}

TEST(Metrics, ConcurrentCallsAddUp) {
  const Clock::time_point start = Clock::now();
  MetricsRecorder m(4, start);
  const int a = m.add_model("a");
  const int b = m.add_model("b");
  constexpr int kPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const int model = t % 2 ? b : a;
      for (int i = 0; i < kPerThread; ++i) {
        const Clock::time_point now = Clock::now();
        m.on_submit(model, static_cast<size_t>(i % 7), now);
        if (i % 10 == 0) m.on_reject(model);
        m.on_dequeue(model, 1, 0, 1.0, now);
        m.on_finish(model, i % 5 != 0, 2.0);
        m.on_stream_busy(t, now, now);
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; i < 50; ++i) (void)m.snapshot(Clock::now());
  });
  for (auto& th : threads) th.join();
  const RuntimeStats s = m.snapshot(Clock::now());
  for (const ModelStats& ms : s.models) {
    EXPECT_EQ(ms.submitted, 2u * kPerThread);
    EXPECT_EQ(ms.rejected, 2u * kPerThread / 10);
    EXPECT_EQ(ms.completed + ms.failed, 2u * kPerThread);
    EXPECT_EQ(ms.failed, 2u * kPerThread / 5);
    EXPECT_EQ(ms.in_flight, 0u);
    EXPECT_DOUBLE_EQ(ms.queue_wait_mean_ms, 1.0);
    EXPECT_DOUBLE_EQ(ms.latency_mean_ms, 2.0);
  }
  for (const StreamStats& st : s.streams) EXPECT_EQ(st.groups_run, static_cast<uint64_t>(kPerThread));
}

RuntimeStats sample_stats() {
  RuntimeStats s;
  s.elapsed_s = 4.0;
  s.throughput_per_s = 2.5;
  s.callback_exceptions = 3;
  ModelStats a;
  a.model = "resnet50";
  a.submitted = 12;
  a.rejected = 2;
  a.completed = 10;
  a.failed = 1;
  a.queue_length = 3;
  a.max_queue_length = 7;
  a.in_flight = 1;
  a.throughput_per_s = 2.5;
  a.latency_mean_ms = 20;
  a.latency_p50_ms = 18;
  a.latency_p95_ms = 40;
  a.latency_p99_ms = 55;
  a.latency_max_ms = 60;
  a.queue_wait_mean_ms = 5;
  a.queue_length_over_time = {{0.5, 1}, {1.25, 3}};
  ModelStats b;
  b.model = "we\"ird\\name\nx";
  s.models = {a, b};
  s.streams = {{0, 0.25, 9}, {1, 0.75, 11}};
  return s;
}

TEST(StatsFormat, JsonParsesBack) {
  const RuntimeStats s = sample_stats();
  const nlohmann::json j = nlohmann::json::parse(to_json(s));
  EXPECT_DOUBLE_EQ(j.at("elapsed_s").get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j.at("throughput_per_s").get<double>(), 2.5);
  EXPECT_EQ(j.at("callback_exceptions").get<uint64_t>(), 3u);
  ASSERT_EQ(j.at("models").size(), 2u);
  const auto& a = j["models"][0];
  EXPECT_EQ(a.at("model"), "resnet50");
  EXPECT_EQ(a.at("submitted").get<uint64_t>(), 12u);
  EXPECT_EQ(a.at("rejected").get<uint64_t>(), 2u);
  EXPECT_EQ(a.at("completed").get<uint64_t>(), 10u);
  EXPECT_EQ(a.at("failed").get<uint64_t>(), 1u);
  EXPECT_EQ(a.at("max_queue_length").get<size_t>(), 7u);
  EXPECT_DOUBLE_EQ(a.at("latency_p95_ms").get<double>(), 40.0);
  EXPECT_DOUBLE_EQ(a.at("queue_wait_mean_ms").get<double>(), 5.0);
  ASSERT_EQ(a.at("queue_length_over_time").size(), 2u);
  EXPECT_DOUBLE_EQ(a["queue_length_over_time"][1][0].get<double>(), 1.25);
  EXPECT_EQ(a["queue_length_over_time"][1][1].get<size_t>(), 3u);
  EXPECT_EQ(j["models"][1].at("model"), "we\"ird\\name\nx");
  ASSERT_EQ(j.at("streams").size(), 2u);
  EXPECT_DOUBLE_EQ(j["streams"][1].at("busy_fraction").get<double>(), 0.75);
  EXPECT_EQ(j["streams"][1].at("groups_run").get<uint64_t>(), 11u);

  RuntimeStats bad;
  bad.models.resize(1);
  bad.models[0].model = std::string("bad\xff\xfe utf8");
  nlohmann::json parsed;
  EXPECT_NO_THROW(parsed = nlohmann::json::parse(to_json(bad)));
  EXPECT_EQ(parsed["models"].size(), 1u);
}

TEST(StatsFormat, PrometheusText) {
  const std::string text = to_prometheus(sample_stats());
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const auto has = [&](const std::string& l) { return std::find(lines.begin(), lines.end(), l) != lines.end(); };

  EXPECT_TRUE(has("# TYPE top_tasks_submitted_total counter"));
  EXPECT_TRUE(has("top_tasks_submitted_total{model=\"resnet50\"} 12"));
  EXPECT_TRUE(has("top_tasks_rejected_total{model=\"resnet50\"} 2"));
  EXPECT_TRUE(has("top_tasks_completed_total{model=\"resnet50\"} 10"));
  EXPECT_TRUE(has("top_tasks_failed_total{model=\"resnet50\"} 1"));
  EXPECT_TRUE(has("# TYPE top_callback_exceptions_total counter"));
  EXPECT_TRUE(has("top_callback_exceptions_total 3"));
  EXPECT_TRUE(has("# TYPE top_queue_length gauge"));
  EXPECT_TRUE(has("top_queue_length{model=\"resnet50\"} 3"));
  EXPECT_TRUE(has("top_in_flight{model=\"resnet50\"} 1"));
  EXPECT_TRUE(has("# TYPE top_stream_busy_ratio gauge"));
  EXPECT_TRUE(has("top_stream_busy_ratio{stream=\"0\"} 0.25"));
  EXPECT_TRUE(has("top_stream_busy_ratio{stream=\"1\"} 0.75"));
  EXPECT_TRUE(has("# TYPE top_task_latency_seconds summary"));
  EXPECT_TRUE(has("top_task_latency_seconds{model=\"resnet50\",quantile=\"0.5\"} 0.018"));
  EXPECT_TRUE(has("top_task_latency_seconds{model=\"resnet50\",quantile=\"0.95\"} 0.04"));
  EXPECT_TRUE(has("top_task_latency_seconds{model=\"resnet50\",quantile=\"0.99\"} 0.055"));
  EXPECT_TRUE(has("top_task_latency_seconds_count{model=\"resnet50\"} 10"));
  EXPECT_TRUE(has("top_task_latency_seconds_sum{model=\"resnet50\"} 0.2"));
  // Backslash, quote and newline escaped: the whole sample stays on one line.
  EXPECT_TRUE(has("top_tasks_submitted_total{model=\"we\\\"ird\\\\name\\nx\"} 0"));

  // Every line is a comment or `name{labels} value`; each family has HELP and TYPE once.
  const std::regex sample_line(
      R"re(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? \S+$)re");
  std::map<std::string, int> type_lines;
  for (const std::string& l : lines) {
    if (l.rfind("# TYPE ", 0) == 0) {
      ++type_lines[l.substr(7, l.find(' ', 7) - 7)];
      continue;
    }
    if (l.rfind("# HELP ", 0) == 0) continue;
    EXPECT_TRUE(std::regex_match(l, sample_line)) << l;
  }
  for (const auto& [name, count] : type_lines) EXPECT_EQ(count, 1) << name;
  EXPECT_GE(type_lines.size(), 8u);
}

}  // namespace
}  // namespace top::runtime

// TraceRecorder: Chrome trace JSON that parses back, bounded recording, file output.
#include "runtime/trace.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

namespace top::runtime {
namespace {

using std::chrono::microseconds;
using SteadyClock = std::chrono::steady_clock;

TraceSlice make_slice(SteadyClock::time_point start, int stream, int64_t begin_us, int64_t dur_us, int i) {
  TraceSlice s;
  s.stream = stream;
  s.name = "conv_" + std::to_string(i);
  s.op_type = i % 2 ? "Conv" : "Relu";
  s.model = "resnet50";
  s.task_id = 100 + static_cast<uint64_t>(i);
  s.task_index = i % 4;
  s.stage = i % 3;
  s.group = i % 2;
  s.begin = start + microseconds(begin_us);
  s.end = s.begin + microseconds(dur_us);
  return s;
}

struct Parsed {
  std::vector<nlohmann::json> slices;       // "X" events
  std::map<int, std::string> thread_names;  // tid -> name
  std::string process_name;
};

Parsed parse(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text);
  EXPECT_EQ(j.at("displayTimeUnit"), "ms");
  Parsed p;
  for (const auto& e : j.at("traceEvents")) {
    const std::string ph = e.at("ph");
    if (ph == "X") {
      p.slices.push_back(e);
    } else if (ph == "M" && e.at("name") == "thread_name") {
      EXPECT_TRUE(p.thread_names.emplace(e.at("tid").get<int>(), e["args"]["name"].get<std::string>()).second);
    } else if (ph == "M" && e.at("name") == "process_name") {
      p.process_name = e["args"]["name"];
    }
  }
  return p;
}

TEST(Trace, ChromeJsonParsesBack) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start);
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> stream(0, 2);
  constexpr int kSlices = 300;
  std::map<int, int> per_stream;
  for (int i = 0; i < kSlices; ++i) {
    const int s = i == 0 ? 0 : stream(rng) * 2;  // streams 0, 2, 4
    ++per_stream[s];
    rec.add(make_slice(start, s, 1500 + 10 * i, 500, i));
  }
  EXPECT_EQ(rec.size(), static_cast<size_t>(kSlices));
  EXPECT_EQ(rec.dropped(), 0u);

  const Parsed p = parse(rec.to_chrome_json());
  ASSERT_EQ(p.slices.size(), static_cast<size_t>(kSlices));
  EXPECT_EQ(p.process_name, "top runtime");
  ASSERT_EQ(p.thread_names.size(), per_stream.size());
  for (const auto& [s, n] : per_stream) EXPECT_EQ(p.thread_names.at(s), "stream " + std::to_string(s));

  const nlohmann::json& first = p.slices[0];
  EXPECT_EQ(first.at("name"), "conv_0");
  EXPECT_EQ(first.at("cat"), "Relu");
  EXPECT_NEAR(first.at("ts").get<double>(), 1500.0, 1e-6);
  EXPECT_NEAR(first.at("dur").get<double>(), 500.0, 1e-6);
  EXPECT_EQ(first.at("pid"), 1);
  EXPECT_EQ(first.at("tid"), 0);
  const nlohmann::json& args = p.slices[7].at("args");
  EXPECT_EQ(args.at("task"), 107);
  EXPECT_EQ(args.at("task_index"), 3);
  EXPECT_EQ(args.at("model"), "resnet50");
  EXPECT_EQ(args.at("stage"), 1);
  EXPECT_EQ(args.at("group"), 1);
  EXPECT_EQ(args.at("op_type"), "Conv");
  std::map<int, int> seen;
  for (const auto& e : p.slices) ++seen[e.at("tid").get<int>()];
  EXPECT_EQ(seen, per_stream);
}

TEST(Trace, EscapesNamesAndSurvivesBadUtf8) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start);
  TraceSlice s = make_slice(start, 1, 0, 10, 0);
  s.name = "we\"ird\\name\n\ttab \xc3\xa9";
  s.model = std::string("bad \xff\xfe");
  rec.add(s);
  const Parsed p = parse(rec.to_chrome_json());
  ASSERT_EQ(p.slices.size(), 1u);
  EXPECT_EQ(p.slices[0].at("name"), "we\"ird\\name\n\ttab \xc3\xa9");
}

TEST(Trace, BoundedRecorderDropsAndCounts) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start, /*max_slices=*/10);
  for (int i = 0; i < 25; ++i) rec.add(make_slice(start, i % 2, i * 100, 50, i));
  EXPECT_EQ(rec.size(), 10u);
  EXPECT_EQ(rec.dropped(), 15u);
  const std::string text = rec.to_chrome_json();
  const Parsed p = parse(text);
  ASSERT_EQ(p.slices.size(), 10u);
  EXPECT_EQ(p.slices.front().at("name"), "conv_15");  // the latest are kept, oldest first
  EXPECT_EQ(p.slices.back().at("name"), "conv_24");
  EXPECT_EQ(rec.slices().front().name, "conv_15");
  EXPECT_EQ(nlohmann::json::parse(text)["otherData"]["dropped_slices"], 15);
}

// A task is two spans on its model's row (queued, then running); queue lengths are
// counter events.
TEST(Trace, TaskSpansAndQueueCounters) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start);
  rec.add(make_slice(start, 0, 2000, 100, 1));
  TraceSlice task;
  task.kind = TraceSlice::Kind::kTask;
  task.model = "bert";
  task.task_id = 42;
  task.begin = start + microseconds(1000);
  task.dequeued = start + microseconds(1800);
  task.end = start + microseconds(2500);
  task.ok = false;
  rec.add(task);
  TraceSlice q;
  q.kind = TraceSlice::Kind::kQueueLength;
  q.model = "bert";
  q.begin = start + microseconds(1000);
  q.value = 3;
  rec.add(q);
  const nlohmann::json j = nlohmann::json::parse(rec.to_chrome_json());
  const Parsed p = parse(rec.to_chrome_json());
  ASSERT_EQ(p.slices.size(), 3u);  // the operator, "queued", "task 42"
  EXPECT_EQ(p.slices[1].at("name"), "queued");
  EXPECT_NEAR(p.slices[1].at("dur").get<double>(), 800.0, 1e-6);
  EXPECT_EQ(p.slices[2].at("name"), "task 42");
  EXPECT_NEAR(p.slices[2].at("ts").get<double>(), 1800.0, 1e-6);
  EXPECT_EQ(p.slices[2]["args"].at("ok"), false);
  const int row = p.slices[2].at("tid");
  EXPECT_EQ(p.thread_names.at(row), "tasks bert");
  bool counter = false;
  for (const auto& e : j.at("traceEvents")) {
    if (e.at("ph") == "C") {
      counter = true;
      EXPECT_EQ(e.at("name"), "queue bert");
      EXPECT_EQ(e["args"].at("length"), 3);
    }
  }
  EXPECT_TRUE(counter);
}

TEST(Trace, ConcurrentAdds) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start, 3000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) rec.add(make_slice(start, t, i, 1, i));
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(rec.size(), 3000u);
  EXPECT_EQ(rec.dropped(), 1000u);
  EXPECT_EQ(parse(rec.to_chrome_json()).slices.size(), 3000u);
}

TEST(Trace, WritesFileAndNamesPathOnFailure) {
  const SteadyClock::time_point start = SteadyClock::now();
  TraceRecorder rec(start);
  for (int i = 0; i < 5; ++i) rec.add(make_slice(start, 3, i * 10, 5, i));
  const std::string path =
      (std::filesystem::temp_directory_path() / ("top_trace_test_" + std::to_string(::getpid()) + ".json")).string();
  ASSERT_TRUE(rec.write_chrome_json(path).ok());
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  std::remove(path.c_str());
  const Parsed p = parse(buf.str());
  EXPECT_EQ(p.slices.size(), 5u);
  EXPECT_EQ(p.thread_names.at(3), "stream 3");

  const std::string bad = "/nonexistent_dir_for_top_tests/trace.json";
  const Status s = rec.write_chrome_json(bad);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(bad), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace top::runtime

// Arrival processes (Poisson, bursty, ramp, diurnal, flash crowd, trace replay), their spec parser and the
// model mix (fixed and shifting): counts against their expectation, shape over time, determinism, errors.
#include "sim/arrival.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>

namespace top::sim {
namespace {

std::unique_ptr<ArrivalProcess> parse_ok(const std::string& spec) {
  auto r = parse_arrival(spec);
  EXPECT_TRUE(r.ok()) << spec << ": " << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

void expect_valid_times(const std::vector<double>& t, double duration) {
  EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
  if (!t.empty()) {
    EXPECT_GE(t.front(), 0.0);
    EXPECT_LT(t.back(), duration);
  }
}

// |count - mean| within 5 standard deviations of a Poisson count.
void expect_poisson_count(size_t count, double mean, const std::string& what) {
  EXPECT_LE(std::abs(static_cast<double>(count) - mean), 5 * std::sqrt(mean) + 1e-9)
      << what << ": " << count << " arrivals, expected about " << mean;
}

size_t count_in(const std::vector<double>& t, double from, double to) {
  return static_cast<size_t>(std::count_if(t.begin(), t.end(), [&](double x) { return x >= from && x < to; }));
}

TEST(Arrival, PoissonCountAndGaps) {
  auto p = parse_ok("poisson:rate=200");
  ASSERT_TRUE(p);
  constexpr double kDuration = 20.0;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::vector<double> t = p->times(kDuration, seed);
    expect_valid_times(t, kDuration);
    expect_poisson_count(t.size(), 200 * kDuration, "seed " + std::to_string(seed));
    double gap_sum = t.front();
    for (size_t i = 1; i < t.size(); ++i) gap_sum += t[i] - t[i - 1];
    const double mean_gap = gap_sum / static_cast<double>(t.size());
    EXPECT_NEAR(mean_gap, 1.0 / 200, 5 * (1.0 / 200) / std::sqrt(static_cast<double>(t.size())));
  }
  EXPECT_TRUE(parse_ok("poisson:rate=0")->times(100, 1).empty());
  EXPECT_TRUE(p->times(0, 1).empty());
  EXPECT_TRUE(p->times(-1, 1).empty());
  EXPECT_NE(p->describe().find("200"), std::string::npos) << p->describe();
}

TEST(Arrival, BurstyConcentratesArrivalsInOnPeriods) {
  auto p = parse_ok("bursty:on_rate=400,off_rate=20,on_s=1,off_s=3");
  ASSERT_TRUE(p);
  constexpr double kDuration = 20.0;  // 5 cycles of 4 s
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<double> t = p->times(kDuration, seed);
    expect_valid_times(t, kDuration);
    size_t on = 0;
    for (int c = 0; c < 5; ++c) on += count_in(t, 4.0 * c, 4.0 * c + 1);
    const size_t off = t.size() - on;
    expect_poisson_count(on, 400 * 5, "on");
    expect_poisson_count(off, 20 * 15, "off");
    EXPECT_GT(on, 3 * off);
  }
  // off_rate defaults to 0: nothing arrives in the off periods.
  auto silent = parse_ok("bursty:on_rate=100,on_s=0.5,off_s=0.5");
  const std::vector<double> t = silent->times(10, 4);
  EXPECT_FALSE(t.empty());
  for (double x : t) EXPECT_LT(std::fmod(x, 1.0), 0.5) << x;
}

TEST(Arrival, RampRisesAndFalls) {
  constexpr double kDuration = 10.0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<double> up = parse_ok("ramp:from=0,to=1000")->times(kDuration, seed);
    expect_valid_times(up, kDuration);
    // Integral of the rate: 5000 in all, 1250 in the first half, 3750 in the second.
    expect_poisson_count(up.size(), 5000, "ramp total");
    const size_t first = count_in(up, 0, kDuration / 2);
    expect_poisson_count(first, 1250, "ramp first half");
    EXPECT_GT(up.size() - first, 2 * first);

    const std::vector<double> down = parse_ok("ramp:from=1000,to=200")->times(kDuration, seed);
    expect_valid_times(down, kDuration);
    expect_poisson_count(down.size(), 6000, "ramp down total");
    const size_t early = count_in(down, 0, kDuration / 2);
    EXPECT_GT(early, down.size() - early);
  }
  EXPECT_TRUE(parse_ok("ramp:from=0,to=0")->times(10, 1).empty());
}

class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    static int counter = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("top_arrival_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".txt"))
                .string();
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Arrival, TraceReplayRoundTrip) {
  TempFile file("# arrivals in seconds\n0.5\n\n0.25   # a trailing comment\n  3.0\n1e-3\n2.5\n7\n");
  auto p = parse_ok("trace:file=" + file.path());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->times(100, 1), (std::vector<double>{0.001, 0.25, 0.5, 2.5, 3.0, 7.0}));
  EXPECT_EQ(p->times(3.0, 99), (std::vector<double>{0.001, 0.25, 0.5, 2.5}));  // times >= duration dropped
  EXPECT_NE(p->describe().find("6 arrivals"), std::string::npos) << p->describe();

  // What `toprt bench --write-arrivals` writes: time, model, batch (later columns ignored).
  TempFile written("# time_s model batch\n0.000748 mobilenet_v3_small 1\n0.5\tgooglenet 8\n");
  auto w = parse_ok("trace:file=" + written.path());
  ASSERT_TRUE(w);
  EXPECT_EQ(w->times(100, 1), (std::vector<double>{0.000748, 0.5}));

  TempFile bad("0.1\n0.2\nsoon\n");
  auto r = parse_arrival("trace:file=" + bad.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("line 3"), std::string::npos) << r.status().to_string();

  TempFile negative("1\n-2\n");
  r = parse_arrival("trace:file=" + negative.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos) << r.status().to_string();

  r = parse_arrival("trace:file=/nonexistent/arrivals.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/arrivals.txt"), std::string::npos);
}

TEST(Arrival, ParseErrorsNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"poisson", "'rate'"},
      {"poisson:rate=-1", "'rate'"},
      {"poisson:rate=abc", "'rate'"},
      {"poisson:rate=nan", "'rate'"},
      {"poisson:rate=1,burst=2", "'burst'"},
      {"poisson:rate=1,rate=2", "'rate'"},
      {"poisson:rate", "'rate'"},
      {"bursty:on_rate=1,on_s=1", "'off_s'"},
      {"bursty:on_rate=1,on_s=1,off_s=1,off_rate=-3", "'off_rate'"},
      {"bursty:on_rate=1,on_s=0,off_s=0", "'on_s'"},
      {"ramp:from=1", "'to'"},
      {"ramp:from=1,to=x", "'to'"},
      {"trace:", "'file'"},
      {"diurnal:mean=10,amplitude=0.5", "'period_s'"},
      {"diurnal:mean=10,amplitude=1.5,period_s=10", "'amplitude'"},
      {"diurnal:mean=10,amplitude=0.5,period_s=0", "'period_s'"},
      {"diurnal:mean=10,amplitude=0.5,period_s=5,phase=1", "'phase'"},
      {"flash:base=1,peak=10,at_s=5", "'width_s'"},
      {"flash:base=1,peak=10,at_s=5,width_s=0", "'width_s'"},
      {"flash:base=1,peak=-10,at_s=5,width_s=1", "'peak'"},
      {"uniform:rate=3", "'uniform'"},
      {"", "unknown kind"},
  };
  for (const auto& [spec, needle] : cases) {
    auto r = parse_arrival(spec);
    ASSERT_FALSE(r.ok()) << spec;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << spec;
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << spec << " -> " << r.status().to_string();
  }
  // Whitespace around keys and values is fine.
  EXPECT_TRUE(parse_arrival(" poisson : rate = 5 ").ok());
}

TEST(Arrival, DeterministicForASeed) {
  for (const std::string spec :
       {"poisson:rate=50", "bursty:on_rate=80,off_rate=5,on_s=0.5,off_s=1", "ramp:from=10,to=90",
        "diurnal:mean=40,amplitude=0.8,period_s=4", "flash:base=10,peak=200,at_s=3,width_s=1"}) {
    auto p = parse_ok(spec);
    ASSERT_TRUE(p);
    const std::vector<double> a = p->times(10, 42), b = p->times(10, 42), c = p->times(10, 43);
    EXPECT_FALSE(a.empty()) << spec;
    EXPECT_EQ(a, b) << spec;
    EXPECT_NE(a, c) << spec;
  }
}

TEST(ModelMix, ParsesSharesAndAssignsByShare) {
  auto mix = parse_mix("resnet50:2, googlenet:1");
  ASSERT_TRUE(mix.ok()) << mix.status().to_string();
  EXPECT_EQ(mix->names, (std::vector<std::string>{"resnet50", "googlenet"}));
  ASSERT_EQ(mix->shares.size(), 2u);
  EXPECT_DOUBLE_EQ(mix->shares[0], 2.0 / 3);
  EXPECT_DOUBLE_EQ(mix->shares[1], 1.0 / 3);

  auto equal = parse_mix("a,b,c,d");
  ASSERT_TRUE(equal.ok());
  for (double s : equal->shares) EXPECT_DOUBLE_EQ(s, 0.25);

  constexpr size_t kN = 30000;
  const std::vector<int> m = assign_models(*mix, kN, 5);
  ASSERT_EQ(m.size(), kN);
  const size_t zeros = static_cast<size_t>(std::count(m.begin(), m.end(), 0));
  EXPECT_EQ(zeros + static_cast<size_t>(std::count(m.begin(), m.end(), 1)), kN);
  // Binomial(kN, 2/3): within 5 sigma.
  EXPECT_NEAR(static_cast<double>(zeros), kN * 2.0 / 3, 5 * std::sqrt(kN * 2.0 / 9));
  EXPECT_EQ(m, assign_models(*mix, kN, 5));
  EXPECT_NE(m, assign_models(*mix, kN, 6));

  auto with_zero = parse_mix("a:1,b:0,c:1");
  ASSERT_TRUE(with_zero.ok());
  const std::vector<int> z = assign_models(*with_zero, 5000, 1);
  EXPECT_EQ(std::count(z.begin(), z.end(), 1), 0);
  EXPECT_GT(std::count(z.begin(), z.end(), 2), 0);

  EXPECT_TRUE(assign_models(ModelMix{}, 10, 1).empty());
}

TEST(Arrival, DiurnalFollowsTheSinusoid) {
  auto p = parse_ok("diurnal:mean=400,amplitude=0.8,period_s=8");
  ASSERT_TRUE(p);
  constexpr double kDuration = 16.0;  // two whole periods: the mean rate is `mean`
  const std::vector<double> t = p->times(kDuration, 3);
  expect_valid_times(t, kDuration);
  expect_poisson_count(t.size(), 400 * kDuration, "whole run");
  // Quarter periods: the crest quarter (sin > 0, around t = P/4) holds far more than the
  // trough quarter. Expected counts: integral of the rate over [1, 3] and [5, 7].
  constexpr double kPi = 3.141592653589793;
  const double swing = 400 * 0.8 * (8 / (2 * kPi)) * 2 * std::cos(kPi / 4);  // +- around 400 * 2
  expect_poisson_count(count_in(t, 1, 3), 800 + swing, "crest");
  expect_poisson_count(count_in(t, 5, 7), 800 - swing, "trough");
  EXPECT_DOUBLE_EQ(p->expected_draws(10), 400 * 1.8 * 10);
  EXPECT_TRUE(parse_ok("diurnal:mean=0,amplitude=1,period_s=1")->times(10, 1).empty());
  // amplitude=0 is plain Poisson at the mean.
  expect_poisson_count(parse_ok("diurnal:mean=100,amplitude=0,period_s=3")->times(10, 2).size(), 1000, "flat");
}

TEST(Arrival, FlashCrowdAtItsWindow) {
  auto p = parse_ok("flash:base=50,peak=1000,at_s=4,width_s=2");
  ASSERT_TRUE(p);
  const std::vector<double> t = p->times(10, 9);
  expect_valid_times(t, 10);
  expect_poisson_count(count_in(t, 0, 4), 200, "before");
  expect_poisson_count(count_in(t, 4, 6), 2000, "crowd");
  expect_poisson_count(count_in(t, 6, 10), 200, "after");
  EXPECT_DOUBLE_EQ(p->expected_draws(10), 1000 * 10);
  // A crowd past the end of the run never comes; one cut by the end is cut.
  expect_poisson_count(p->times(3, 9).size(), 150, "ends before the crowd");
  expect_poisson_count(p->times(5, 9).size(), 200 + 1000, "ends inside the crowd");
  EXPECT_NE(p->describe().find("1000"), std::string::npos) << p->describe();
}

TEST(Arrival, ScaleRatesKeepsDurations) {
  EXPECT_EQ(scale_arrival_rates("poisson:rate=0.5", 200).value(), "poisson:rate=100");
  EXPECT_EQ(scale_arrival_rates("bursty:on_rate=1.5, off_rate=0.25,on_s=2,off_s=3", 100).value(),
            "bursty:on_rate=150,off_rate=25,on_s=2,off_s=3");
  EXPECT_EQ(scale_arrival_rates("diurnal:mean=1,amplitude=0.5,period_s=10", 40).value(),
            "diurnal:mean=40,amplitude=0.5,period_s=10");
  EXPECT_EQ(scale_arrival_rates("flash:base=0.5,peak=2,at_s=4,width_s=1", 10).value(),
            "flash:base=5,peak=20,at_s=4,width_s=1");
  EXPECT_EQ(scale_arrival_rates("ramp:from=0,to=1", 3).value(), "ramp:from=0,to=3");
  auto bad = scale_arrival_rates("flash:base=1,peak=2,at_s=4", 10);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'width_s'"), std::string::npos) << bad.status().to_string();
  EXPECT_FALSE(scale_arrival_rates("poisson:rate=1", -1).ok());
}

TEST(ModelMix, ShiftingMixMovesFromOneMixToTheOther) {
  const ModelMix from = parse_mix("a:1,b:0").value();
  const ModelMix to = parse_mix("b:3").value();  // `a` ends at share 0
  constexpr double kDuration = 10;
  std::vector<double> times;
  for (int i = 0; i < 20000; ++i) times.push_back(kDuration * i / 20000.0);
  const std::vector<int> m = assign_models_shifting(from, to, times, kDuration, 7);
  ASSERT_EQ(m.size(), times.size());
  // Share of b in [t0, t1) is the mean of t / duration there: 0.05 in the first tenth,
  // 0.95 in the last, 0.5 overall.
  auto share_b = [&](size_t lo, size_t hi) {
    return static_cast<double>(std::count(m.begin() + lo, m.begin() + hi, 1)) / static_cast<double>(hi - lo);
  };
  EXPECT_NEAR(share_b(0, 2000), 0.05, 0.02);
  EXPECT_NEAR(share_b(18000, 20000), 0.95, 0.02);
  EXPECT_NEAR(share_b(0, 20000), 0.5, 0.02);
  EXPECT_EQ(m, assign_models_shifting(from, to, times, kDuration, 7));
  EXPECT_NE(m, assign_models_shifting(from, to, times, kDuration, 8));
  // Shifting to the same mix is assign_models' distribution (not its draws).
  const ModelMix even = parse_mix("a,b").value();
  const std::vector<int> same = assign_models_shifting(even, even, times, kDuration, 7);
  EXPECT_NEAR(static_cast<double>(std::count(same.begin(), same.end(), 0)) / 20000, 0.5, 0.02);
  EXPECT_TRUE(assign_models_shifting(ModelMix{}, to, times, kDuration, 1).empty());
}

TEST(ModelMix, ParseErrors) {
  for (const std::string spec : {"", " , ", "a:-1", "a:x", "a,a", ":2", "a:0,b:0"}) {
    auto r = parse_mix(spec);
    EXPECT_FALSE(r.ok()) << "'" << spec << "'";
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << spec;
    }
  }
}

}  // namespace
}  // namespace top::sim

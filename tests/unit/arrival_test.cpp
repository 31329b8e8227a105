// Arrival processes (Poisson, bursty, ramp, diurnal, flash crowd, trace replay), their spec parser and the
// model mix: counts against their expectation, shape over time, determinism, errors.
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

TEST(Arrival, DiurnalFollowsTheSinusoid) {
  constexpr double kDuration = 20.0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    // Period 20 s: the first half is the day (rate up to 1.8 x 500), the second the night.
    const std::vector<double> t = parse_ok("diurnal:mean=500,amplitude=0.8,period_s=20")->times(kDuration, seed);
    expect_valid_times(t, kDuration);
    expect_poisson_count(t.size(), 500 * kDuration, "diurnal total");
    // Integral over the first half: 500 * (10 + 0.8 * 20 / pi) = 7546.5.
    expect_poisson_count(count_in(t, 0, 10), 500 * (10 + 0.8 * 20 / 3.141592653589793), "diurnal day");
  }
}

TEST(Arrival, FlashCrowdConcentratesArrivalsInTheFlash) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const std::vector<double> t = parse_ok("flash:base=100,peak=2000,at_s=4,width_s=1")->times(10, seed);
    expect_valid_times(t, 10);
    expect_poisson_count(count_in(t, 4, 5), 2000, "flash");
    expect_poisson_count(count_in(t, 0, 4), 400, "before the flash");
    expect_poisson_count(count_in(t, 5, 10), 500, "after the flash");
  }
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
      {"diurnal:mean=5", "'period_s'"},
      {"diurnal:mean=5,period_s=10,amplitude=2", "'amplitude'"},
      {"diurnal:mean=5,period_s=0", "'period_s'"},
      {"flash:base=1,peak=5,at_s=2", "'width_s'"},
      {"trace:", "'file'"},
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
        "diurnal:mean=40,period_s=5", "flash:base=10,peak=200,at_s=3,width_s=2"}) {
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

TEST(ModelMix, ShiftingMixMovesFromOneMixToTheOther) {
  std::vector<double> times;
  for (int i = 0; i < 20000; ++i) times.push_back(i * 0.0005);  // 10 s
  auto from = parse_mix("a:9,b:1").value(), to = parse_mix("a:1,b:9").value();
  auto which = assign_models_shifting(from, to, times, 10, 7).value();
  ASSERT_EQ(which.size(), times.size());
  auto share_of_a = [&](size_t lo, size_t hi) {
    return static_cast<double>(std::count(which.begin() + lo, which.begin() + hi, 0)) / (hi - lo);
  };
  EXPECT_NEAR(share_of_a(0, 2000), 0.86, 0.04);        // first second: shares ~0.9 -> 0.82
  EXPECT_NEAR(share_of_a(18000, 20000), 0.14, 0.04);   // last second
  EXPECT_NEAR(share_of_a(9000, 11000), 0.5, 0.04);     // the middle
  EXPECT_EQ(which, assign_models_shifting(from, to, times, 10, 7).value());
  EXPECT_FALSE(assign_models_shifting(from, parse_mix("a,c").value(), times, 10, 7).ok());
  EXPECT_FALSE(assign_models_shifting(from, to, times, 0, 7).ok());
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

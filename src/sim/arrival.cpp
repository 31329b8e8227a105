#include "sim/arrival.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <utility>

namespace top::sim {

namespace {

// Uniform in [0, 1) from the top 53 bits: the same numbers on every standard library,
// unlike std::uniform_real_distribution.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Exponential gap with mean 1/rate (rate > 0).
double exponential_gap(std::mt19937_64& rng, double rate) { return -std::log1p(-uniform01(rng)) / rate; }

bool usable_duration(double duration_s) { return duration_s > 0 && std::isfinite(duration_s); }

// Poisson arrivals at `rate` in [begin, end), appended to `out`.
void poisson_segment(std::mt19937_64& rng, double rate, double begin, double end, std::vector<double>& out) {
  if (!(rate > 0)) return;
  for (double t = begin + exponential_gap(rng, rate); t < end; t += exponential_gap(rng, rate)) out.push_back(t);
}

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string trim(const std::string& s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t begin = 0;
  while (true) {
    const size_t end = s.find(sep, begin);
    parts.push_back(s.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) return parts;
    begin = end + 1;
  }
}

// A finite number that uses the whole string.
bool parse_number(const std::string& text, double* out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

class PoissonArrival final : public ArrivalProcess {
 public:
  explicit PoissonArrival(double rate) : rate_(rate) {}
  std::vector<double> times(double duration_s, uint64_t seed) const override {
    std::vector<double> out;
    if (!usable_duration(duration_s)) return out;
    std::mt19937_64 rng(seed);
    poisson_segment(rng, rate_, 0.0, duration_s, out);
    return out;
  }
  double expected_draws(double duration_s) const override { return rate_ * duration_s; }
  std::string describe() const override { return "poisson: " + num(rate_) + " tasks/s"; }

 private:
  double rate_;
};

class BurstyArrival final : public ArrivalProcess {
 public:
  BurstyArrival(double on_rate, double off_rate, double on_s, double off_s)
      : on_rate_(on_rate), off_rate_(off_rate), on_s_(on_s), off_s_(off_s) {}
  std::vector<double> times(double duration_s, uint64_t seed) const override {
    std::vector<double> out;
    if (!usable_duration(duration_s)) return out;
    std::mt19937_64 rng(seed);
    const double period = on_s_ + off_s_;
    // Cycle starts as k * period, not a running sum, so long runs do not drift.
    for (uint64_t k = 0;; ++k) {
      const double cycle = static_cast<double>(k) * period;
      if (cycle >= duration_s) break;
      const double on_end = std::min(cycle + on_s_, duration_s);
      poisson_segment(rng, on_rate_, cycle, on_end, out);
      poisson_segment(rng, off_rate_, on_end, std::min(cycle + period, duration_s), out);
    }
    return out;
  }
  double expected_draws(double duration_s) const override { return std::max(on_rate_, off_rate_) * duration_s; }
  std::string describe() const override {
    return "bursty: " + num(on_rate_) + " tasks/s for " + num(on_s_) + " s, then " + num(off_rate_) + " tasks/s for " +
           num(off_s_) + " s, repeated";
  }

 private:
  double on_rate_, off_rate_, on_s_, off_s_;
};

// Thinning (Lewis & Shedler): candidates at `peak`, each kept with probability
// rate(t) / peak; `rate` must stay within [0, peak].
template <typename RateFn>
std::vector<double> thinned(uint64_t seed, double peak, double duration_s, RateFn rate) {
  std::vector<double> out;
  if (!usable_duration(duration_s) || !(peak > 0)) return out;
  std::mt19937_64 rng(seed);
  for (double t = exponential_gap(rng, peak); t < duration_s; t += exponential_gap(rng, peak))
    if (uniform01(rng) * peak < rate(t)) out.push_back(t);
  return out;
}

class RampArrival final : public ArrivalProcess {
 public:
  RampArrival(double from, double to) : from_(from), to_(to) {}
  std::vector<double> times(double duration_s, uint64_t seed) const override {
    return thinned(seed, std::max(from_, to_), duration_s,
                   [&](double t) { return from_ + (to_ - from_) * (t / duration_s); });
  }
  double expected_draws(double duration_s) const override { return std::max(from_, to_) * duration_s; }
  std::string describe() const override {
    return "ramp: " + num(from_) + " -> " + num(to_) + " tasks/s, linear over the run";
  }

 private:
  double from_, to_;
};

class DiurnalArrival final : public ArrivalProcess {
 public:
  DiurnalArrival(double mean, double amplitude, double period_s)
      : mean_(mean), amplitude_(amplitude), period_s_(period_s) {}
  std::vector<double> times(double duration_s, uint64_t seed) const override {
    constexpr double kTwoPi = 6.283185307179586;
    return thinned(seed, peak(), duration_s,
                   [&](double t) { return mean_ * (1 + amplitude_ * std::sin(kTwoPi * t / period_s_)); });
  }
  double expected_draws(double duration_s) const override { return peak() * duration_s; }
  std::string describe() const override {
    return "diurnal: " + num(mean_) + " tasks/s +- " + num(100 * amplitude_) + "%, period " + num(period_s_) + " s";
  }

 private:
  double peak() const { return mean_ * (1 + amplitude_); }
  double mean_, amplitude_, period_s_;
};

// Exact piecewise Poisson (no thinning): base, then the crowd, then base again.
class FlashArrival final : public ArrivalProcess {
 public:
  FlashArrival(double base, double peak, double at_s, double width_s)
      : base_(base), peak_(peak), at_s_(at_s), width_s_(width_s) {}
  std::vector<double> times(double duration_s, uint64_t seed) const override {
    std::vector<double> out;
    if (!usable_duration(duration_s)) return out;
    std::mt19937_64 rng(seed);
    const double begin = std::min(at_s_, duration_s), end = std::min(at_s_ + width_s_, duration_s);
    poisson_segment(rng, base_, 0.0, begin, out);
    poisson_segment(rng, peak_, begin, end, out);
    poisson_segment(rng, base_, end, duration_s, out);
    return out;
  }
  double expected_draws(double duration_s) const override { return std::max(base_, peak_) * duration_s; }
  std::string describe() const override {
    return "flash: " + num(base_) + " tasks/s, " + num(peak_) + " tasks/s from " + num(at_s_) + " s for " +
           num(width_s_) + " s";
  }

 private:
  double base_, peak_, at_s_, width_s_;
};

class TraceArrival final : public ArrivalProcess {
 public:
  TraceArrival(std::string path, std::vector<double> sorted_times)
      : path_(std::move(path)), times_(std::move(sorted_times)) {}
  std::vector<double> times(double duration_s, uint64_t /*seed*/) const override {
    if (!(duration_s > 0)) return {};
    return std::vector<double>(times_.begin(), std::lower_bound(times_.begin(), times_.end(), duration_s));
  }
  double expected_draws(double /*duration_s*/) const override { return static_cast<double>(times_.size()); }
  std::string describe() const override {
    std::string d = "trace: " + std::to_string(times_.size()) + " arrivals from '" + path_ + "'";
    if (!times_.empty()) d += " over " + num(times_.back()) + " s";
    return d;
  }

 private:
  std::string path_;
  std::vector<double> times_;
};

Result<std::unique_ptr<ArrivalProcess>> load_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("arrival trace file '" + path + "' cannot be opened");
  std::vector<double> times;
  std::string line;
  for (size_t line_no = 1; std::getline(in, line); ++line_no) {
    const std::string text = trim(line.substr(0, line.find('#')));
    if (text.empty()) continue;
    // The first column is the time; later ones (the model and batch that `toprt bench
    // --write-arrivals` writes) are for other readers: the mix decides the models here.
    const std::string first = text.substr(0, text.find_first_of(" \t"));
    double t = 0;
    if (!parse_number(first, &t) || t < 0) {
      return InvalidArgument("arrival trace file '" + path + "' line " + std::to_string(line_no) +
                             ": expected a non-negative number of seconds, got '" + text + "'");
    }
    times.push_back(t);
  }
  if (in.bad()) return NotFound("arrival trace file '" + path + "' could not be read");
  std::sort(times.begin(), times.end());
  return std::unique_ptr<ArrivalProcess>(std::make_unique<TraceArrival>(path, std::move(times)));
}

// key=value pairs of one spec, checked against the keys its kind accepts.
class SpecArgs {
 public:
  static Result<SpecArgs> parse(const std::string& spec, const std::string& kind, const std::string& body,
                                const std::set<std::string>& allowed) {
    SpecArgs args;
    args.spec_ = spec;
    for (const std::string& raw : split(body, ',')) {
      const std::string item = trim(raw);
      if (item.empty()) continue;
      const size_t eq = item.find('=');
      const std::string key = trim(item.substr(0, eq));
      if (eq == std::string::npos) {
        return InvalidArgument("arrival '" + spec + "': expected key=value, got '" + item + "'");
      }
      if (!allowed.count(key)) {
        std::string list;
        for (const std::string& k : allowed) list += (list.empty() ? "" : ", ") + k;
        return InvalidArgument("arrival '" + spec + "': unknown key '" + key + "' for " + kind + " (expected " + list +
                               ")");
      }
      const std::string value = trim(item.substr(eq + 1));
      double v = 0;
      if (!parse_number(value, &v)) {
        return InvalidArgument("arrival '" + spec + "': key '" + key + "' expects a number, got '" + value + "'");
      }
      if (v < 0) return InvalidArgument("arrival '" + spec + "': key '" + key + "' must be >= 0, got " + value);
      if (!args.values_.emplace(key, v).second) {
        return InvalidArgument("arrival '" + spec + "': key '" + key + "' given twice");
      }
    }
    return args;
  }

  Result<double> required(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) return InvalidArgument("arrival '" + spec_ + "': missing key '" + key + "'");
    return it->second;
  }
  double optional(const std::string& key, double fallback) const {
    auto it = values_.find(key);
    return it == values_.end() ? fallback : it->second;
  }

 private:
  std::string spec_;
  std::map<std::string, double> values_;
};

}  // namespace

Result<std::unique_ptr<ArrivalProcess>> parse_arrival(const std::string& spec) {
  const size_t colon = spec.find(':');
  const std::string kind = trim(spec.substr(0, colon));
  const std::string body = colon == std::string::npos ? "" : spec.substr(colon + 1);

  if (kind == "trace") {
    // The path is everything after file=, commas and colons included.
    const std::string rest = trim(body);
    if (rest.rfind("file=", 0) != 0 || trim(rest.substr(5)).empty()) {
      return InvalidArgument("arrival '" + spec + "': missing key 'file' (trace:file=PATH)");
    }
    return load_trace(trim(rest.substr(5)));
  }
  if (kind == "poisson") {
    TOP_ASSIGN_OR_RETURN(SpecArgs args, SpecArgs::parse(spec, kind, body, {"rate"}));
    TOP_ASSIGN_OR_RETURN(double rate, args.required("rate"));
    return std::unique_ptr<ArrivalProcess>(std::make_unique<PoissonArrival>(rate));
  }
  if (kind == "bursty") {
    TOP_ASSIGN_OR_RETURN(SpecArgs args, SpecArgs::parse(spec, kind, body, {"on_rate", "off_rate", "on_s", "off_s"}));
    TOP_ASSIGN_OR_RETURN(double on_rate, args.required("on_rate"));
    TOP_ASSIGN_OR_RETURN(double on_s, args.required("on_s"));
    TOP_ASSIGN_OR_RETURN(double off_s, args.required("off_s"));
    const double off_rate = args.optional("off_rate", 0.0);
    if (!(on_s + off_s > 0)) {
      return InvalidArgument("arrival '" + spec + "': keys 'on_s' and 'off_s' must not both be 0");
    }
    return std::unique_ptr<ArrivalProcess>(std::make_unique<BurstyArrival>(on_rate, off_rate, on_s, off_s));
  }
  if (kind == "ramp") {
    TOP_ASSIGN_OR_RETURN(SpecArgs args, SpecArgs::parse(spec, kind, body, {"from", "to"}));
    TOP_ASSIGN_OR_RETURN(double from, args.required("from"));
    TOP_ASSIGN_OR_RETURN(double to, args.required("to"));
    return std::unique_ptr<ArrivalProcess>(std::make_unique<RampArrival>(from, to));
  }
  if (kind == "diurnal") {
    TOP_ASSIGN_OR_RETURN(SpecArgs args, SpecArgs::parse(spec, kind, body, {"mean", "amplitude", "period_s"}));
    TOP_ASSIGN_OR_RETURN(double mean, args.required("mean"));
    TOP_ASSIGN_OR_RETURN(double amplitude, args.required("amplitude"));
    TOP_ASSIGN_OR_RETURN(double period_s, args.required("period_s"));
    if (amplitude > 1) return InvalidArgument("arrival '" + spec + "': key 'amplitude' must be <= 1 (a rate is never negative)");
    if (!(period_s > 0)) return InvalidArgument("arrival '" + spec + "': key 'period_s' must be > 0");
    return std::unique_ptr<ArrivalProcess>(std::make_unique<DiurnalArrival>(mean, amplitude, period_s));
  }
  if (kind == "flash") {
    TOP_ASSIGN_OR_RETURN(SpecArgs args, SpecArgs::parse(spec, kind, body, {"base", "peak", "at_s", "width_s"}));
    TOP_ASSIGN_OR_RETURN(double base, args.required("base"));
    TOP_ASSIGN_OR_RETURN(double peak, args.required("peak"));
    TOP_ASSIGN_OR_RETURN(double at_s, args.required("at_s"));
    TOP_ASSIGN_OR_RETURN(double width_s, args.required("width_s"));
    if (!(width_s > 0)) return InvalidArgument("arrival '" + spec + "': key 'width_s' must be > 0");
    return std::unique_ptr<ArrivalProcess>(std::make_unique<FlashArrival>(base, peak, at_s, width_s));
  }
  return InvalidArgument("arrival '" + spec + "': unknown kind '" + kind +
                         "' (expected poisson, bursty, ramp, diurnal, flash or trace)");
}

Result<std::string> scale_arrival_rates(const std::string& spec, double factor) {
  TOP_RETURN_IF_ERROR(parse_arrival(spec).status());
  if (!(factor >= 0) || !std::isfinite(factor))
    return InvalidArgument("arrival '" + spec + "': rate factor must be a finite number >= 0, got " + num(factor));
  const size_t colon = spec.find(':');
  const std::string kind = trim(spec.substr(0, colon));
  if (kind == "trace" || colon == std::string::npos) return spec;
  static const std::set<std::string> kRateKeys = {"rate", "on_rate", "off_rate", "from", "to", "mean", "base", "peak"};
  std::string out = kind + ":";
  bool first = true;
  for (const std::string& raw : split(spec.substr(colon + 1), ',')) {
    const std::string item = trim(raw);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    const std::string key = trim(item.substr(0, eq));
    double v = 0;
    parse_number(trim(item.substr(eq + 1)), &v);  // parse_arrival above accepted it
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.9g", kRateKeys.count(key) ? v * factor : v);
    out += (first ? "" : ",") + key + "=" + buf;
    first = false;
  }
  return out;
}

Result<ModelMix> parse_mix(const std::string& spec) {
  ModelMix mix;
  std::set<std::string> seen;
  double total = 0;
  for (const std::string& raw : split(spec, ',')) {
    const std::string item = trim(raw);
    if (item.empty()) continue;
    const size_t colon = item.rfind(':');
    const std::string name = trim(item.substr(0, colon));
    double share = 1.0;
    if (colon != std::string::npos) {
      const std::string value = trim(item.substr(colon + 1));
      if (!parse_number(value, &share) || share < 0) {
        return InvalidArgument("model mix '" + spec + "': share of '" + name +
                               "' must be a non-negative number, got '" + value + "'");
      }
    }
    if (name.empty()) return InvalidArgument("model mix '" + spec + "': empty model name in '" + item + "'");
    if (!seen.insert(name).second) return InvalidArgument("model mix '" + spec + "': model '" + name + "' given twice");
    mix.names.push_back(name);
    mix.shares.push_back(share);
    total += share;
  }
  if (mix.names.empty()) return InvalidArgument("model mix '" + spec + "' names no model");
  if (!(total > 0)) return InvalidArgument("model mix '" + spec + "': shares sum to 0");
  for (double& s : mix.shares) s /= total;
  return mix;
}

namespace {

// Usable share of model i: junk (negative, NaN, missing) counts as 0.
double usable_share(const ModelMix& mix, size_t i) {
  const double s = i < mix.shares.size() ? mix.shares[i] : 0;
  return s > 0 && std::isfinite(s) ? s : 0;
}

// Index of the first model whose cumulative share exceeds u * total (skips zero shares);
// equal shares when none is usable.
int pick(const std::vector<double>& shares, double u) {
  double total = 0;
  for (double s : shares) total += s;
  if (!(total > 0)) return std::min(static_cast<int>(u * static_cast<double>(shares.size())), static_cast<int>(shares.size()) - 1);
  const double target = u * total;
  double cumulative = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    cumulative += shares[i];
    if (target < cumulative) return static_cast<int>(i);
  }
  // Rounding left target at the total: the last model with a share.
  for (size_t i = shares.size(); i-- > 0;)
    if (shares[i] > 0) return static_cast<int>(i);
  return static_cast<int>(shares.size()) - 1;
}

}  // namespace

std::vector<int> assign_models(const ModelMix& mix, size_t n, uint64_t seed) {
  if (mix.names.empty()) return {};
  std::vector<double> shares;
  for (size_t i = 0; i < mix.names.size(); ++i) shares.push_back(usable_share(mix, i));
  std::mt19937_64 rng(seed);
  std::vector<int> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = pick(shares, uniform01(rng));
  return out;
}

std::vector<int> assign_models_shifting(const ModelMix& from, const ModelMix& to, const std::vector<double>& times_s,
                                        double duration_s, uint64_t seed) {
  if (from.names.empty()) return {};
  // Shares normalised first, so that the interpolation moves between the two mixes'
  // proportions whatever scale each was written in.
  auto normalised = [](const ModelMix& mix, const std::vector<std::string>& names) {
    std::vector<double> out;
    double total = 0;
    for (const std::string& n : names) {
      const auto it = std::find(mix.names.begin(), mix.names.end(), n);
      out.push_back(it == mix.names.end() ? 0 : usable_share(mix, static_cast<size_t>(it - mix.names.begin())));
      total += out.back();
    }
    if (total > 0)
      for (double& s : out) s /= total;
    return out;
  };
  const std::vector<double> a = normalised(from, from.names), b = normalised(to, from.names);
  std::mt19937_64 rng(seed);
  std::vector<int> out(times_s.size());
  std::vector<double> shares(a.size());
  for (size_t i = 0; i < times_s.size(); ++i) {
    const double f = duration_s > 0 ? std::clamp(times_s[i] / duration_s, 0.0, 1.0) : 0.0;
    for (size_t m = 0; m < a.size(); ++m) shares[m] = (1 - f) * a[m] + f * b[m];
    out[i] = pick(shares, uniform01(rng));
  }
  return out;
}

}  // namespace top::sim

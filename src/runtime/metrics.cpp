#include "runtime/metrics.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace top::runtime {

struct MetricsRecorder::PerModel {
  std::string name;
  uint64_t submitted = 0;
  uint64_t rejected = 0;
  uint64_t completed = 0;
  uint64_t failed = 0;
  size_t queue_length = 0;
  size_t max_queue_length = 0;
  uint64_t in_flight = 0;

  // Latency of completed tasks: exact count/sum/max, bounded sample set for quantiles.
  std::vector<double> latency_samples_ms;
  std::vector<uint64_t> latency_buckets = std::vector<uint64_t>(latency_bucket_bounds_ms().size() + 1);  // not cumulative
  uint64_t latency_count = 0;
  double latency_sum_ms = 0;
  double latency_max_ms = 0;

  uint64_t dequeued = 0;
  double wait_sum_ms = 0;

  // Queue-length history: every `stride`-th update is recorded.
  std::vector<std::pair<double, size_t>> queue_history;
  uint64_t queue_stride = 1;
  uint64_t updates_since_recorded = 0;
};

namespace {

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

// Nearest-rank percentile: the index, in sorted order, of the smallest sample with at
// least p% of the n samples <= it.
size_t nearest_rank_index(size_t n, double p) {
  const double rank = std::ceil(p / 100.0 * static_cast<double>(n));
  if (rank < 1) return 0;
  return std::min(n - 1, static_cast<size_t>(rank) - 1);
}

}  // namespace

MetricsRecorder::MetricsRecorder(int num_streams, Clock::time_point start)
    : start_(start),
      stream_busy_s_(static_cast<size_t>(std::max(0, num_streams)), 0.0),
      stream_groups_(static_cast<size_t>(std::max(0, num_streams)), 0),
      reservoir_rng_(0x70702d6d6574726fULL) {}

MetricsRecorder::~MetricsRecorder() = default;

int MetricsRecorder::add_model(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto m = std::make_unique<PerModel>();
  m->name = name;
  const int index = next_model_++;
  models_.emplace(index, std::move(m));
  return index;
}

void MetricsRecorder::remove_model(int model) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = models_.find(model);
  if (it == models_.end()) return;
  removed_completed_ += it->second->completed;
  models_.erase(it);
}

uint64_t MetricsRecorder::on_callback_exception() {
  std::lock_guard<std::mutex> lock(mu_);
  return ++callback_exceptions_;
}

MetricsRecorder::PerModel* MetricsRecorder::model_or_null(int model) {
  auto it = models_.find(model);
  return it == models_.end() ? nullptr : it->second.get();
}

void MetricsRecorder::record_queue_length(PerModel& m, size_t queue_length, Clock::time_point t) {
  m.queue_length = queue_length;
  m.max_queue_length = std::max(m.max_queue_length, queue_length);
  if (trace_) trace_->add(TraceSlice::queue_length(m.name, t, queue_length));
  if (++m.updates_since_recorded < m.queue_stride) return;
  m.updates_since_recorded = 0;
  m.queue_history.emplace_back(seconds_between(start_, t), queue_length);
  if (m.queue_history.size() > kMaxQueuePoints) {
    // Keep points 0, 2, 4, ... and record half as often from now on, so the history
    // keeps covering the whole run at a coarser resolution.
    size_t kept = 0;
    for (size_t i = 0; i < m.queue_history.size(); i += 2) m.queue_history[kept++] = m.queue_history[i];
    m.queue_history.resize(kept);
    m.queue_stride *= 2;
  }
}

void MetricsRecorder::on_submit(int model, size_t queue_length_after, Clock::time_point t) {
  std::lock_guard<std::mutex> lock(mu_);
  PerModel* m = model_or_null(model);
  if (!m) return;
  ++m->submitted;
  record_queue_length(*m, queue_length_after, t);
}

void MetricsRecorder::on_reject(int model) {
  std::lock_guard<std::mutex> lock(mu_);
  if (PerModel* m = model_or_null(model)) ++m->rejected;
}

void MetricsRecorder::on_dequeue(int model, int tasks, size_t queue_length_after, double wait_ms_sum,
                                 Clock::time_point t) {
  std::lock_guard<std::mutex> lock(mu_);
  PerModel* m = model_or_null(model);
  if (!m) return;
  if (tasks > 0) {
    m->in_flight += static_cast<uint64_t>(tasks);
    m->dequeued += static_cast<uint64_t>(tasks);
    if (std::isfinite(wait_ms_sum)) m->wait_sum_ms += wait_ms_sum;
  }
  record_queue_length(*m, queue_length_after, t);
}

}  // namespace top::runtime

namespace top {
const std::vector<double>& latency_bucket_bounds_ms() {
  static const std::vector<double> bounds = {0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
  return bounds;
}
}  // namespace top

namespace top::runtime {

void MetricsRecorder::on_finish(int model, bool ok, double latency_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  PerModel* m = model_or_null(model);
  if (!m) return;
  if (m->in_flight > 0) --m->in_flight;
  if (!ok) {
    ++m->failed;
    return;
  }
  ++m->completed;
  if (!std::isfinite(latency_ms)) return;  // counted, but no sample
  ++m->latency_count;
  m->latency_sum_ms += latency_ms;
  const auto& bounds = latency_bucket_bounds_ms();
  ++m->latency_buckets[static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), latency_ms) - bounds.begin())];
  m->latency_max_ms = std::max(m->latency_max_ms, latency_ms);
  if (m->latency_samples_ms.size() < kMaxLatencySamples) {
    m->latency_samples_ms.push_back(latency_ms);
  } else {
    // Reservoir sampling (Algorithm R): every completed task ends up in the sample
    // with equal probability kMaxLatencySamples / latency_count.
    std::uniform_int_distribution<uint64_t> pick(0, m->latency_count - 1);
    const uint64_t j = pick(reservoir_rng_);
    if (j < kMaxLatencySamples) m->latency_samples_ms[static_cast<size_t>(j)] = latency_ms;
  }
}

void MetricsRecorder::on_stream_busy(int stream, Clock::time_point begin, Clock::time_point end) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stream < 0 || static_cast<size_t>(stream) >= stream_busy_s_.size()) return;
  stream_busy_s_[static_cast<size_t>(stream)] += std::max(0.0, seconds_between(begin, end));
  ++stream_groups_[static_cast<size_t>(stream)];
}

RuntimeStats MetricsRecorder::snapshot(Clock::time_point now, std::vector<int>* model_indices) const {
  std::lock_guard<std::mutex> lock(mu_);
  RuntimeStats s;
  s.elapsed_s = std::max(0.0, seconds_between(start_, now));
  s.callback_exceptions = callback_exceptions_;
  const auto per_second = [&](double x) { return s.elapsed_s > 0 ? x / s.elapsed_s : 0.0; };

  uint64_t all_completed = removed_completed_;
  s.models.reserve(models_.size());
  if (model_indices) model_indices->clear();
  for (const auto& [index, mp] : models_) {
    if (model_indices) model_indices->push_back(index);
    const PerModel& m = *mp;
    ModelStats ms;
    ms.model = m.name;
    ms.submitted = m.submitted;
    ms.rejected = m.rejected;
    ms.completed = m.completed;
    ms.failed = m.failed;
    ms.queue_length = m.queue_length;
    ms.max_queue_length = m.max_queue_length;
    ms.in_flight = static_cast<size_t>(m.in_flight);
    ms.throughput_per_s = per_second(static_cast<double>(m.completed));
    all_completed += m.completed;

    if (m.latency_count > 0) ms.latency_mean_ms = m.latency_sum_ms / static_cast<double>(m.latency_count);
    ms.latency_max_ms = m.latency_max_ms;
    if (!m.latency_samples_ms.empty()) {
      // Nearest rank on the sorted order, without a full sort: select from the highest
      // rank down, each nth_element working on the prefix the previous one left.
      std::vector<double> v = m.latency_samples_ms;
      const size_t n = v.size();
      const size_t i99 = nearest_rank_index(n, 99), i95 = nearest_rank_index(n, 95), i50 = nearest_rank_index(n, 50);
      std::nth_element(v.begin(), v.begin() + i99, v.end());
      std::nth_element(v.begin(), v.begin() + i95, v.begin() + i99 + 1);
      std::nth_element(v.begin(), v.begin() + i50, v.begin() + i95 + 1);
      ms.latency_p99_ms = v[i99];
      ms.latency_p95_ms = v[i95];
      ms.latency_p50_ms = v[i50];
    }
    if (m.dequeued > 0) ms.queue_wait_mean_ms = m.wait_sum_ms / static_cast<double>(m.dequeued);
    uint64_t cumulative = 0;
    const auto& bounds = latency_bucket_bounds_ms();
    for (size_t b = 0; b < m.latency_buckets.size(); ++b) {
      cumulative += m.latency_buckets[b];
      ms.latency_histogram_ms.emplace_back(b < bounds.size() ? bounds[b] : INFINITY, cumulative);
    }
    ms.queue_length_over_time = m.queue_history;
    s.models.push_back(std::move(ms));
  }
  s.throughput_per_s = per_second(static_cast<double>(all_completed));

  s.streams.reserve(stream_busy_s_.size());
  for (size_t i = 0; i < stream_busy_s_.size(); ++i) {
    StreamStats st;
    st.stream = static_cast<int>(i);
    st.busy_fraction = per_second(stream_busy_s_[i]);
    st.groups_run = stream_groups_[i];
    s.streams.push_back(st);
  }
  return s;
}

}  // namespace top::runtime

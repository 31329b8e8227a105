#include "rl/train/gpg_trainer.h"

#include <torch/torch.h>

#include <chrono>
#include <ctime>
#include <algorithm>
#include <cmath>
#include <deque>
#include <fstream>
#include <thread>

#include "rl/checkpoint/checkpoint.h"
#include "rl/nets/gpg_net.h"
#include "rl/policies/gpg_generator.h"

namespace top::rl {

namespace {

using Clock = std::chrono::steady_clock;

struct Rollout {
  std::vector<Decision> trace;
  double ms = 0;
  Status status;
};

// `samples` sampled partitions of `in`, decoded and priced on `threads` threads; rollout
// i draws from its own generator seeded by (episode seed, i), so results do not depend
// on which thread ran it.
std::vector<Rollout> rollouts(const GpgNetwork& net, const GpgInstance& in, int samples, int threads,
                              double temperature, uint64_t episode_seed) {
  std::vector<Rollout> out(samples);
  auto e = net.encode(in.features);
  if (!e.ok()) {
    for (auto& r : out) r.status = e.status();
    return out;
  }
  auto work = [&](int first) {
    for (int i = first; i < samples; i += threads) {
      std::mt19937_64 rng(episode_seed * 1000003ull + static_cast<uint64_t>(i));
      DecodeOptions d;
      d.sample = true;
      d.temperature = temperature;
      auto s = decode_partition(net, *e, in.graph, in.features, in.streams, d, &rng, &out[i].trace);
      if (!s.ok()) {
        out[i].status = s.status();
        continue;
      }
      auto ms = predicted_schedule_ms(*in.device.cost, *s, in.streams, in.device.threads_per_stream);
      if (!ms.ok()) out[i].status = ms.status();
      else out[i].ms = *ms;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& t : pool) t.join();
  return out;
}

}  // namespace

Result<GpgTrainReport> train_gpg(const GpgTrainOptions& opts, const std::function<void(const GpgTrainProgress&)>& progress) {
  if (opts.samples < 2) return InvalidArgument("train gpg: samples must be >= 2 (the baseline is their mean)");
  if (opts.threads < 1 || opts.threads > 64) return InvalidArgument("train gpg: threads must be in 1..64");
  if (opts.eval_every < 1) return InvalidArgument("train gpg: eval_every must be >= 1");
  if (!(opts.learning_rate > 0) || !(opts.temperature > 0) || opts.entropy < 0)
    return InvalidArgument("train gpg: learning rate and temperature must be > 0, entropy >= 0");
  const auto start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  torch::set_num_threads(opts.threads);

  TOP_ASSIGN_OR_RETURN(std::vector<GpgInstance> held_out, held_out_instances(opts.curriculum, opts.held_out));
  if (opts.held_out_ios_dp)
    for (GpgInstance& in : held_out) TOP_RETURN_IF_ERROR(add_ios_dp(in));

  GpgNet net(opts.dims, opts.seed);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(opts.learning_rate));
  std::mt19937_64 rng(opts.seed);

  GpgTrainReport report;
  auto evaluate = [&]() -> Result<GpgEvalSummary> {
    TOP_ASSIGN_OR_RETURN(GpgNetwork snap, net->snapshot());
    GpgGenerator gen(std::make_shared<const GpgNetwork>(std::move(snap)), GpgOptions{}, "training");
    TOP_ASSIGN_OR_RETURN(auto rows, evaluate_gpg(gen, held_out));
    GpgEvalSummary s = summarize(rows);
    // Kept: the best geometric mean against ios-dp (against greedy without ios-dp).
    const double score = s.with_ios_dp ? s.geo_raw_vs_ios_dp : s.geo_raw_vs_greedy;
    const double best = report.best_eval.with_ios_dp ? report.best_eval.geo_raw_vs_ios_dp : report.best_eval.geo_raw_vs_greedy;
    if (report.params.empty() || score < best) {
      report.best_eval = s;
      report.best_rows = rows;
      report.params = net->export_params();
    }
    return s;
  };

  std::ofstream curve;
  if (!opts.curve_csv.empty()) {
    curve.open(opts.curve_csv);
    if (!curve) return NotFound("train gpg: cannot write '" + opts.curve_csv + "'");
    curve << "episode,seconds,recent_gain,eval_raw_vs_ios_dp,eval_raw_vs_greedy,eval_not_worse_than_greedy\n";
  }
  auto log_eval = [&](int episode, double gain, const GpgEvalSummary& s) {
    if (curve) {
      curve << episode << "," << elapsed() << "," << gain << "," << s.geo_raw_vs_ios_dp << "," << s.geo_raw_vs_greedy << ","
            << s.raw_not_worse_than_greedy << "\n";
      curve.flush();
    }
    if (progress) {
      GpgTrainProgress p;
      p.episode = episode;
      p.elapsed_s = elapsed();
      p.left_s = std::max(0.0, opts.minutes * 60 - p.elapsed_s);
      p.recent_gain = gain;
      p.eval = &s;
      progress(p);
    }
  };
  TOP_ASSIGN_OR_RETURN(report.first_eval, evaluate());
  log_eval(0, 0, report.first_eval);

  std::deque<double> recent;
  int episode = 0;
  while (episode < opts.episodes && elapsed() < opts.minutes * 60) {
    ++episode;
    TOP_ASSIGN_OR_RETURN(GpgInstance in, draw_training_instance(opts.curriculum, rng));
    TOP_ASSIGN_OR_RETURN(GpgNetwork snap, net->snapshot());
    std::vector<Rollout> rs = rollouts(snap, in, opts.samples, opts.threads, opts.temperature, rng());
    double mean = 0;
    for (const Rollout& r : rs) {
      TOP_RETURN_IF_ERROR(r.status);
      mean += r.ms / rs.size();
    }
    // One replay of every sample's decisions, each weighted by its advantage spread over
    // its decisions.
    std::vector<Decision> all;
    std::vector<float> weight;
    double var = 0;
    for (const Rollout& r : rs) var += (r.ms - mean) * (r.ms - mean) / rs.size();
    // Advantages in units of the samples' spread, but never of less than 1% of their mean:
    // every instance teaches alike, except that differences too small to matter stay small.
    const double scale = std::max({std::sqrt(var), 0.01 * mean, 1e-12});
    for (Rollout& r : rs) {
      const double adv = (mean - r.ms) / scale;
      const float w = static_cast<float>(adv / std::max<size_t>(1, r.trace.size()));
      for (Decision& d : r.trace) {
        all.push_back(std::move(d));
        weight.push_back(w);
      }
    }
    auto enc = net->encode(in.features);
    auto rep = net->replay(enc, all);
    auto w = torch::from_blob(weight.data(), {static_cast<int64_t>(weight.size())}, torch::kFloat32).clone();
    auto loss = -(w * rep.log_prob).sum() - opts.entropy * rep.entropy.mean();
    adam.zero_grad();
    loss.backward();
    torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
    adam.step();

    recent.push_back(in.greedy_ms / std::max(1e-9, mean));
    if (recent.size() > 50) recent.pop_front();
    double gain = 0;
    for (double g : recent) gain += g / recent.size();
    const bool last = episode == opts.episodes || elapsed() >= opts.minutes * 60;
    if (episode % opts.eval_every == 0 || last) {
      TOP_ASSIGN_OR_RETURN(GpgEvalSummary s, evaluate());
      log_eval(episode, gain, s);
    } else if (progress && episode % 25 == 0) {
      GpgTrainProgress p;
      p.episode = episode;
      p.elapsed_s = elapsed();
      p.left_s = std::max(0.0, opts.minutes * 60 - p.elapsed_s);
      p.recent_gain = gain;
      progress(p);
    }
  }
  report.episodes = episode;
  report.seconds = elapsed();
  report.final_params = net->export_params();
  return report;
}

namespace {

nlohmann::json summary_json(const GpgEvalSummary& s) {
  return {{"instances", s.instances},
          {"with_ios_dp", s.with_ios_dp},
          {"geomean_gpg_vs_ios_dp", s.geo_raw_vs_ios_dp},
          {"geomean_guarded_vs_ios_dp", s.geo_vs_ios_dp},
          {"geomean_gpg_vs_greedy", s.geo_raw_vs_greedy},
          {"fraction_not_worse_than_greedy", s.raw_not_worse_than_greedy},
          {"guarded_worse_than_sequential", s.guarded_worse_than_sequential},
          {"mean_partition_ms", s.mean_gpg_time_ms}};
}

}  // namespace

Status write_gpg_checkpoint(const GpgTrainOptions& opts, const GpgTrainReport& report) {
  if (opts.out.empty()) return InvalidArgument("write gpg checkpoint: no output path");
  const auto specs = gpg_parameter_specs(opts.dims);
  if (report.params.size() != specs.size()) return InvalidArgument("write gpg checkpoint: no trained parameters");
  Checkpoint ck;
  ck.manifest = training_manifest("gpg", gpg_schema_hash(), opts.device_names, opts.command, opts.seed, opts.source_commit);
  ck.manifest.dims = {{"hidden", opts.dims.hidden}, {"layers", opts.dims.layers}, {"head", opts.dims.head}};
  nlohmann::json rows = nlohmann::json::array();
  for (const GpgEvalRow& r : report.best_rows)
    rows.push_back({{"instance", r.name},
                    {"nodes", r.nodes},
                    {"gpg_ms", r.gpg_raw_ms},
                    {"guarded_ms", r.gpg_ms},
                    {"greedy_ms", r.greedy_ms},
                    {"sequential_ms", r.sequential_ms},
                    {"ios_dp_ms", r.ios_dp_ms},
                    {"gpg_partition_ms", r.gpg_time_ms},
                    {"ios_dp_partition_ms", r.ios_dp_time_ms}});
  ck.manifest.results = {{"episodes", report.episodes},
                         {"seconds", report.seconds},
                         {"held_out_before_training", summary_json(report.first_eval)},
                         {"held_out", summary_json(report.best_eval)},
                         {"held_out_rows", rows}};
  for (size_t i = 0; i < specs.size(); ++i) ck.tensors.push_back({specs[i].name, specs[i].shape, report.params[i]});
  return write_checkpoint(opts.out, ck);
}

}  // namespace top::rl

#include "rl/policies/gpg_generator.h"

#include <chrono>
#include <cstdlib>

#include "backend/sim/virtual_executor.h"
#include "exec/compiled_schedule.h"
#include "profile/device.h"
#include "rl/checkpoint/checkpoint.h"
#include "rl/features/graph_features.h"

namespace top::rl {

namespace {

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Without a cost model in the options (a runtime given no profile) gpg prices on this
// machine's analytical CPU description, as the simulator would.
const profile::CostModel& fallback_cost_model() {
  static const profile::CostModel cm(profile::cpu_host());
  return cm;
}

}  // namespace

Result<double> predicted_schedule_ms(const profile::CostModel& cost, const exec::Schedule& s, int streams,
                                     int threads_per_stream) {
  TOP_ASSIGN_OR_RETURN(auto compiled, exec::CompiledSchedule::compile(s));
  return backend::sim::predict_schedule_ms(cost, compiled, streams, threads_per_stream,
                                           backend::sim::default_dispatch(cost, streams, threads_per_stream));
}

GpgGenerator::GpgGenerator(std::shared_ptr<const GpgNetwork> net, GpgOptions opts, std::string description)
    : net_(std::move(net)), opts_(opts), description_(std::move(description)) {}

Result<GpgOutcome> GpgGenerator::partition(const exec::TaskGraph& g, const sched::GeneratorOptions& opts) const {
  if (!net_) return InvalidArgument("gpg: no network");
  if (opts.max_groups < 1) return InvalidArgument("gpg: max_groups " + std::to_string(opts.max_groups) + " (must be >= 1)");
  const profile::CostModel& cost = opts.cost_model ? *opts.cost_model : fallback_cost_model();
  const int streams = opts.max_groups;
  const int threads = opts.threads_per_stream;
  GpgOutcome out;
  auto t0 = Clock::now();
  TOP_ASSIGN_OR_RETURN(GraphFeatures f, graph_features(g, cost, streams, threads));
  out.features_ms = ms_since(t0);
  t0 = Clock::now();
  TOP_ASSIGN_OR_RETURN(GpgEmbedding e, net_->encode(f));
  out.encode_ms = ms_since(t0);
  t0 = Clock::now();
  std::vector<exec::Schedule> tries;
  TOP_ASSIGN_OR_RETURN(exec::Schedule best, decode_partition(*net_, e, g, f, streams, {}, nullptr, nullptr));
  if (opts_.samples > 0) {
    DecodeOptions sample;
    sample.sample = true;
    sample.temperature = opts_.temperature;
    // Seeded by the graph's size too, so one generator gives each graph its own draws but
    // the same graph always the same partition.
    std::mt19937_64 rng(opts_.seed ^ (g.ops.size() * 0x9e3779b97f4a7c15ull) ^ static_cast<uint64_t>(streams));
    for (int i = 0; i < opts_.samples; ++i) {
      TOP_ASSIGN_OR_RETURN(exec::Schedule s, decode_partition(*net_, e, g, f, streams, sample, &rng, nullptr));
      tries.push_back(std::move(s));
    }
  }
  out.decode_ms = ms_since(t0);
  t0 = Clock::now();
  TOP_ASSIGN_OR_RETURN(out.gpg_ms, predicted_schedule_ms(cost, best, streams, threads));
  for (exec::Schedule& s : tries) {
    TOP_ASSIGN_OR_RETURN(double ms, predicted_schedule_ms(cost, s, streams, threads));
    if (ms < out.gpg_ms) {
      out.gpg_ms = ms;
      best = std::move(s);
    }
  }
  TOP_ASSIGN_OR_RETURN(exec::Schedule greedy, sched::greedy_schedule(g, opts));
  TOP_ASSIGN_OR_RETURN(exec::Schedule seq, sched::sequential_schedule(g, opts));
  TOP_ASSIGN_OR_RETURN(out.greedy_ms, predicted_schedule_ms(cost, greedy, streams, threads));
  TOP_ASSIGN_OR_RETURN(out.sequential_ms, predicted_schedule_ms(cost, seq, streams, threads));
  out.price_ms = ms_since(t0);
  // The guard: the cheapest of the three; ties keep the learned one.
  double chosen = out.gpg_ms;
  out.schedule = std::move(best);
  out.schedule.generator = "gpg";
  if (out.greedy_ms < chosen) {
    chosen = out.greedy_ms;
    out.schedule = std::move(greedy);
    out.schedule.generator = "gpg(greedy)";
  }
  if (out.sequential_ms < chosen) {
    chosen = out.sequential_ms;
    out.schedule = std::move(seq);
    out.schedule.generator = "gpg(sequential)";
  }
  out.schedule.predicted_ms = chosen;
  return out;
}

Result<exec::Schedule> GpgGenerator::generate(const exec::TaskGraph& g, const sched::GeneratorOptions& opts) const {
  TOP_ASSIGN_OR_RETURN(GpgOutcome o, partition(g, opts));
  return std::move(o.schedule);
}

std::string default_gpg_checkpoint() { return committed_checkpoint("gpg.json", "TOP_GPG_CHECKPOINT"); }

Result<std::shared_ptr<const GpgNetwork>> load_gpg_network(const std::string& manifest_path) {
  TOP_ASSIGN_OR_RETURN(Checkpoint ckpt, read_checkpoint(manifest_path, "gpg", gpg_schema_hash()));
  GpgDims dims;
  auto dim = [&](const char* name, int* v) -> Status {
    auto it = ckpt.manifest.dims.find(name);
    if (it == ckpt.manifest.dims.end())
      return InvalidArgument("gpg checkpoint '" + manifest_path + "': no dims." + name + " in the manifest");
    *v = static_cast<int>(it->second);
    return Status::Ok();
  };
  TOP_RETURN_IF_ERROR(dim("hidden", &dims.hidden));
  TOP_RETURN_IF_ERROR(dim("layers", &dims.layers));
  TOP_RETURN_IF_ERROR(dim("head", &dims.head));
  if (dims.hidden < 1 || dims.hidden > 1024 || dims.head < 1 || dims.head > 1024 || dims.layers < 0 || dims.layers > 16)
    return InvalidArgument("gpg checkpoint '" + manifest_path + "': dims out of range");
  std::vector<std::vector<float>> params;
  for (const ParamSpec& s : gpg_parameter_specs(dims)) {
    auto t = ckpt.tensor(s.name, s.shape);
    if (!t.ok()) return InvalidArgument("gpg checkpoint '" + manifest_path + "': " + t.status().message());
    params.push_back((*t)->data);
  }
  TOP_ASSIGN_OR_RETURN(GpgNetwork net, GpgNetwork::create(dims, std::move(params)));
  return std::make_shared<const GpgNetwork>(std::move(net));
}

Status register_gpg_generator(const std::string& manifest_path) {
  const std::string path = manifest_path.empty() ? default_gpg_checkpoint() : manifest_path;
  auto net = load_gpg_network(path);
  if (!net.ok()) {
    for (const char* name : {"gpg", "gpg-best8"})
      sched::reserve_generator(name, std::string("schedule generator '") + name + "' is not available: " +
                                         net.status().message() + " (train one with `toprt train gpg`)");
    return net.status();
  }
  TOP_RETURN_IF_ERROR(sched::register_generator(
      "gpg", std::make_shared<GpgGenerator>(*net, GpgOptions{}, "learned GNN stage partitioner (" + path + "), guarded")));
  GpgOptions best;
  best.samples = 7;
  return sched::register_generator(
      "gpg-best8", std::make_shared<GpgGenerator>(*net, best, "gpg, best of greedy and 7 sampled partitions"));
}

}  // namespace top::rl

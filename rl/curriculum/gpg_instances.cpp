#include "rl/curriculum/gpg_instances.h"

#include <chrono>

#include "profile/device.h"
#include "profile/profile_io.h"
#include "rl/graphs/synthetic_graphs.h"
#include "rl/policies/gpg_generator.h"
#include "sched/cost_options.h"
#include "top/model.h"

namespace top::rl {

Result<std::vector<GpgDevice>> gpg_devices(const std::vector<std::string>& names, const std::string& cpu_profile) {
  std::vector<GpgDevice> out;
  for (const std::string& n : names) {
    GpgDevice d;
    d.name = n;
    if (n == "cpu") {
      if (cpu_profile.empty()) return InvalidArgument("device 'cpu' needs a CPU profile (profiles/*.json)");
      TOP_ASSIGN_OR_RETURN(profile::Profile p, profile::load_profile(cpu_profile));
      d.cost = std::make_shared<const profile::CostModel>(std::move(p));
      d.threads_per_stream = 1;  // a CPU stream is one worker thread
    } else {
      TOP_ASSIGN_OR_RETURN(profile::DeviceSpec spec, profile::device_by_name(n));
      d.cost = std::make_shared<const profile::CostModel>(spec);
    }
    out.push_back(std::move(d));
  }
  if (out.empty()) return InvalidArgument("no devices given");
  return out;
}

Result<NamedPlan> plan_onnx(const std::string& path, const std::string& name) {
  TOP_ASSIGN_OR_RETURN(Model model, Model::load(path));
  std::vector<Shape> shapes;
  for (const TensorInfo& t : model.inputs()) {
    Shape s = t.shape;
    for (auto& d : s) d = d < 0 ? 1 : d;
    shapes.push_back(s);
  }
  TOP_ASSIGN_OR_RETURN(auto plan, exec::make_plan(model.graph(), shapes));
  return NamedPlan{name, plan};
}

Result<GpgInstance> make_gpg_instance(const NamedPlan& plan, int k, const GpgDevice& device, int streams) {
  GpgInstance in;
  in.name = plan.name + " k=" + std::to_string(k) + " " + device.name + " x" + std::to_string(streams);
  in.graph = exec::TaskGraph::build(plan.plan, k);
  in.device = device;
  in.streams = streams;
  in.options = sched::cost_model_options(device.cost, plan.plan, device.threads_per_stream);
  in.options.max_groups = streams;
  TOP_ASSIGN_OR_RETURN(in.features, graph_features(in.graph, *device.cost, streams, device.threads_per_stream));
  TOP_ASSIGN_OR_RETURN(exec::Schedule seq, sched::sequential_schedule(in.graph, in.options));
  TOP_ASSIGN_OR_RETURN(exec::Schedule greedy, sched::greedy_schedule(in.graph, in.options));
  TOP_ASSIGN_OR_RETURN(in.sequential_ms, predicted_schedule_ms(*device.cost, seq, streams, device.threads_per_stream));
  TOP_ASSIGN_OR_RETURN(in.greedy_ms, predicted_schedule_ms(*device.cost, greedy, streams, device.threads_per_stream));
  return in;
}

Status add_ios_dp(GpgInstance& in) {
  const auto t0 = std::chrono::steady_clock::now();
  TOP_ASSIGN_OR_RETURN(exec::Schedule s, sched::make_schedule("ios-dp", in.graph, in.options));
  in.ios_dp_time_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  TOP_ASSIGN_OR_RETURN(in.ios_dp_ms,
                       predicted_schedule_ms(*in.device.cost, s, in.streams, in.device.threads_per_stream));
  return Status::Ok();
}

namespace {

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

Result<NamedPlan> synthetic(uint64_t seed, bool include_large) {
  SyntheticGraphSpec spec = synthetic_suite(seed, 1, include_large).front();
  TOP_ASSIGN_OR_RETURN(auto plan, synthetic_plan(spec));
  return NamedPlan{spec.name(), plan};
}

}  // namespace

Result<GpgInstance> draw_training_instance(const CurriculumOptions& c, std::mt19937_64& rng) {
  if (c.devices.empty() || c.ks.empty() || c.min_streams < 1 || c.max_streams < c.min_streams)
    return InvalidArgument("curriculum: no devices, no k, or a bad stream range");
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int k = pick(c.ks, rng);
    const int streams = std::uniform_int_distribution<int>(c.min_streams, c.max_streams)(rng);
    const GpgDevice& device = pick(c.devices, rng);
    NamedPlan plan;
    if (!c.zoo.empty() && std::uniform_real_distribution<double>(0, 1)(rng) < c.zoo_share) {
      plan = pick(c.zoo, rng);
    } else {
      const uint64_t seed = std::uniform_int_distribution<uint64_t>(0, kHeldOutFirstSeed - 1)(rng);
      TOP_ASSIGN_OR_RETURN(plan, synthetic(seed, c.include_large));
    }
    if (static_cast<int>(plan.plan->steps.size()) * k > c.max_nodes) continue;
    return make_gpg_instance(plan, k, device, streams);
  }
  return InvalidArgument("curriculum: every drawn instance exceeds max_nodes " + std::to_string(c.max_nodes));
}

Result<std::vector<GpgInstance>> held_out_instances(const CurriculumOptions& c, int synthetic_count, bool every_device) {
  if (c.devices.empty() || c.ks.empty()) return InvalidArgument("curriculum: no devices or no k");
  std::vector<GpgInstance> out;
  for (int i = 0; i < synthetic_count; ++i) {
    const uint64_t seed = kHeldOutFirstSeed + static_cast<uint64_t>(i);
    std::mt19937_64 rng(seed);
    const int k = pick(c.ks, rng);
    const int streams = std::uniform_int_distribution<int>(c.min_streams, c.max_streams)(rng);
    const GpgDevice& device = pick(c.devices, rng);
    TOP_ASSIGN_OR_RETURN(NamedPlan plan, synthetic(seed, c.include_large));
    TOP_ASSIGN_OR_RETURN(GpgInstance in, make_gpg_instance(plan, k, device, streams));
    out.push_back(std::move(in));
  }
  // Each zoo model at each k, on the devices in turn (every device when all=true).
  for (size_t z = 0; z < c.zoo.size(); ++z)
    for (size_t ki = 0; ki < c.ks.size(); ++ki)
      for (size_t d = 0; d < c.devices.size(); ++d) {
        if (!every_device && d != (z + ki) % c.devices.size()) continue;
        TOP_ASSIGN_OR_RETURN(GpgInstance in, make_gpg_instance(c.zoo[z], c.ks[ki], c.devices[d], 2));
        out.push_back(std::move(in));
      }
  return out;
}

}  // namespace top::rl

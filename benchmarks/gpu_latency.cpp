// Single-task GPU latency of the zoo models (full size) on the CUDA backend, for each
// batch size:
//   sequential   every operator on one stream (the sequential schedule)
//   greedy-S     the greedy multi-stream schedule with at most S concurrent groups
//   +graph       the same instance captured once into a CUDA graph and replayed
// Each figure is the median (and p10/p90) of `repeat` timed ScheduleInstance::run()
// calls after `warmup` untimed ones: steady-clock wall time around enqueue + wait, so
// launch overhead is part of the latency, as a task sees it. TF32 is off (the backend's
// default), so float32 math matches the CPU reference.
// Memory per model and batch: the plan's arena_bytes (one task's activations in plan
// order), device_bytes() of a one-task instance (arenas, inputs, outputs), the extra
// device_bytes of a two-task merged instance (what one more task in flight costs), and
// the weights uploaded for the plan (shared by every instance).
//
//   gpu_latency [--models-dir DIR] [--models a,b] [--batches 1,8] [--streams 2,3,4]
//               [--repeat 30] [--warmup 5] [--json FILE] [--md FILE]
//   gpu_latency --render FILE      the markdown table of an earlier --json FILE
//
// Exit status: 0 when every configuration ran, 1 when some failed (their rows say why),
// 2 without a usable GPU or on bad arguments.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "exec/plan.h"
#include "exec/schedule.h"
#include "sched/generators.h"
#include "top/model.h"
#include "util/split.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

struct Args {
  std::string models_dir = std::string(TOP_BUILD_DIR) + "/models";
  std::vector<std::string> models;  // empty: every full-size model of models/zoo.json
  std::vector<int> batches = {1, 8};
  std::vector<int> streams = {2, 3, 4};
  int repeat = 30, warmup = 5;
  std::string json_out, md_out;
  std::string render;  // only print the table of an earlier --json file (no GPU needed)
};

using top::split_list;

std::vector<int> split_ints(const std::string& s) {
  std::vector<int> out;
  for (const std::string& x : split_list(s)) out.push_back(std::atoi(x.c_str()));
  return out;
}

bool parse(int argc, char** argv, Args& a) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--help" || k == "-h" || i + 1 >= argc) return false;
    std::string v = argv[++i];
    if (k == "--models-dir") a.models_dir = v;
    else if (k == "--models") a.models = split_list(v);
    else if (k == "--batches") a.batches = split_ints(v);
    else if (k == "--streams") a.streams = split_ints(v);
    else if (k == "--repeat") a.repeat = std::atoi(v.c_str());
    else if (k == "--warmup") a.warmup = std::atoi(v.c_str());
    else if (k == "--json") a.json_out = v;
    else if (k == "--md") a.md_out = v;
    else if (k == "--render") a.render = v;
    else return false;
  }
  auto positive = [](const std::vector<int>& v) {
    return !v.empty() && std::all_of(v.begin(), v.end(), [](int x) { return x >= 1; });
  };
  return a.repeat >= 1 && a.warmup >= 0 && positive(a.batches) && positive(a.streams);
}

std::vector<std::string> full_zoo_models() {
  std::vector<std::string> names;
  std::ifstream f(std::string(TOP_SOURCE_DIR) + "/models/zoo.json");
  json manifest = json::parse(f, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded()) return names;
  for (const auto& m : manifest["models"])
    if (!m.value("small", true)) names.push_back(m.value("name", ""));
  return names;
}

std::vector<top::Tensor> random_inputs(const top::Model& model, int batch) {
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<top::Tensor> out;
  for (const top::TensorInfo& info : model.inputs()) {
    top::Shape shape = info.shape;
    for (size_t d = 0; d < shape.size(); ++d)
      if (shape[d] < 0) shape[d] = d == 0 ? batch : 1;
    top::Tensor t = top::Tensor::zeros(info.dtype, shape);
    if (info.dtype == top::DataType::kFloat32)
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(rng);
    out.push_back(std::move(t));
  }
  return out;
}

struct Timing {
  double median = 0, p10 = 0, p90 = 0;
};

top::Result<Timing> time_runs(top::cuda::ScheduleInstance& inst, int warmup, int repeat) {
  for (int i = 0; i < warmup; ++i) TOP_RETURN_IF_ERROR(inst.run());
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    auto t0 = Clock::now();
    TOP_RETURN_IF_ERROR(inst.run());
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) { return ms[static_cast<size_t>(q * static_cast<double>(ms.size() - 1) + 0.5)]; };
  return Timing{at(0.5), at(0.1), at(0.9)};
}

// One model at one batch: every schedule, plain and captured, plus the memory figures.
json bench_model(top::cuda::CudaBackend& be, const top::Model& model, int batch, const Args& a) {
  json row = {{"batch", batch}};
  std::vector<top::Tensor> inputs = random_inputs(model, batch);
  std::vector<top::Shape> shapes;
  std::vector<const top::Tensor*> ptrs;
  for (const top::Tensor& t : inputs) {
    shapes.push_back(t.shape());
    ptrs.push_back(&t);
  }
  auto plan = top::exec::make_plan(model.graph(), shapes);
  if (!plan.ok()) {
    row["error"] = plan.status().to_string();
    return row;
  }
  row["arena_bytes"] = (*plan)->arena_bytes;
  row["steps"] = (*plan)->steps.size();
  const size_t weights_before = be.memory_stats().weights_bytes;

  std::vector<std::pair<std::string, int>> configs = {{"sequential", 1}};
  for (int s : a.streams) configs.push_back({"greedy", s});
  for (const auto& [generator, streams] : configs) {
    const std::string name = generator == "sequential" ? generator : generator + "-" + std::to_string(streams);
    json& r = row["schedules"][name];
    top::sched::GeneratorOptions opts;
    opts.max_groups = streams;
    auto schedule = top::sched::make_schedule(generator, top::exec::TaskGraph::build(*plan, 1), opts);
    if (!schedule.ok()) {
      r["error"] = schedule.status().to_string();
      continue;
    }
    r["stages"] = schedule->stages.size();
    r["groups"] = schedule->num_groups();
    auto inst = be.prepare(*schedule, {ptrs});
    if (!inst.ok()) {
      r["error"] = inst.status().to_string();
      continue;
    }
    if (generator == "sequential") {
      row["instance_bytes"] = (*inst)->device_bytes();
      row["weights_bytes"] = be.memory_stats().weights_bytes - weights_before;
    }
    for (bool graph : {false, true}) {
      if (graph) {
        top::Status s = (*inst)->capture_graph();
        if (!s.ok()) {
          r["graph_error"] = s.to_string();
          continue;
        }
      }
      auto t = time_runs(**inst, a.warmup, a.repeat);
      const char* key = graph ? "graph" : "plain";
      if (t.ok())
        r[key] = {{"median_ms", t->median}, {"p10_ms", t->p10}, {"p90_ms", t->p90}};
      else
        r[std::string(key) + "_error"] = t.status().to_string();
    }
  }
  // What one more task in flight costs: a two-task merged instance against one task.
  top::sched::GeneratorOptions opts;
  opts.max_groups = a.streams.back();
  auto two = top::sched::make_schedule("greedy", top::exec::TaskGraph::build(*plan, 2), opts);
  if (two.ok()) {
    auto inst = be.prepare(*two, {ptrs, ptrs});
    if (inst.ok()) row["two_task_instance_bytes"] = (*inst)->device_bytes();
  }
  return row;
}

// Median ms of schedule `name`'s `key` ("plain" or "graph") timing; 0 when it has none.
double get_ms(const json& schedules, const std::string& name, const char* key) {
  if (!schedules.contains(name) || !schedules[name].contains(key)) return 0.0;
  return schedules[name][key].value("median_ms", 0.0);
}

std::string markdown(const json& doc) {
  std::vector<int> streams = doc.value("streams", std::vector<int>{});
  std::ostringstream md;
  md << "GPU: " << doc["device"].get<std::string>() << "  \n"
     << "median ms of " << doc["repeat"] << " runs after " << doc["warmup"] << " warm-up runs; fp32, TF32 off\n\n"
     << "| model | batch | sequential |";
  for (int s : streams) md << " greedy-" << s << " |";
  md << " best multi vs seq | seq +graph | best greedy +graph | arena MB | instance MB | +1 task MB | weights MB |\n|---|---|---|";
  for (size_t i = 0; i < streams.size(); ++i) md << "---|";
  md << "---|---|---|---|---|---|---|\n";
  char buf[64];
  auto num = [&](double v, const char* fmt = "%.3f") {
    if (v <= 0) return std::string("-");
    std::snprintf(buf, sizeof buf, fmt, v);
    return std::string(buf);
  };
  for (const json& r : doc["results"]) {
    md << "| " << r["model"].get<std::string>() << " | " << r["batch"] << " | ";
    if (r.contains("error")) {
      md << "error: " << r["error"].get<std::string>() << " |\n";
      continue;
    }
    const json sc = r.value("schedules", json::object());
    double seq = get_ms(sc, "sequential", "plain"), best = 0, best_graph = 0;
    md << num(seq) << " |";
    for (int s : streams) {
      const std::string name = "greedy-" + std::to_string(s);
      double ms = get_ms(sc, name, "plain"), gms = get_ms(sc, name, "graph");
      md << " " << (sc.contains(name) && sc[name].contains("error") ? "error" : num(ms)) << " |";
      if (ms > 0 && (best == 0 || ms < best)) best = ms;
      if (gms > 0 && (best_graph == 0 || gms < best_graph)) best_graph = gms;
    }
    md << " " << (best > 0 && seq > 0 ? num(seq / best, "%.2fx") : "-") << " | " << num(get_ms(sc, "sequential", "graph"))
       << " | " << num(best_graph) << " | " << num(r.value("arena_bytes", 0.0) / 1e6, "%.1f") << " | "
       << num(r.value("instance_bytes", 0.0) / 1e6, "%.1f") << " | "
       << num((r.value("two_task_instance_bytes", 0.0) - r.value("instance_bytes", 0.0)) / 1e6, "%.1f") << " | "
       << num(r.value("weights_bytes", 0.0) / 1e6, "%.1f") << " |\n";
  }
  md << "\n(+1 task MB: device_bytes of a two-task merged greedy instance minus a one-task one; "
        "errors, if any, are in the JSON)\n";
  return md.str();
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  if (!parse(argc, argv, a)) {
    std::fprintf(stderr,
                 "usage: gpu_latency [--models-dir DIR] [--models a,b] [--batches 1,8] [--streams 2,3,4] "
                 "[--repeat N>=1] [--warmup N>=0] [--json FILE] [--md FILE]\n"
                 "       gpu_latency --render FILE\n");
    return 2;
  }
  if (!a.render.empty()) {
    std::ifstream f(a.render);
    json doc = json::parse(f, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded() || !doc.contains("results")) {
      std::fprintf(stderr, "gpu_latency: '%s' is not a gpu_latency JSON file\n", a.render.c_str());
      return 2;
    }
    std::fputs(markdown(doc).c_str(), stdout);
    return 0;
  }
  top::Status avail = top::cuda::device_available();
  if (!avail.ok()) {
    std::fprintf(stderr, "gpu_latency: no GPU, nothing measured: %s\n", avail.to_string().c_str());
    return 2;
  }
  auto be = top::cuda::CudaBackend::create({});
  if (!be.ok()) {
    std::fprintf(stderr, "gpu_latency: cannot create the CUDA backend: %s\n", be.status().to_string().c_str());
    return 2;
  }
  if (a.models.empty()) a.models = full_zoo_models();
  json doc = {{"device", (*be)->device_description()}, {"repeat", a.repeat}, {"warmup", a.warmup},
              {"streams", a.streams}, {"results", json::array()}};
  bool failed = false;
  for (const std::string& name : a.models) {
    const std::string path = a.models_dir + "/" + name + ".onnx";
    auto model = top::Model::load(path);
    for (int batch : a.batches) {
      json row = model.ok() ? bench_model(**be, *model, batch, a) : json{{"batch", batch}, {"error", model.status().to_string()}};
      row["model"] = name;
      failed = failed || row.dump().find("error\"") != std::string::npos;  // "error", "graph_error", ...
      std::fprintf(stderr, "gpu_latency: %s batch %d done\n", name.c_str(), batch);
      doc["results"].push_back(std::move(row));
      // Rewritten after every row: a run stopped by a time limit keeps what it measured.
      if (!a.json_out.empty()) std::ofstream(a.json_out) << doc.dump(2) << "\n";
      if (!a.md_out.empty()) std::ofstream(a.md_out) << markdown(doc);
    }
  }
  std::fputs(markdown(doc).c_str(), stdout);
  return failed ? 1 : 0;
}

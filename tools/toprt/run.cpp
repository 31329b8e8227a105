// `toprt run MODEL`: one inference (or --repeat of them) on a backend, outputs to .npy.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>

#include "commands.h"
#include "inputs.h"
#include "report.h"
#include "top/model.h"
#include "top/session.h"
#include "util/npy.h"

namespace toprt {

namespace {

struct RunArgs {
  std::string model;
  std::vector<std::string> inputs;
  std::vector<std::string> dims;
  std::string output_dir;
  std::string backend = "cpu";
  int64_t batch = 1;
  bool batch_given = false;
  int threads = 0;
  uint64_t seed = 0;
  int repeat = 1;
  int warmup = 0;
  bool profile = false;
  bool json = false;
};

void summarize(Report& r, const std::string& name, const top::Tensor& t) {
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < t.numel(); ++i) {
    double v = t.item_as_double(i);
    sum += v;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  std::string head;
  for (int64_t i = 0; i < std::min<int64_t>(t.numel(), 4); ++i) head += fmt::format("{}{:.5g}", i ? ", " : "", t.item_as_double(i));
  const double mean = t.numel() ? sum / static_cast<double>(t.numel()) : 0.0;
  r.text(fmt::format("output     {} {} {}  mean {:.6g}  min {:.6g}  max {:.6g}  first [{}]", name, top::dtype_name(t.dtype()),
                     top::shape_str(t.shape()), mean, lo, hi, head));
  r.data()["outputs"].push_back({{"name", name}, {"dtype", top::dtype_name(t.dtype())}, {"shape", t.shape()},
                                 {"mean", mean}, {"min", lo}, {"max", hi}});
}

void run_run(const RunArgs& args) {
  InputSpec spec;
  spec.batch = args.batch;
  spec.seed = args.seed;
  spec.batch_given = args.batch_given;
  for (const auto& s : args.inputs) {
    auto kv = split_assignment(s);
    if (!kv.ok()) return fail(kv.status().with_context("--input"));
    spec.files[kv->first] = kv->second;
  }
  if (top::Status st = parse_dims(args.dims, spec); !st.ok()) return fail(st);
  auto model = top::Model::load(args.model);
  if (!model.ok()) return fail(model.status());
  auto inputs = make_inputs(*model, spec);
  if (!inputs.ok()) return fail(inputs.status());
  Report r(args.json);
  const std::string random = describe_random_inputs(*model, spec, *inputs);
  if (!random.empty()) r.text(random.substr(0, random.size() - 1));
  const auto infos = model->inputs();
  for (size_t i = 0; i < infos.size(); ++i) {
    r.data()["inputs"].push_back({{"name", infos[i].name}, {"dtype", top::dtype_name((*inputs)[i].dtype())},
                                  {"shape", (*inputs)[i].shape()},
                                  {"source", spec.files.count(infos[i].name) ? spec.files.at(infos[i].name) : "random"}});
  }
  r.data()["seed"] = spec.seed;
  top::SessionOptions so;
  so.backend = args.backend;
  so.num_threads = args.threads;
  auto session = top::Session::create(*model, so);
  if (!session.ok()) return fail(session.status());

  std::vector<double> ms;
  top::Result<std::vector<top::Tensor>> outs = top::Status(top::StatusCode::kInternal, "no run");
  top::RunProfile profile;
  for (int i = 0; i < args.warmup + args.repeat; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    outs = (*session)->run(*inputs, args.profile && i == args.warmup + args.repeat - 1 ? &profile : nullptr);
    auto t1 = std::chrono::steady_clock::now();
    if (!outs.ok()) return fail(outs.status());
    if (i >= args.warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  auto out_infos = model->outputs();
  for (size_t i = 0; i < outs->size(); ++i) summarize(r, out_infos[i].name, (*outs)[i]);
  std::sort(ms.begin(), ms.end());
  std::vector<top::Shape> shapes;
  for (const auto& t : *inputs) shapes.push_back(t.shape());
  auto info = (*session)->plan_info(shapes);
  r.text(fmt::format("latency    median {:.3f} ms  min {:.3f} ms  over {} runs ({} warm-up), backend {} with {} threads",
                     ms[ms.size() / 2], ms.front(), ms.size(), args.warmup, args.backend, (*session)->num_threads()));
  r.data()["latency"] = {{"median_ms", ms[ms.size() / 2]}, {"min_ms", ms.front()}, {"runs", ms.size()},
                         {"warmup", args.warmup}, {"backend", args.backend}, {"threads", (*session)->num_threads()}};
  if (info.ok()) {
    r.text(fmt::format("memory     activations {:.2f} MiB peak, {} operators, {:.3f} GFLOP",
                       static_cast<double>(info->activation_bytes) / (1 << 20), info->steps, info->flops / 1e9));
    r.data()["memory"] = {{"activation_bytes", info->activation_bytes}, {"steps", info->steps}, {"gflop", info->flops / 1e9}};
  }
  if (args.profile) {
    std::map<std::string, double> by_type;
    for (const auto& op : profile.ops) by_type[op.op_type] += op.microseconds;
    std::vector<std::pair<double, std::string>> sorted;
    for (const auto& [t, us] : by_type) sorted.push_back({us, t});
    std::sort(sorted.rbegin(), sorted.rend());
    for (const auto& [us, t] : sorted) {
      r.text(fmt::format("profile    {:<22} {:9.3f} ms", t, us / 1000));
      r.data()["profile_ms"][t] = us / 1000;
    }
  }
  if (!args.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(args.output_dir, ec);
    if (ec) return fail(top::InvalidArgument("cannot create --output-dir '" + args.output_dir + "': " + ec.message()));
    for (size_t i = 0; i < outs->size(); ++i) {
      std::string path = args.output_dir + "/" + top::npy::file_stem(out_infos[i].name) + ".npy";
      top::Status s = top::npy::save(path, (*outs)[i]);
      if (!s.ok()) return fail(s);
    }
    r.text(fmt::format("wrote      {} outputs to {}", outs->size(), args.output_dir));
    r.data()["output_dir"] = args.output_dir;
  }
  r.finish();
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model once (random inputs unless given) and write its outputs");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--input", args->inputs, "NAME=FILE.npy (repeatable); others are random");
  cmd->add_option("--dim", args->dims, "NAME=VALUE for a symbolic dimension (repeatable)");
  cmd->add_option("--output-dir", args->output_dir, "write each output as NAME.npy here");
  CLI::Option* batch = cmd->add_option("--batch", args->batch, "batch size for random inputs' symbolic first dim")
                           ->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--threads", args->threads, "intra-op threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--backend", args->backend, "backend: cpu");
  cmd->add_option("--seed", args->seed, "seed of the random inputs");
  cmd->add_option("--repeat", args->repeat, "timed runs")->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->check(CLI::Range(0, 100000));
  cmd->add_flag("--profile", args->profile, "print time per operator type (last run)");
  cmd->add_flag("--json", args->json, "print one JSON object instead of text");
  cmd->callback([args, batch] {
    args->batch_given = batch->count() > 0;
    run_run(*args);
  });
}

}  // namespace toprt

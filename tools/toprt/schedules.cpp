// `toprt schedules MODEL`: the schedule generators side by side on one model.
//
// For k in --ks (k task graphs merged into one instance) and each generator
// (sequential, greedy, ios-dp), prints: the time the generator took, stages and
// groups, merged-convolution groups, the latency predicted by the cost model, and the
// latency measured by running the schedule on the CPU stage executor (--streams
// one-thread streams, median of --repeat runs). With --device (e.g. h100-sxm) it also
// generates and predicts the schedules for that device's description. The cost model
// uses a profile of this model measured first on this machine (or --profile FILE).
// The table shows whether parallelism pays here: a generator never predicts slower
// than sequential (it falls back), and the measured column says whether that held.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "backend/sim/virtual_executor.h"
#include "commands.h"
#include "exec/plan.h"
#include "exec/schedule.h"
#include "inputs.h"
#include "profile/cost_model.h"
#include "profile/device.h"
#include "profile/profiler.h"
#include "runtime/executor_calibration.h"
#include "runtime/stage_executor.h"
#include "sched/cost_options.h"
#include "sched/generators.h"
#include "top/model.h"
#include "util/median.h"
#include "util/split.h"

namespace toprt {

namespace {

using Clock = std::chrono::steady_clock;

struct SchedulesArgs {
  std::string model;
  std::string ks = "1,2,4";
  std::string generators = "sequential,greedy,ios-dp";
  int streams = 2;
  int repeat = 7;
  int64_t batch = 1;
  std::string profile;
  std::string device;
  std::string markdown_out;
  bool no_measure = false;
};

using top::split_list;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

// Median wall time of running the schedule's k tasks as one instance on `ex`.
top::Result<double> measure(const std::shared_ptr<const top::exec::CompiledSchedule>& cs,
                            const std::vector<top::Tensor>& inputs, top::runtime::StageExecutor& ex, int repeat) {
  std::vector<double> times;
  std::vector<top::exec::Arena> arenas;
  for (int r = 0; r < repeat + 1; ++r) {  // the first run warms up
    TOP_ASSIGN_OR_RETURN(double ms, top::runtime::run_instance_ms(ex, cs, inputs, arenas));
    if (r > 0) times.push_back(ms);
  }
  return top::median(times);
}

int merged_groups(const top::exec::Schedule& s) {
  int n = 0;
  for (const auto& st : s.stages)
    for (const auto& g : st.groups) n += g.merged ? 1 : 0;
  return n;
}

void run_schedules(const SchedulesArgs& args) {
  namespace tp = top::profile;
  InputSpec spec;
  spec.batch = args.batch;
  auto pm = load_and_plan(args.model, spec);
  if (!pm.ok()) return fail(pm.status());
  const std::vector<const top::Tensor*> ptrs = pm->input_ptrs();
  const auto& plan = pm->plan;
  const auto& inputs = pm->inputs;
  std::vector<int> ks;
  for (const auto& k : split_list(args.ks)) {
    auto v = parse_integer(k, 1, kMaxTasksPerInstance, "--ks");
    if (!v.ok()) return fail(v.status());
    ks.push_back(static_cast<int>(*v));
  }
  if (ks.empty()) return fail(top::InvalidArgument("--ks: no value given"));
  const std::vector<std::string> gens = split_list(args.generators);

  // The CPU cost model: a profile of this very model, measured at one thread (a stream).
  tp::Profile profile;
  if (!args.profile.empty()) {
    auto p = tp::load_profile(args.profile);
    if (!p.ok()) return fail(p.status());
    profile = std::move(p).value();
  } else {
    tp::ProfilerOptions po;
    po.threads = 1;
    po.repeat = 5;
    po.warmup = 1;
    po.model_name = std::filesystem::path(args.model).stem().string();
    auto run = tp::profile_plan(*plan, ptrs, po);
    if (!run.ok()) return fail(run.status());
    profile = std::move(run->profile);
    top::Status st = top::runtime::calibrate_executor(profile, plan, inputs, args.streams);
    if (!st.ok()) return fail(st);
  }
  auto cpu = std::make_shared<const tp::CostModel>(profile);
  std::shared_ptr<const tp::CostModel> other;
  if (!args.device.empty()) {
    auto d = tp::device_by_name(args.device);
    if (!d.ok()) return fail(d.status());
    other = std::make_shared<const tp::CostModel>(*d);
  }

  top::runtime::StageExecutor ex(args.streams, 1, nullptr, nullptr);
  std::string name = std::filesystem::path(args.model).stem().string();
  std::string table = fmt::format(
      "| model | k | generator | gen ms | stages | groups | merged | predicted ms | measured ms | vs sequential |{}\n"
      "|---|---|---|---|---|---|---|---|---|---|{}\n",
      other ? fmt::format(" {} predicted ms | {} generator ms |", args.device, args.device) : "",
      other ? "---|---|" : "");
  // Per-step estimates once per device, shared by every k and generator.
  top::sched::GeneratorOptions go = top::sched::cost_model_options(cpu, plan, 1);
  go.max_groups = args.streams;
  top::sched::GeneratorOptions gd;
  if (other) gd = top::sched::cost_model_options(other, plan, 0);
  gd.max_groups = args.streams;
  const top::backend::sim::StreamDispatch cpu_dispatch = top::backend::sim::default_dispatch(*cpu, args.streams, 1);
  const top::backend::sim::StreamDispatch other_dispatch =
      other ? top::backend::sim::default_dispatch(*other, args.streams, 1) : top::backend::sim::StreamDispatch{};
  const size_t total = ks.size() * gens.size();
  size_t done = 0;
  for (int k : ks) {
    top::exec::TaskGraph tg = top::exec::TaskGraph::build(plan, k);
    double seq_measured = 0;
    for (const std::string& gen : gens) {
      // Progress on stderr: the table on stdout stays clean for scripts.
      fmt::print(stderr, "schedules: k={} {} ({}/{})\n", k, gen, ++done, total);
      auto t0 = Clock::now();
      auto s = top::sched::make_schedule(gen, tg, go);
      const double gen_ms = ms_since(t0);
      if (!s.ok()) return fail(s.status());
      auto cs = top::exec::CompiledSchedule::compile(*s);
      if (!cs.ok()) return fail(cs.status());
      // The simulator's event-driven prediction (groups start when their producers are
      // done), the one the fidelity test checks.
      const double predicted = top::backend::sim::predict_schedule_ms(*cpu, *cs, args.streams, 1, cpu_dispatch);
      double measured = 0;
      if (!args.no_measure) {
        auto m = measure(*cs, inputs, ex, args.repeat);
        if (!m.ok()) return fail(m.status());
        measured = *m;
        if (gen == "sequential") seq_measured = measured;
      }
      std::string other_cols;
      if (other) {
        auto t1 = Clock::now();
        auto sd = top::sched::make_schedule(gen, tg, gd);
        const double gd_ms = ms_since(t1);
        if (!sd.ok()) return fail(sd.status());
        auto csd = top::exec::CompiledSchedule::compile(*sd);
        if (!csd.ok()) return fail(csd.status());
        const double pd = top::backend::sim::predict_schedule_ms(*other, *csd, args.streams, 1, other_dispatch);
        other_cols = fmt::format(" {:.3f} | {:.1f} |", pd, gd_ms);
      }
      const std::string vs = seq_measured > 0 && measured > 0 ? fmt::format("{:.2f}x", seq_measured / measured) : "-";
      table += fmt::format("| {} | {} | {} | {:.1f} | {} | {} | {} | {:.2f} | {} | {} |{}\n", name, k, s->generator,
                           gen_ms, s->stages.size(), s->num_groups(), merged_groups(*s), predicted,
                           args.no_measure ? std::string("-") : fmt::format("{:.2f}", measured), vs, other_cols);
    }
  }
  fmt::print("{}", table);
  if (!args.markdown_out.empty()) {
    // Appending to a table: rows only, under the header already there.
    std::error_code ec;
    const auto size = std::filesystem::file_size(args.markdown_out, ec);
    const bool has_header = !ec && size > 0;
    std::ofstream out(args.markdown_out, std::ios::app);
    if (!out) return fail(top::NotFound("cannot write '" + args.markdown_out + "'"));
    out << (has_header ? table.substr(table.find('\n', table.find('\n') + 1) + 1) : table);
  }
}

}  // namespace

void add_schedules_command(CLI::App& app) {
  auto args = std::make_shared<SchedulesArgs>();
  auto* cmd = app.add_subcommand("schedules", "Compare schedule generators on one model: predicted and measured latency");
  cmd->add_option("model", args->model, "ONNX model")->required();
  cmd->add_option("--ks", args->ks, "task graphs merged per instance, comma-separated");
  cmd->add_option("--generators", args->generators, "comma-separated: sequential, greedy, ios-dp");
  cmd->add_option("--streams", args->streams, "streams (one thread each) and max groups per stage")->check(CLI::Range(1, 256));
  cmd->add_option("--repeat", args->repeat, "timed runs per schedule (median)")->check(CLI::Range(1, 100000));
  cmd->add_option("--batch", args->batch, "batch size of each task")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--profile", args->profile, "device profile JSON (default: profile this model first)");
  cmd->add_option("--device", args->device, std::string("also predict for this device description: ") + kDeviceNames);
  cmd->add_option("--markdown-out", args->markdown_out, "append the table (rows only if the file has some) to this file");
  cmd->add_flag("--no-measure", args->no_measure, "predict only");
  cmd->callback([args] { run_schedules(*args); });
}

}  // namespace toprt

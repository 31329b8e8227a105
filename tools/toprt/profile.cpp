// `toprt profile MODEL [--backend cuda --device h100-sxm]`: measures every operator on
// a backend (CPU: also the co-run slow-down of two streams), prints measured vs
// analytical (roofline) time per operator type, and writes or extends a device profile
// JSON for the cost model.
#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <memory>

#include "commands.h"
#include "backend/backend.h"
#include "exec/plan.h"
#include "inputs.h"
#include "report.h"
#include "profile/cost_model.h"
#include "profile/profiler.h"
#include "runtime/executor_calibration.h"
#include "top/model.h"

namespace toprt {

namespace {

struct ProfileArgs {
  std::string model;
  int64_t batch = 1;
  int threads = 0;
  int repeat = 20;
  int warmup = 3;
  uint64_t seed = 0;
  std::string out;
  bool merge = false;
  bool no_concurrency = false;
  bool json = false;
  std::string backend = "cpu";
  std::string device;
};

struct TypeRow {
  int count = 0;
  double flops = 0, measured = 0, predicted = 0, measured1 = 0, predicted1 = 0;
};

void run_profile(const ProfileArgs& args) {
  namespace tp = top::profile;
  InputSpec spec;
  spec.batch = args.batch;
  spec.seed = args.seed;
  auto pm = load_and_plan(args.model, spec);
  if (!pm.ok()) return fail(pm.status());
  const std::vector<const top::Tensor*> ptrs = pm->input_ptrs();
  const auto& plan = pm->plan;

  tp::ProfilerOptions opts;
  std::unique_ptr<top::backend::Backend> backend;
  if (args.backend == "sim")
    return fail(top::InvalidArgument("--backend sim: the simulated backend's times come from a profile, not a measurement"));
  if (args.backend != "cpu") {
    if (args.device.empty())
      return fail(top::InvalidArgument("--backend " + args.backend + " needs --device (e.g. h100-sxm): the profile's device"));
    auto dev = tp::device_by_name(args.device);
    if (!dev.ok()) return fail(dev.status());
    auto be = top::backend::create_backend(args.backend, {});
    if (!be.ok()) return fail(be.status());
    backend = std::move(be).value();
    opts.backend = backend.get();
    opts.device = *dev;
  }
  opts.threads = args.threads;
  opts.repeat = args.repeat;
  opts.warmup = args.warmup;
  opts.concurrency = !args.no_concurrency;
  opts.model_name = std::filesystem::path(args.model).stem().string();
  if (args.batch != 1) opts.model_name += "@batch" + std::to_string(args.batch);
  auto run = tp::profile_plan(*plan, ptrs, opts);
  if (!run.ok()) return fail(run.status());
  if (!backend) {  // the CPU stage executor: group cost, wake-up, in-schedule co-run
    top::Status st = top::runtime::calibrate_executor(run->profile, plan, pm->inputs, 2, opts.concurrency);
    if (!st.ok()) return fail(st);
  }

  const tp::DeviceSpec& dev = run->profile.device;
  Report rep(args.json);
  rep.text(fmt::format("device     {} ({})", dev.name, dev.description));
  rep.text(fmt::format("           SGEMM {:.1f} GFLOP/s per core, copy {:.1f} GB/s, dispatch {:.1f} us  [{}]",
                       dev.peak_fp32_flops / dev.compute_units / 1e9, dev.memory_bandwidth / 1e9,
                       dev.launch_overhead_s * 1e6, dev.measured ? "measured" : "assumed"));
  rep.data()["device"] = {{"name", dev.name}, {"description", dev.description},
                          {"sgemm_gflops_per_core", dev.peak_fp32_flops / dev.compute_units / 1e9},
                          {"copy_gb_per_s", dev.memory_bandwidth / 1e9}, {"dispatch_us", dev.launch_overhead_s * 1e6},
                          {"measured", dev.measured}};

  // Analytical only: the calibrated device, no measurements.
  tp::CostModel analytical(dev);
  std::map<std::string, TypeRow> rows;
  const auto& steps = plan->steps;
  for (size_t i = 0; i < steps.size(); ++i) {
    tp::OpWork w = tp::describe_step(*plan, steps[i]);
    TypeRow& r = rows[steps[i].op ? w.op_type + "+fused" : w.op_type];
    ++r.count;
    r.flops += w.flops;
    r.measured += run->steps[i].ms;
    r.predicted += analytical.roofline_ms(w, run->threads);
    if (!run->steps_1thread.empty()) {
      r.measured1 += run->steps_1thread[i].ms;
      r.predicted1 += analytical.roofline_ms(w, 1);
    }
  }
  bool one = !run->steps_1thread.empty();
  std::string header = fmt::format("\n{:<20} {:>5} {:>9} {:>11} {:>11} {:>7}", "op type", "count", "GFLOP",
                                   fmt::format("meas@{}t ms", run->threads), "roofline ms", "ratio");
  if (one) header += fmt::format(" {:>10} {:>11} {:>7}", "meas@1t ms", "roofline ms", "ratio");
  rep.text(header);
  const auto row_json = [&](const TypeRow& r) {
    nlohmann::json j = {{"count", r.count}, {"gflop", r.flops / 1e9}, {"measured_ms", r.measured},
                        {"roofline_ms", r.predicted}};
    if (one) j.update({{"measured_1thread_ms", r.measured1}, {"roofline_1thread_ms", r.predicted1}});
    return j;
  };
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [t, r] : rows) order.push_back({r.measured, t});
  std::sort(order.rbegin(), order.rend());
  TypeRow total;
  for (const auto& [m, t] : order) {
    const TypeRow& r = rows[t];
    total.count += r.count;
    total.flops += r.flops;
    total.measured += r.measured;
    total.predicted += r.predicted;
    total.measured1 += r.measured1;
    total.predicted1 += r.predicted1;
    std::string line = fmt::format("{:<20} {:>5} {:>9.4f} {:>11.4f} {:>11.4f} {:>7.2f}", t, r.count, r.flops / 1e9,
                                   r.measured, r.predicted, r.measured > 0 ? r.predicted / r.measured : 0.0);
    if (one)
      line += fmt::format(" {:>10.4f} {:>11.4f} {:>7.2f}", r.measured1, r.predicted1,
                          r.measured1 > 0 ? r.predicted1 / r.measured1 : 0.0);
    rep.text(line);
    rep.data()["op_types"][t] = row_json(r);
  }
  std::string total_line = fmt::format("{:<20} {:>5} {:>9.4f} {:>11.4f} {:>11.4f} {:>7.2f}", "total", total.count,
                                       total.flops / 1e9, total.measured, total.predicted,
                                       total.measured > 0 ? total.predicted / total.measured : 0.0);
  if (one)
    total_line += fmt::format(" {:>10.4f} {:>11.4f} {:>7.2f}", total.measured1, total.predicted1,
                              total.measured1 > 0 ? total.predicted1 / total.measured1 : 0.0);
  rep.text(total_line);
  rep.text(fmt::format("(ratio = roofline / measured; per-step medians over {} runs; whole run median {:.3f} ms at {} threads)",
                       args.repeat, run->run_ms, run->threads));
  rep.data()["total"] = row_json(total);
  rep.data()["run"] = {{"median_ms", run->run_ms}, {"threads", run->threads}, {"repeat", args.repeat}};

  if (!backend) {
    rep.text(fmt::format("\nstreams    stage executor overhead {:.1f} us per operator group, stream wake-up {:.1f} us",
                         1000 * run->profile.group_overhead_ms, 1000 * run->profile.stream_wake_ms));
    rep.data()["streams"] = {{"group_overhead_us", 1000 * run->profile.group_overhead_ms},
                             {"wake_up_us", 1000 * run->profile.stream_wake_ms}};
  }
  auto by_type = [](const tp::ConcurrencyMeasurement& c) {
    std::string per;
    for (const auto& [t, f] : c.by_op_type) per += fmt::format("{}{} {:.2f}", per.empty() ? "" : ", ", t, f);
    return per;
  };
  if (run->profile.has_concurrency) {
    const auto& c = run->profile.concurrency;
    rep.text(fmt::format("\nco-run     {} one-thread streams: slow-down {:.3f} beyond core sharing ({})\n           [{}]",
                         c.streams, c.pairwise_slowdown, by_type(c), c.method));
    rep.data()["co_run"] = {{"streams", c.streams}, {"slowdown", c.pairwise_slowdown}, {"by_op_type", c.by_op_type}};
  }
  if (run->profile.has_sibling_concurrency) {
    const auto& c = run->profile.sibling_concurrency;
    rep.text(fmt::format("siblings   operators of one task side by side: slow-down {:.3f} ({})\n           [{}]",
                         c.pairwise_slowdown, by_type(c), c.method));
    rep.data()["siblings"] = {{"slowdown", c.pairwise_slowdown}, {"by_op_type", c.by_op_type}};
  }
  std::string gpus;
  for (const char* name : {"h100-sxm", "h200-sxm", "a100-sxm-80gb", "jetson-agx-orin"}) {
    tp::CostModel gpu(tp::device_by_name(name).value());
    double ms = 0;
    for (const auto& s : steps) ms += gpu.op(*plan, s).ms;
    gpus += fmt::format("{}{} {:.3f} ms", gpus.empty() ? "" : ", ", name, ms);
    rep.data()["roofline_ms"][name] = ms;
  }
  rep.text(fmt::format("roofline   sequential, FP32, analytical: {}", gpus));

  if (!args.out.empty()) {
    tp::Profile out = run->profile;
    std::error_code ec;
    if (args.merge && std::filesystem::exists(args.out, ec)) {
      auto old = tp::load_profile(args.out);
      if (!old.ok()) return fail(old.status().with_context("--merge"));
      top::Status s = old->merge(out);
      if (!s.ok()) return fail(s.with_context("--merge"));
      old->created = out.created;
      old->device = out.device;  // the newest calibration
      out = std::move(*old);
    }
    top::Status s = tp::save_profile(out, args.out);
    if (!s.ok()) return fail(s);
    rep.text(fmt::format("wrote      {} ({} operator entries, models: {})", args.out, out.ops.size(), out.models.size()));
    rep.data()["wrote"] = args.out;
  }
  rep.finish();
}

}  // namespace

void add_profile_command(CLI::App& app) {
  auto args = std::make_shared<ProfileArgs>();
  CLI::App* cmd = app.add_subcommand("profile", "Measure each operator on a backend (CPU by default) and write a device profile");
  cmd->add_option("model", args->model, "ONNX model file")->required();
  cmd->add_option("--batch", args->batch, "batch size for the symbolic first dim")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--threads", args->threads, "intra-op threads (0 = all cores)")->check(CLI::Range(0, 1024));
  cmd->add_option("--repeat", args->repeat, "timed runs")->check(CLI::Range(1, 100000));
  cmd->add_option("--warmup", args->warmup, "untimed runs first")->check(CLI::Range(0, 100000));
  cmd->add_option("--seed", args->seed, "seed of the random inputs");
  cmd->add_option("--out", args->out, "write the profile JSON here");
  cmd->add_flag("--merge", args->merge, "add to the profile in --out instead of replacing it");
  cmd->add_flag("--no-concurrency", args->no_concurrency, "skip the two-stream co-run measurement");
  cmd->add_flag("--json", args->json, "print one JSON object instead of text");
  cmd->add_option("--backend", args->backend, "where to measure: cpu (default) or cuda");
  cmd->add_option("--device", args->device, std::string("the device description of a non-CPU backend: ") + kDeviceNames);
  cmd->callback([args] { run_profile(*args); });
}

}  // namespace toprt

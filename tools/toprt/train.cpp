// `toprt train gpg`: trains the GPG stage partitioner (rl/train/gpg_trainer.h) and
// writes its checkpoint. Needs a build with LibTorch (TOP_WITH_TORCH); without it the
// command exists and says so.
//   toprt train gpg --minutes 20 --out rl/checkpoints/gpg.json --curve gpg-curve.csv
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "commands.h"
#include "util/split.h"

#ifdef TOP_WITH_TORCH
#include "rl/policies/gpg_generator.h"
#include "rl/train/gpg_trainer.h"
#endif

namespace toprt {

namespace {

struct TrainGpgArgs {
  double minutes = 20;
  int episodes = 1000000;
  int samples = 8;
  int threads = 2;
  uint64_t seed = 1;
  double lr = 2e-3;
  double entropy = 0.01;
  int hidden = 32, layers = 3, head = 32;
  std::string devices = "cpu,h100-sxm,h200,a100";
  std::string cpu_profile = "profiles/cpu-amd-epyc-2c.json";
  std::string zoo = "build/models";
  std::string zoo_models = "googlenet_small,inception_v3_small,resnet50_small,randwire_small,nasnet_small,"
                           "squeezenet1_1_small,densenet121_small";
  int held_out = 24;
  int eval_every = 250;
  bool no_ios_dp = false;
  std::string out = "rl/checkpoints/gpg.json";
  std::string curve;
  std::string command;
};

using top::split_list;

#ifdef TOP_WITH_TORCH
// The source tree's commit, for the manifest ("unknown" outside a git checkout).
std::string source_commit() {
  std::string out;
  const std::string cmd = std::string("git -C '") + TOP_SOURCE_DIR + "' rev-parse HEAD 2>/dev/null";
  if (FILE* p = popen(cmd.c_str(), "r")) {
    char buf[128];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

void run_train_gpg(const TrainGpgArgs& a) {
  namespace rl = top::rl;
  rl::GpgTrainOptions o;
  o.dims = {a.hidden, a.layers, a.head};
  o.minutes = a.minutes;
  o.episodes = a.episodes;
  o.samples = a.samples;
  o.threads = a.threads;
  o.seed = a.seed;
  o.learning_rate = a.lr;
  o.entropy = a.entropy;
  o.held_out = a.held_out;
  o.eval_every = a.eval_every;
  o.held_out_ios_dp = !a.no_ios_dp;
  o.device_names = split_list(a.devices);
  o.command = a.command;
  o.source_commit = source_commit();
  o.out = a.out;
  o.curve_csv = a.curve;
  auto devices = rl::gpg_devices(o.device_names, a.cpu_profile);
  if (!devices.ok()) return fail(devices.status());
  o.curriculum.devices = *devices;
  for (const std::string& m : split_list(a.zoo_models)) {
    const std::string path = (std::filesystem::path(a.zoo) / (m + ".onnx")).string();
    auto plan = rl::plan_onnx(path, m);
    if (!plan.ok()) return fail(top::NotFound("zoo model '" + m + "': " + plan.status().message() +
                                              " (generate the zoo with scripts/zoo, or pass --zoo-models '')"));
    o.curriculum.zoo.push_back(*plan);
  }
  fmt::print("train gpg: {} devices, {} zoo models, {} held-out synthetic graphs, {:.1f} min budget, {} threads\n",
             o.curriculum.devices.size(), o.curriculum.zoo.size(), o.held_out, o.minutes, o.threads);
  auto report = rl::train_gpg(o, [](const rl::GpgTrainProgress& p) {
    std::string ev;
    if (p.eval)
      ev = fmt::format("  held-out: gpg/ios-dp {:.3f}  gpg/greedy {:.3f}  <=greedy {:.0f}%  {:.1f} ms/partition",
                       p.eval->geo_raw_vs_ios_dp, p.eval->geo_raw_vs_greedy, 100 * p.eval->raw_not_worse_than_greedy,
                       p.eval->mean_gpg_time_ms);
    fmt::print("episode {:6d}  {:6.0f} s  {:5.1f} min left  train greedy/sampled {:.3f}{}\n", p.episode, p.elapsed_s,
               p.left_s / 60, p.recent_gain, ev);
    std::fflush(stdout);
  });
  if (!report.ok()) return fail(report.status());
  const auto& b = report->best_eval;
  fmt::print("train gpg: {} episodes in {:.0f} s; kept: gpg/ios-dp {:.3f} (guarded {:.3f}), gpg/greedy {:.3f}, "
             "<=greedy {:.0f}%, worse than sequential after the guard: {}\n",
             report->episodes, report->seconds, b.geo_raw_vs_ios_dp, b.geo_vs_ios_dp, b.geo_raw_vs_greedy,
             100 * b.raw_not_worse_than_greedy, b.guarded_worse_than_sequential);
  if (!o.out.empty()) {
    top::Status st = rl::write_gpg_checkpoint(o, *report);
    if (!st.ok()) return fail(st);
    fmt::print("train gpg: wrote {}\n", o.out);
  }
}
#endif

}  // namespace

void add_train_command(CLI::App& app) {
  auto* train = app.add_subcommand("train", "Train a learned policy in the simulator (needs a LibTorch build)");
  train->require_subcommand(1);
  auto* gpg = train->add_subcommand("gpg", "Train the GPG stage partitioner (REINFORCE, priced by the simulator)");
  auto args = std::make_shared<TrainGpgArgs>();
  gpg->add_option("--minutes", args->minutes, "wall-clock budget")->check(CLI::Range(0.01, 10000.0));
  gpg->add_option("--episodes", args->episodes, "at most this many episodes")->check(CLI::Range(1, 100000000));
  gpg->add_option("--samples", args->samples, "partitions sampled per episode")->check(CLI::Range(2, 256));
  gpg->add_option("--threads", args->threads, "rollout threads")->check(CLI::Range(1, 64));
  gpg->add_option("--seed", args->seed, "random seed");
  gpg->add_option("--lr", args->lr, "Adam learning rate")->check(CLI::Range(1e-6, 1.0));
  gpg->add_option("--entropy", args->entropy, "entropy bonus")->check(CLI::Range(0.0, 10.0));
  gpg->add_option("--hidden", args->hidden, "encoder width")->check(CLI::Range(4, 512));
  gpg->add_option("--layers", args->layers, "message-passing layers")->check(CLI::Range(0, 8));
  gpg->add_option("--head", args->head, "scorer width")->check(CLI::Range(4, 512));
  gpg->add_option("--devices", args->devices, "devices to train on: cpu (the --cpu-profile) and device descriptions");
  gpg->add_option("--cpu-profile", args->cpu_profile, "the CPU profile for device 'cpu'");
  gpg->add_option("--zoo", args->zoo, "folder of the zoo's ONNX files");
  gpg->add_option("--zoo-models", args->zoo_models, "zoo models (file names without .onnx) to train and evaluate on");
  gpg->add_option("--held-out", args->held_out, "held-out synthetic graphs")->check(CLI::Range(0, 10000));
  gpg->add_option("--eval-every", args->eval_every, "episodes between held-out evaluations")->check(CLI::Range(1, 1000000));
  gpg->add_flag("--no-ios-dp", args->no_ios_dp, "do not run ios-dp on the held-out set");
  gpg->add_option("--out", args->out, "checkpoint manifest to write (the weights go next to it)");
  gpg->add_option("--curve", args->curve, "training curve CSV");
  gpg->callback([args, gpg] {
    args->command = "toprt train gpg";
#ifdef TOP_WITH_TORCH
    for (const CLI::Option* opt : gpg->get_options())
      if (opt->count() > 0 && !opt->get_name().empty() && opt->get_name() != "--help")
        for (const std::string& r : opt->results()) args->command += " " + opt->get_name() + " " + r;
    run_train_gpg(*args);
#else
    (void)gpg;
    fail(top::Unsupported("toprt was built without LibTorch: training needs it (apt-get install libtorch-dev, "
                          "reconfigure with -DTOP_WITH_TORCH=ON); the committed checkpoint still works for gpg"));
#endif
  });
}

}  // namespace toprt

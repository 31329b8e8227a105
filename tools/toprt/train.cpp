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
#include "rl/train/maddpg_trainer.h"
#include "sched/registry.h"
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

struct TrainTopArgs {
  double minutes = 20;
  int rounds = 1000000;
  int threads = 2;
  uint64_t seed = 1;
  int hidden = 64;
  std::string generators = "sequential,greedy";
  double tick_ref = 0.5;
  std::string devices = "cpu,h100-sxm";
  std::string zoo = "build/models";
  double duration = 30, gpu_duration = 4;
  int batch = 256, updates = 64, eval_every = 10, validation = 8;
  double gamma = 0.95, lr_actor = 2e-4, lr_critic = 1e-3;
  double decision_cost_us = 20;
  std::string out = "rl/checkpoints/top.json";
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

void run_train_top(const TrainTopArgs& a) {
  namespace rl = top::rl;
  rl::MaddpgOptions o;
  o.dims.hidden = a.hidden;
  o.dims.generators = split_list(a.generators);
  o.dims.tick_ref = a.tick_ref;
  for (const std::string& g : o.dims.generators)
    if (!top::sched::find_generator(g)) return fail(top::NotFound("train top: unknown generator '" + g + "'"));
  o.episodes.devices = split_list(a.devices);
  o.episodes.duration_s = a.duration;
  o.gpu_duration_s = a.gpu_duration;
  o.models_dir = a.zoo;
  o.minutes = a.minutes;
  o.max_rounds = a.rounds;
  o.threads = a.threads;
  o.seed = a.seed;
  o.learner.batch = a.batch;
  o.updates_per_round = a.updates;
  o.eval_every = a.eval_every;
  o.validation_episodes = a.validation;
  o.learner.gamma = a.gamma;
  o.learner.lr_actor = a.lr_actor;
  o.learner.lr_critic = a.lr_critic;
  o.decision_cost_ms = a.decision_cost_us / 1000;
  o.command = a.command;
  o.source_commit = source_commit();
  o.out = a.out;
  o.curve_csv = a.curve;
  fmt::print("train top: MADDPG, devices {}, generators {}, {:.1f} min budget, {} episodes side by side\n", a.devices,
             a.generators, o.minutes, o.threads);
  auto report = rl::train_maddpg(o, [](const rl::MaddpgProgress& p) {
    if (!p.eval && p.round % 5 != 0) return;
    std::string ev;
    if (p.eval)
      ev = fmt::format("  validation: goodput/best-static {:.3f} (static best single {:.3f}), reward/capacity {:.3f}",
                       p.eval->mean_normalised_goodput, p.eval->static_best_single, p.eval->mean_reward_per_capacity);
    fmt::print("round {:5d}  {:5d} episodes  {:6.0f} s  {:5.1f} min left  {:7d} transitions  train reward/capacity "
               "{:.3f}  critic loss {:.4f}  (rollouts {:.0f} s, updates {:.0f} s){}\n",
               p.round, p.episodes, p.elapsed_s, p.left_s / 60, p.transitions, p.train_reward_per_capacity,
               p.critic_loss, p.rollout_s, p.update_s, ev);
    std::fflush(stdout);
  });
  if (!report.ok()) return fail(report.status());
  fmt::print("train top: {} rounds, {} episodes, {} transitions in {:.0f} s; kept: goodput/best-static {:.3f} "
             "(static best single {:.3f}, before training {:.3f})\n",
             report->rounds, report->episodes, report->transitions, report->seconds,
             report->best_eval.mean_normalised_goodput, report->best_eval.static_best_single,
             report->first_eval.mean_normalised_goodput);
  if (!o.out.empty()) {
    top::Status st = rl::write_top_checkpoint(o, *report);
    if (!st.ok()) return fail(st);
    fmt::print("train top: wrote {}\n", o.out);
  }
}
#endif

// The command line as given, for the manifest.
std::string command_line(const std::string& head, const CLI::App* cmd) {
  std::string out = head;
  for (const CLI::Option* opt : cmd->get_options())
    if (opt->count() > 0 && !opt->get_name().empty() && opt->get_name() != "--help")
      for (const std::string& r : opt->results()) out += " " + opt->get_name() + " " + r;
  return out;
}

[[maybe_unused]] void no_torch(const std::string& what) {
  fail(top::Unsupported("toprt was built without LibTorch: training needs it (apt-get install libtorch-dev, "
                        "reconfigure with -DTOP_WITH_TORCH=ON); " + what));
}

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
    args->command = command_line("toprt train gpg", gpg);
#ifdef TOP_WITH_TORCH
    run_train_gpg(*args);
#else
    no_torch("the committed checkpoint still works for gpg");
#endif
  });

  auto* top = train->add_subcommand("top", "Train TOP's task launcher and model scheduler (MADDPG in the simulator)");
  auto targs = std::make_shared<TrainTopArgs>();
  top->add_option("--minutes", targs->minutes, "wall-clock budget")->check(CLI::Range(0.01, 10000.0));
  top->add_option("--rounds", targs->rounds, "at most this many rounds (one episode per thread each)")->check(CLI::Range(1, 100000000));
  top->add_option("--threads", targs->threads, "episodes side by side, and Torch threads")->check(CLI::Range(1, 64));
  top->add_option("--seed", targs->seed, "random seed");
  top->add_option("--hidden", targs->hidden, "actor and critic width")->check(CLI::Range(4, 1024));
  top->add_option("--generators", targs->generators, "the scheduler's schedule generators, e.g. sequential,greedy,gpg");
  top->add_option("--tick-ref", targs->tick_ref, "decision interval in units of the mean SLO")->check(CLI::Range(0.001, 10.0));
  top->add_option("--devices", targs->devices, "devices to train on: cpu and device descriptions");
  top->add_option("--zoo", targs->zoo, "folder of the zoo's ONNX files (*_small.onnx)");
  top->add_option("--duration", targs->duration, "virtual seconds per CPU episode")->check(CLI::Range(1.0, 3600.0));
  top->add_option("--gpu-duration", targs->gpu_duration, "virtual seconds per GPU episode")->check(CLI::Range(0.1, 3600.0));
  top->add_option("--batch", targs->batch, "minibatch")->check(CLI::Range(8, 65536));
  top->add_option("--updates", targs->updates, "gradient steps per round")->check(CLI::Range(1, 100000));
  top->add_option("--eval-every", targs->eval_every, "rounds between validations")->check(CLI::Range(1, 1000000));
  top->add_option("--validation", targs->validation, "validation episodes")->check(CLI::Range(1, 1000));
  top->add_option("--gamma", targs->gamma, "discount per decision tick")->check(CLI::Range(0.0, 0.999));
  top->add_option("--lr-actor", targs->lr_actor, "actor learning rate")->check(CLI::Range(1e-7, 1.0));
  top->add_option("--lr-critic", targs->lr_critic, "critic learning rate")->check(CLI::Range(1e-7, 1.0));
  top->add_option("--decision-cost-us", targs->decision_cost_us,
                  "virtual time charged per launching round for the agents' forward pass")
      ->check(CLI::Range(0.0, 1e6));
  top->add_option("--out", targs->out, "checkpoint manifest to write (the weights go next to it)");
  top->add_option("--curve", targs->curve, "training curve CSV");
  top->callback([targs, top] {
    targs->command = command_line("toprt train top", top);
#ifdef TOP_WITH_TORCH
    run_train_top(*targs);
#else
    no_torch("the committed checkpoint still works for top:ckpt=...");
#endif
  });
}

}  // namespace toprt

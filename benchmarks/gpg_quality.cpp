// GPG's quality and speed on graphs it was not trained on (docs/BENCHMARKS.md, "GPG").
//   bench_gpg_quality [--checkpoint rl/checkpoints/gpg.json] [--synthetic 48]
//                     [--devices cpu,h100-sxm,h200,a100] [--cpu-profile profiles/cpu-amd-epyc-2c.json]
//                     [--zoo build/models] [--zoo-models inception_v3,randwire,...] [--ks 1,2,4]
//                     [--markdown FILE]
// Held-out synthetic graphs (seeds from rl::kHeldOutFirstSeed, never drawn in training)
// on every device, and every zoo model at every k: GPG unguarded and guarded, greedy,
// sequential and ios-dp, predicted by the simulator's virtual executor; partition
// times of GPG (its phases) and ios-dp on one thread. Prints a markdown table and the
// summary the bar asks for.
#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "rl/curriculum/gpg_evaluation.h"
#include "rl/policies/gpg_generator.h"
#include "util/split.h"

namespace {

using top::split_list;

int die(const top::Status& s) {
  fmt::print(stderr, "error: {}\n", s.to_string());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  namespace rl = top::rl;
  std::string checkpoint = rl::default_gpg_checkpoint(), devices = "cpu,h100-sxm,h200,a100",
              cpu_profile = std::string(TOP_SOURCE_DIR) + "/profiles/cpu-amd-epyc-2c.json", zoo = "build/models",
              zoo_models = "squeezenet1_1,googlenet,inception_v3,resnet50,randwire,nasnet", ks = "1,2,4", markdown;
  int synthetic = 48;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--checkpoint") checkpoint = v;
    else if (a == "--synthetic") synthetic = std::atoi(v.c_str());
    else if (a == "--devices") devices = v;
    else if (a == "--cpu-profile") cpu_profile = v;
    else if (a == "--zoo") zoo = v;
    else if (a == "--zoo-models") zoo_models = v;
    else if (a == "--ks") ks = v;
    else if (a == "--markdown") markdown = v;
    else return die(top::InvalidArgument("unknown option " + a));
  }
  auto net = rl::load_gpg_network(checkpoint);
  if (!net.ok()) return die(net.status());
  rl::GpgGenerator gen(*net, {}, "gpg");
  auto devs = rl::gpg_devices(split_list(devices), cpu_profile);
  if (!devs.ok()) return die(devs.status());
  rl::CurriculumOptions c;
  c.devices = *devs;
  c.ks.clear();
  for (const auto& k : split_list(ks)) c.ks.push_back(std::atoi(k.c_str()));
  for (const auto& m : split_list(zoo_models)) {
    auto plan = rl::plan_onnx(zoo + "/" + m + ".onnx", m);
    if (!plan.ok()) return die(plan.status());
    c.zoo.push_back(*plan);
  }
  auto set = rl::held_out_instances(c, synthetic, /*every_device=*/true);
  if (!set.ok()) return die(set.status());
  for (auto& in : *set) {
    top::Status st = rl::add_ios_dp(in);
    if (!st.ok()) return die(st);
  }
  auto rows = rl::evaluate_gpg(gen, *set);
  if (!rows.ok()) return die(rows.status());
  rl::GpgOptions eight;
  eight.samples = 7;
  rl::GpgGenerator gen8(*net, eight, "gpg-best8");
  auto rows8 = rl::evaluate_gpg(gen8, *set);
  if (!rows8.ok()) return die(rows8.status());
  std::string table =
      "| instance | ops | gpg ms | best8 ms | guarded ms (chosen) | greedy ms | sequential ms | ios-dp ms | gpg / ios-dp | "
      "best8 / ios-dp | gpg partition ms | best8 partition ms | ios-dp partition ms |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    const auto& r8 = (*rows8)[i];
    table += fmt::format(
        "| {} | {} | {:.4f} | {:.4f} | {:.4f} ({}) | {:.4f} | {:.4f} | {:.4f} | {:.3f} | {:.3f} | {:.1f} | {:.1f} | {:.1f} |\n",
        r.name, r.nodes, r.gpg_raw_ms, r8.gpg_raw_ms, r.gpg_ms, r.chosen, r.greedy_ms, r.sequential_ms, r.ios_dp_ms,
        r.gpg_raw_ms / r.ios_dp_ms, r8.gpg_raw_ms / r.ios_dp_ms, r.gpg_time_ms, r8.gpg_time_ms, r.ios_dp_time_ms);
  }
  auto summary_of = [&](const std::string& what, const std::vector<rl::GpgEvalRow>& part) {
    const rl::GpgEvalSummary s = rl::summarize(part);
    return fmt::format(
        "{}: {} instances; geomean / ios-dp {:.3f} (guarded {:.3f}); / greedy {:.3f}; no worse than greedy on {:.0f}%; "
        "guarded worse than sequential: {}; mean partition {:.1f} ms\n",
        what, s.instances, s.geo_raw_vs_ios_dp, s.geo_vs_ios_dp, s.geo_raw_vs_greedy, 100 * s.raw_not_worse_than_greedy,
        s.guarded_worse_than_sequential, s.mean_gpg_time_ms);
  };
  std::string summary;
  for (const auto& [label, rs] : {std::pair<std::string, const std::vector<rl::GpgEvalRow>*>{"gpg", &*rows},
                                  {"gpg-best8", &*rows8}}) {
    std::vector<rl::GpgEvalRow> syn(rs->begin(), rs->begin() + synthetic), zrows(rs->begin() + synthetic, rs->end());
    summary += summary_of(label + ", synthetic held-out", syn) + summary_of(label + ", zoo", zrows) +
               summary_of(label + ", all", *rs);
  }
  // Where the time goes, on the two speed rows when present.
  for (const auto& in : *set) {
    if (in.name.rfind("inception_v3 k=1 ", 0) != 0 && in.name.rfind("randwire k=4 ", 0) != 0) continue;
    auto o = gen.partition(in.graph, in.options);
    if (!o.ok()) return die(o.status());
    summary += fmt::format("{}: features {:.1f} ms, encode {:.1f} ms, decode {:.1f} ms, price (gpg+greedy+sequential) "
                           "{:.1f} ms; ios-dp {:.0f} ms\n",
                           in.name, o->features_ms, o->encode_ms, o->decode_ms, o->price_ms, in.ios_dp_time_ms);
  }
  fmt::print("{}\n{}", table, summary);
  if (!markdown.empty()) {
    std::ofstream f(markdown);
    f << table << "\n" << summary;
  }
  return 0;
}

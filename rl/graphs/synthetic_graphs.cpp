#include "rl/graphs/synthetic_graphs.h"

#include "rl/graphs/families.h"
#include "rl/graphs/seeded_rng.h"

namespace top::rl {

namespace {

Status check_range(const char* field, int value, int lo, int hi) {
  if (value >= lo && value <= hi) return Status::Ok();
  return InvalidArgument(std::string("synthetic graph spec: ") + field + " " + std::to_string(value) +
                         " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
}

template <class T>
const T& pick(SeededRng& rng, const std::vector<T>& choices) {
  return choices[static_cast<size_t>(rng.below(static_cast<int>(choices.size())))];
}

}  // namespace

std::string SyntheticGraphSpec::name() const {
  std::string n = family + "-n" + std::to_string(size);
  if (family == "randwire") n += "-st" + std::to_string(stages);
  n += "-c" + std::to_string(channels) + "-r" + std::to_string(resolution) + "-s" + std::to_string(seed);
  if (batch != 1) n += "-b" + std::to_string(batch);
  return n;
}

Status validate(const SyntheticGraphSpec& spec) {
  if (spec.family != "randwire" && spec.family != "nasnet")
    return InvalidArgument("synthetic graph spec: unknown family '" + spec.family + "' (randwire or nasnet)");
  TOP_RETURN_IF_ERROR(check_range("size", spec.size, 2, 64));
  TOP_RETURN_IF_ERROR(check_range("stages", spec.stages, 1, 4));
  TOP_RETURN_IF_ERROR(check_range("channels", spec.channels, 4, 512));
  TOP_RETURN_IF_ERROR(check_range("resolution", spec.resolution, 8, 512));
  return check_range("batch", spec.batch, 1, 64);
}

Result<std::shared_ptr<const ir::Graph>> synthetic_graph(const SyntheticGraphSpec& spec) {
  TOP_RETURN_IF_ERROR(validate(spec));
  auto g = spec.family == "randwire" ? build_randwire(spec) : build_nasnet(spec);
  if (!g.ok()) return g.status().with_context("synthetic graph " + spec.name());
  return std::shared_ptr<const ir::Graph>(std::move(g).value());
}

Result<std::shared_ptr<const exec::ExecutionPlan>> synthetic_plan(const SyntheticGraphSpec& spec) {
  TOP_ASSIGN_OR_RETURN(auto graph, synthetic_graph(spec));
  auto plan = exec::make_plan(graph, {{spec.batch, 3, spec.resolution, spec.resolution}});
  if (!plan.ok()) return plan.status().with_context("planning synthetic graph " + spec.name());
  return plan;
}

std::vector<SyntheticGraphSpec> synthetic_suite(uint64_t first_seed, int count, bool include_large) {
  std::vector<SyntheticGraphSpec> suite;
  for (int i = 0; i < count; ++i) {
    SyntheticGraphSpec s;
    s.seed = first_seed + static_cast<uint64_t>(i);
    SeededRng rng(derive_seed(s.seed, 200));
    const bool large = include_large && rng.below(3) == 0;
    s.family = s.seed % 2 == 0 ? "randwire" : "nasnet";
    if (s.family == "randwire") {
      // About 4 steps per node and stage: n * stages in ~12..46 (large: up to 96).
      s.stages = large ? pick(rng, std::vector<int>{2, 3, 4}) : pick(rng, std::vector<int>{1, 2, 2, 3});
      const int min_nodes = large ? 48 / s.stages : std::vector<int>{12, 7, 5}[s.stages - 1];
      const int max_nodes = (large ? 96 : 46) / s.stages;
      s.size = min_nodes + rng.below(max_nodes - min_nodes + 1);
    } else {
      // 20 to 45 steps per cell, by how many of the genotype's ops are separable convs.
      s.size = large ? 6 + rng.below(4) : 3 + rng.below(3);
    }
    s.channels = pick(rng, std::vector<int>{16, 24, 32, 48, 64, 78});
    s.resolution = pick(rng, std::vector<int>{32, 64, 96, 128, 224});
    s.batch = pick(rng, std::vector<int>{1, 1, 1, 2, 4, 8});
    suite.push_back(s);
  }
  return suite;
}

}  // namespace top::rl

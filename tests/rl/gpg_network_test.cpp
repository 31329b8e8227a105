// rl/policies: the Torch-free GPG network on real graph features.
#include "rl/policies/gpg_network.h"

#include <gtest/gtest.h>

#include <random>

#include "profile/device.h"
#include "rl/graphs/synthetic_graphs.h"

namespace top::rl {
namespace {

GpgNetwork random_network(const GpgDims& dims, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.3f);
  std::vector<std::vector<float>> params;
  for (const ParamSpec& s : gpg_parameter_specs(dims)) {
    params.emplace_back(static_cast<size_t>(s.size()));
    for (float& v : params.back()) v = nd(rng);
  }
  return GpgNetwork::create(dims, std::move(params)).value();
}

struct Instance {
  exec::TaskGraph tg;
  GraphFeatures f;
};

Instance instance(uint64_t seed, int k, int streams) {
  SyntheticGraphSpec spec;
  spec.seed = seed;
  auto plan = synthetic_plan(spec).value();
  Instance in{exec::TaskGraph::build(plan, k), {}};
  profile::CostModel cm(profile::device_by_name("h100-sxm").value());
  in.f = graph_features(in.tg, cm, streams, 0).value();
  return in;
}

TEST(GpgNetwork, GreedyAndSampledDecodesAreValidAndDeterministic) {
  GpgNetwork net = random_network({}, 7);
  Instance in = instance(11, 2, 3);
  auto e = net.encode(in.f).value();
  ASSERT_EQ(e.num_nodes, in.f.num_nodes);
  auto a = decode_partition(net, e, in.tg, in.f, 3, {}, nullptr, nullptr).value();
  auto b = decode_partition(net, e, in.tg, in.f, 3, {}, nullptr, nullptr).value();
  ASSERT_TRUE(exec::validate(a).ok()) << exec::validate(a).message();
  ASSERT_EQ(a.stages.size(), b.stages.size());
  for (size_t s = 0; s < a.stages.size(); ++s) ASSERT_EQ(a.stages[s].groups.size(), b.stages[s].groups.size());
  DecodeOptions sample;
  sample.sample = true;
  std::mt19937_64 r1(5), r2(5);
  std::vector<Decision> trace;
  auto s1 = decode_partition(net, e, in.tg, in.f, 3, sample, &r1, &trace).value();
  auto s2 = decode_partition(net, e, in.tg, in.f, 3, sample, &r2, nullptr).value();
  EXPECT_TRUE(exec::validate(s1).ok());
  EXPECT_EQ(s1.stages.size(), s2.stages.size());
  ASSERT_FALSE(trace.empty());
  for (const Decision& d : trace) {
    ASSERT_EQ(d.features.size(), d.nodes.size() * kStepFeatures);
    ASSERT_LT(static_cast<size_t>(d.chosen), d.nodes.size());
  }
  EXPECT_FALSE(decode_partition(net, e, in.tg, in.f, 3, sample, nullptr, nullptr).ok());
}

TEST(GpgNetwork, RefusesWrongParameterShapesAndNonFiniteValues) {
  GpgDims dims;
  auto specs = gpg_parameter_specs(dims);
  std::vector<std::vector<float>> params;
  for (const auto& s : specs) params.emplace_back(static_cast<size_t>(s.size()), 0.1f);
  EXPECT_TRUE(GpgNetwork::create(dims, params).ok());
  auto short_one = params;
  short_one[3].pop_back();
  auto r = GpgNetwork::create(dims, short_one);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(specs[3].name), std::string::npos) << r.status().message();
  auto nan = params;
  nan[0][0] = std::nanf("");
  EXPECT_FALSE(GpgNetwork::create(dims, nan).ok());
  params.pop_back();
  EXPECT_FALSE(GpgNetwork::create(dims, params).ok());
}

}  // namespace
}  // namespace top::rl

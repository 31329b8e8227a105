// rl/nets + rl/train: the Torch module agrees with the Torch-free forward pass, and a
// short seeded training run improves the partitions it samples.
#include "rl/nets/gpg_net.h"

#include <gtest/gtest.h>

#include <cmath>

#include "profile/device.h"
#include "rl/curriculum/gpg_instances.h"
#include "rl/graphs/synthetic_graphs.h"
#include "rl/policies/gpg_generator.h"
#include "rl/train/gpg_trainer.h"

namespace top::rl {
namespace {

GpgDevice h100() { return gpg_devices({"h100-sxm"}, "").value().front(); }

GpgInstance small_instance(uint64_t seed, int k) {
  SyntheticGraphSpec spec;
  spec.seed = seed;
  spec.size = 8;
  return make_gpg_instance({spec.name(), synthetic_plan(spec).value()}, k, h100(), 2).value();
}

TEST(GpgNet, TorchAndPlainForwardGiveTheSameScores) {
  GpgNet net(GpgDims{}, 3);
  GpgNetwork plain = net->snapshot().value();
  GpgInstance in = small_instance(5, 2);
  auto e = plain.encode(in.features).value();
  torch::NoGradGuard no_grad;
  auto te = net->encode(in.features);
  ASSERT_EQ(te.proj.size(0), e.num_nodes + 1);
  auto proj = te.proj.contiguous();
  for (int64_t i = 0; i < proj.numel(); ++i)
    ASSERT_NEAR(proj.data_ptr<float>()[i], e.proj[static_cast<size_t>(i)], 1e-4) << i;
  // The replayed log-probability of each recorded decision is the plain scores' softmax.
  std::vector<Decision> trace;
  std::mt19937_64 rng(1);
  DecodeOptions d;
  d.sample = true;
  ASSERT_TRUE(decode_partition(plain, e, in.graph, in.features, 2, d, &rng, &trace).ok());
  auto rep = net->replay(te, trace);
  ASSERT_EQ(rep.log_prob.size(0), static_cast<int64_t>(trace.size()));
  for (size_t t = 0; t < trace.size(); t += 7) {
    const Decision& dec = trace[t];
    std::vector<double> s;
    for (size_t c = 0; c < dec.nodes.size(); ++c) {
      Candidate cand;
      cand.node = dec.nodes[c];
      std::copy_n(dec.features.begin() + c * kStepFeatures, kStepFeatures, cand.features.begin());
      s.push_back(plain.score(e, cand));
    }
    double top = *std::max_element(s.begin(), s.end()), z = 0;
    for (double v : s) z += std::exp(v - top);
    EXPECT_NEAR(rep.log_prob[static_cast<int64_t>(t)].item<float>(), s[dec.chosen] - top - std::log(z), 1e-3) << t;
  }
}

TEST(GpgNet, ParametersRoundTripThroughExport) {
  GpgNet a(GpgDims{}, 1), b(GpgDims{}, 2);
  b->import_params(a->export_params());
  auto pa = a->export_params(), pb = b->export_params();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_EQ(pa[i], pb[i]) << i;
}

// Mean predicted latency of `n` sampled partitions of `in` under `net`.
double mean_sampled_ms(const GpgNetwork& net, const GpgInstance& in, int n) {
  auto e = net.encode(in.features).value();
  std::mt19937_64 rng(99);
  DecodeOptions d;
  d.sample = true;
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    auto s = decode_partition(net, e, in.graph, in.features, in.streams, d, &rng, nullptr).value();
    sum += predicted_schedule_ms(*in.device.cost, s, in.streams, in.device.threads_per_stream).value();
  }
  return sum / n;
}

TEST(GpgTrainer, ShortSeededRunImprovesTheSampledPartitions) {
  // One small graph, trained on alone: its sampled partitions must get faster.
  GpgTrainOptions o;
  o.dims = {16, 2, 16};
  o.curriculum.devices = {h100()};
  o.curriculum.ks = {2};
  o.curriculum.min_streams = o.curriculum.max_streams = 2;
  SyntheticGraphSpec spec;
  spec.seed = 5;
  spec.size = 8;
  o.curriculum.zoo = {{"small", synthetic_plan(spec).value()}};
  o.curriculum.zoo_share = 1.0;
  o.episodes = 60;
  o.samples = 8;
  o.threads = 2;
  o.learning_rate = 1e-2;
  o.held_out = 0;  // the evaluation set is then the "zoo" instance itself
  o.held_out_ios_dp = false;
  o.eval_every = 20;
  o.seed = 11;
  auto r = train_gpg(o);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->episodes, 60);
  GpgInstance in = make_gpg_instance(o.curriculum.zoo[0], 2, h100(), 2).value();
  GpgNet initial(o.dims, o.seed);  // the trainer's starting point
  const double before = mean_sampled_ms(initial->snapshot().value(), in, 32);
  const double after = mean_sampled_ms(GpgNetwork::create(o.dims, r->final_params).value(), in, 32);
  EXPECT_LT(after, before * 0.99) << "before " << before << " ms, after " << after << " ms";
  // Same seed, same run: the kept parameters are identical.
  auto again = train_gpg(o);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->final_params, r->final_params);
}

}  // namespace
}  // namespace top::rl

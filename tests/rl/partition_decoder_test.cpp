// rl/decode: whatever the choices, the decoder's partitions are valid.
#include "rl/decode/partition_decoder.h"

#include <gtest/gtest.h>

#include <random>

#include "plan_builder.h"

namespace top::rl {
namespace {

// A random DAG: each step reads one to three earlier values (or the input).
std::shared_ptr<const exec::ExecutionPlan> random_dag(int steps, uint32_t seed) {
  std::mt19937 rng(seed);
  testing::PlanBuilder b;
  std::vector<ir::ValueId> values = {b.new_value()};
  for (int s = 0; s < steps; ++s) {
    std::uniform_int_distribution<int> fan(1, 3);
    std::vector<ir::ValueId> in;
    for (int f = fan(rng); f > 0; --f) {
      std::uniform_int_distribution<size_t> pick(values.size() > 6 ? values.size() - 6 : 0, values.size() - 1);
      ir::ValueId v = values[pick(rng)];
      if (std::find(in.begin(), in.end(), v) == in.end()) in.push_back(v);
    }
    ir::ValueId out = b.new_value();
    b.add_step(in, {out}, 1e6 * (1 + s % 5));
    values.push_back(out);
  }
  return b.finish();
}

struct Decoded {
  exec::Schedule schedule;
  size_t max_groups = 0;
};

Decoded decode(const exec::TaskGraph& tg, int streams, const std::function<size_t(const std::vector<Candidate>&)>& pick) {
  std::vector<double> ms(tg.ops.size(), 1.0), sink(tg.ops.size(), 1.0);
  PartitionDecoder d(tg, ms, sink, 0, streams);
  EXPECT_TRUE(d.status().ok()) << d.status().message();
  while (!d.done()) {
    EXPECT_FALSE(d.candidates().empty());
    for (const Candidate& c : d.candidates()) {
      for (float f : c.features) EXPECT_TRUE(f >= 0 && f <= 1) << f;
      EXPECT_LE(c.group, streams);
    }
    EXPECT_TRUE(d.apply(pick(d.candidates())).ok());
  }
  Decoded out;
  out.schedule = d.schedule("test").value();
  for (const auto& st : out.schedule.stages) out.max_groups = std::max(out.max_groups, st.groups.size());
  return out;
}

TEST(PartitionDecoder, RandomChoicesAlwaysGiveValidPartitions) {
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    auto plan = random_dag(10 + static_cast<int>(seed % 30), seed);
    const int k = 1 + static_cast<int>(seed % 3);
    const int streams = 1 + static_cast<int>(seed % 4);
    exec::TaskGraph tg = exec::TaskGraph::build(plan, k);
    std::mt19937 rng(seed * 7919);
    Decoded d = decode(tg, streams, [&](const std::vector<Candidate>& c) {
      return std::uniform_int_distribution<size_t>(0, c.size() - 1)(rng);
    });
    Status v = exec::validate(d.schedule);
    EXPECT_TRUE(v.ok()) << "seed " << seed << ": " << v.message();
    EXPECT_LE(d.max_groups, static_cast<size_t>(streams));
    EXPECT_EQ(d.schedule.num_tasks, k);
  }
}

TEST(PartitionDecoder, NeverClosingOnOneGroupIsSequential) {
  auto plan = random_dag(25, 3);
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 2);
  Decoded d = decode(tg, 3, [](const std::vector<Candidate>& c) {
    for (size_t i = 0; i < c.size(); ++i)
      if (c[i].node != Candidate::kClose && c[i].group == 0) return i;
    ADD_FAILURE() << "no group-0 placement offered";
    return size_t(0);
  });
  ASSERT_EQ(d.schedule.stages.size(), 1u);
  ASSERT_EQ(d.schedule.stages[0].groups.size(), 1u);
  EXPECT_EQ(d.schedule.stages[0].groups[0].ops.size(), tg.ops.size());
  EXPECT_TRUE(exec::validate(d.schedule).ok());
}

TEST(PartitionDecoder, ProducersInTheStageForceTheirGroup) {
  // a -> b: once a is in group 0 of the open stage, b may only join group 0.
  auto plan = testing::chains_plan(1, 2);
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  PartitionDecoder d(tg, {1, 1}, {2, 1}, 2, 2);
  ASSERT_EQ(d.candidates().size(), 1u);  // a into a new group; nothing to close yet
  ASSERT_TRUE(d.apply(0).ok());
  // b -> group 0 (forced), or close.
  ASSERT_EQ(d.candidates().size(), 2u);
  EXPECT_EQ(d.candidates()[0].node, 1);
  EXPECT_EQ(d.candidates()[0].group, 0);
  EXPECT_EQ(d.candidates()[0].features[2], 1.0f);  // follows its producer
  EXPECT_EQ(d.candidates()[1].node, Candidate::kClose);
  ASSERT_TRUE(d.apply(1).ok());  // close: b then opens the second stage
  ASSERT_TRUE(d.apply(0).ok());
  EXPECT_TRUE(d.done());
  EXPECT_EQ(d.schedule("t")->stages.size(), 2u);
  EXPECT_FALSE(d.apply(0).ok());
}

TEST(PartitionDecoder, WideGraphsOfferOnlyTheMostCriticalReadyOperators) {
  // 40 independent chains of 2; chain c's head has path length c to the sink.
  auto plan = testing::chains_plan(40, 2);
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  std::vector<double> ms(tg.ops.size(), 1.0), sink(tg.ops.size(), 1.0);
  for (int c = 0; c < 40; ++c) sink[2 * c] = 1.0 + c;
  PartitionDecoder d(tg, ms, sink, 41, 2);
  ASSERT_EQ(d.candidates().size(), static_cast<size_t>(kMaxReadyCandidates));  // new group each, no close
  for (const Candidate& c : d.candidates()) EXPECT_GE(c.node / 2, 40 - kMaxReadyCandidates) << c.node;
  EXPECT_EQ(d.candidates()[0].node, 2 * 39);  // the most critical first
  while (!d.done()) ASSERT_TRUE(d.apply(0).ok());
  EXPECT_TRUE(exec::validate(d.schedule("t").value()).ok());
}

TEST(PartitionDecoder, ChoicesOutOfRangeAndBadSizesAreErrors) {
  auto plan = testing::chains_plan(2, 2);
  exec::TaskGraph tg = exec::TaskGraph::build(plan, 1);
  PartitionDecoder d(tg, {1, 1, 1, 1}, {2, 1, 2, 1}, 2, 2);
  EXPECT_FALSE(d.apply(99).ok());
  EXPECT_FALSE(d.schedule("t").ok());
  PartitionDecoder bad(tg, {1, 1}, {1, 1}, 2, 2);
  EXPECT_FALSE(bad.status().ok());
  EXPECT_FALSE(bad.apply(0).ok());
  PartitionDecoder no_streams(tg, {1, 1, 1, 1}, {2, 1, 2, 1}, 2, 0);
  EXPECT_FALSE(no_streams.status().ok());
}

}  // namespace
}  // namespace top::rl

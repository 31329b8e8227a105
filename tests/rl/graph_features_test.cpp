// rl/features: graph features on hand-built graphs whose answers are known.
#include "rl/features/graph_features.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "plan_builder.h"
#include "profile/device.h"

namespace top::rl {
namespace {

// a -> {b, c} -> d, with b ten times the work of c: the critical path is a-b-d.
struct Diamond {
  std::shared_ptr<const exec::ExecutionPlan> plan;
  ir::ValueId ab = 0;
  Diamond() {
    testing::PlanBuilder pb;
    ir::ValueId x = pb.new_value(), a = pb.new_value(), b = pb.new_value(), c = pb.new_value(), d = pb.new_value();
    pb.add_step({x}, {a}, 4e6);
    pb.add_step({a}, {b}, 4e7);
    pb.add_step({a}, {c}, 4e6);
    pb.add_step({b, c}, {d}, 4e6);
    pb.plan->slots.resize(5);
    pb.plan->slots[a].bytes = 1 << 20;
    pb.plan->slots[b].bytes = 1 << 10;
    pb.plan->slots[c].bytes = 1 << 10;
    ab = a;
    plan = pb.finish();
  }
};

float at(const GraphFeatures& f, int node, const std::string& name) {
  const auto& names = op_feature_names();
  const int j = static_cast<int>(std::find(names.begin(), names.end(), name) - names.begin());
  EXPECT_LT(j, kOpFeatures) << name;
  return f.node[static_cast<size_t>(node) * kOpFeatures + j];
}

TEST(GraphFeatures, DiamondStructureAndPaths) {
  Diamond d;
  profile::CostModel cm(profile::h100_sxm());
  auto f = graph_features(exec::TaskGraph::build(d.plan, 1), cm, 2, 0);
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  ASSERT_EQ(f->num_nodes, 4);
  ASSERT_EQ(f->node.size(), 4u * kOpFeatures);
  for (float v : f->node) {
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, 0.0f);
    EXPECT_LE(v, 1.5f);
  }
  // Depth: a 0, b and c 1, d 2 (scaled by the deepest).
  EXPECT_FLOAT_EQ(at(*f, 0, "depth"), 0.0f);
  EXPECT_FLOAT_EQ(at(*f, 1, "depth"), 0.5f);
  EXPECT_FLOAT_EQ(at(*f, 2, "depth"), 0.5f);
  EXPECT_FLOAT_EQ(at(*f, 3, "depth"), 1.0f);
  EXPECT_EQ(at(*f, 0, "is_source"), 1.0f);
  EXPECT_EQ(at(*f, 1, "is_source"), 0.0f);
  EXPECT_EQ(at(*f, 3, "is_sink"), 1.0f);
  EXPECT_GT(at(*f, 0, "fan_out"), at(*f, 1, "fan_out"));
  EXPECT_GT(at(*f, 3, "fan_in"), at(*f, 1, "fan_in"));
  // The heavy branch b is on the critical path (no slack), c is not.
  EXPECT_FLOAT_EQ(at(*f, 0, "to_sink"), 1.0f);
  EXPECT_FLOAT_EQ(at(*f, 3, "from_source"), 1.0f);
  EXPECT_NEAR(at(*f, 1, "slack"), 0.0f, 1e-6);
  EXPECT_GT(at(*f, 2, "slack"), 0.1f);
  EXPECT_GT(at(*f, 1, "log_flops"), at(*f, 2, "log_flops"));
  EXPECT_GT(f->op_ms[1], f->op_ms[2]);
  EXPECT_NEAR(f->critical_path_ms, f->op_ms[0] + f->op_ms[1] + f->op_ms[3], 1e-12);
  EXPECT_NEAR(f->total_ms, f->op_ms[0] + f->op_ms[1] + f->op_ms[2] + f->op_ms[3], 1e-12);
  // Edges: a->b, a->c, b->d, c->d; the two from a carry its 1 MiB output.
  ASSERT_EQ(f->edge_src.size(), 4u);
  ASSERT_EQ(f->edge.size(), 4u * kEdgeFeatures);
  for (size_t e = 0; e < 4; ++e) {
    if (f->edge_src[e] == 0) {
      EXPECT_GT(f->edge[e], f->edge[3]);
    }
  }
  EXPECT_EQ(f->device.size(), static_cast<size_t>(kDeviceFeatures));
  EXPECT_EQ(f->device[0], 1.0f);  // a GPU
}

TEST(GraphFeatures, TaskCopiesAndDevices) {
  Diamond d;
  profile::CostModel gpu(profile::h100_sxm());
  profile::CostModel cpu(profile::cpu_host(2));
  auto one = graph_features(exec::TaskGraph::build(d.plan, 1), gpu, 2, 0).value();
  auto two = graph_features(exec::TaskGraph::build(d.plan, 2), gpu, 2, 0).value();
  ASSERT_EQ(two.num_nodes, 8);
  EXPECT_FLOAT_EQ(at(two, 0, "task_copy"), 0.0f);
  EXPECT_FLOAT_EQ(at(two, 4, "task_copy"), 1.0f);
  // The copies are the same graph: every other feature of node i and i + 4 agrees.
  for (int j = 0; j < kOpFeatures; ++j) {
    if (op_feature_names()[j] == "task_copy") continue;
    EXPECT_FLOAT_EQ(two.node[j], two.node[4 * kOpFeatures + j]) << op_feature_names()[j];
    EXPECT_FLOAT_EQ(two.node[j], one.node[j]) << op_feature_names()[j];
  }
  EXPECT_NE(one.device, two.device);  // k is a device/run feature
  auto c = graph_features(exec::TaskGraph::build(d.plan, 1), cpu, 2, 1).value();
  EXPECT_EQ(c.device[0], 0.0f);
  EXPECT_GT(c.op_ms[1], one.op_ms[1]);  // a CPU core is slower than an H100
}

TEST(GraphFeatures, SchemaAndErrors) {
  EXPECT_EQ(op_feature_names().size(), static_cast<size_t>(kOpFeatures));
  EXPECT_EQ(device_feature_names().size(), static_cast<size_t>(kDeviceFeatures));
  EXPECT_EQ(feature_schema_hash(), feature_schema_hash());
  Diamond d;
  profile::CostModel cm(profile::h100_sxm());
  EXPECT_FALSE(graph_features(exec::TaskGraph::build(d.plan, 1), cm, 0, 0).ok());
  exec::TaskGraph broken = exec::TaskGraph::build(d.plan, 1);
  broken.preds.pop_back();
  auto r = graph_features(broken, cm, 2, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inconsistent"), std::string::npos);
  EXPECT_FALSE(graph_features(exec::TaskGraph{}, cm, 2, 0).ok());
}

}  // namespace
}  // namespace top::rl

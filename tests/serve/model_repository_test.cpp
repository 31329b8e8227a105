// Model repository: config files, version policies and folder scans; one bad model
// never hides the others.
#include "serve/repository/model_repository.h"

#include <gtest/gtest.h>

#include "serve_test_util.h"
#include "test_models.h"

namespace top::serve {
namespace {

TEST(ModelConfig, KeysAndDefaults) {
  auto c = parse_model_config(R"({"max_batch_size": 8, "max_queue_delay_ms": 2, "instance_count": 3, "slo_ms": 40,
                                  "queue_bound": 16, "timeout_ms": 500, "version_policy": {"all": {}}})",
                              "config.json");
  ASSERT_TRUE(c.ok()) << c.status().to_string();
  EXPECT_EQ(launch_policy_spec(*c), "dynbatch:batch=8,delay=2,instances=3");
  EXPECT_EQ(c->queue_bound, 16);
  EXPECT_DOUBLE_EQ(c->timeout_ms, 500);
  EXPECT_EQ(c->version_policy.kind, VersionPolicy::Kind::kAll);

  auto d = parse_model_config("{}", "config.json");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(launch_policy_spec(*d), "fixed:k=1,instances=2");
  auto p = parse_model_config(R"({"policy": "fixed:k=2,instances=1"})", "config.json");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(launch_policy_spec(*p), "fixed:k=2,instances=1");
}

TEST(ModelConfig, MistakesAreErrors) {
  for (const char* text : {R"({"max_batch_sise": 8})", R"({"policy": "fifo", "max_batch_size": 2})",
                           R"({"instance_count": 0})", R"({"queue_bound": "many"})", R"({"slo_ms": -1})",
                           R"({"version_policy": {"newest": 1}})", R"({"version_policy": {"specific": []}})",
                           R"({"default_model_filename": "../x.onnx"})", R"({"platform": "tensorrt_plan"})", "[1]",
                           "{"}) {
    auto c = parse_model_config(text, "cfg");
    EXPECT_FALSE(c.ok()) << text;
    if (!c.ok()) {
      EXPECT_EQ(c.status().message().rfind("cfg", 0), 0u) << c.status().message();
    }
  }
}

TEST(ModelConfig, VersionPolicies) {
  const std::vector<int64_t> available = {1, 2, 5, 9};
  VersionPolicy latest;
  EXPECT_EQ(select_versions(latest, available), (std::vector<int64_t>{9}));
  latest.latest = 2;
  EXPECT_EQ(select_versions(latest, available), (std::vector<int64_t>{5, 9}));
  VersionPolicy specific;
  specific.kind = VersionPolicy::Kind::kSpecific;
  specific.specific = {2, 7};
  EXPECT_EQ(select_versions(specific, available), (std::vector<int64_t>{2}));
  VersionPolicy all;
  all.kind = VersionPolicy::Kind::kAll;
  EXPECT_EQ(select_versions(all, available), available);
}

TEST(ModelRepository, ScanReportsEachModel) {
  testing::TempRepository repo;
  repo.add("good", 1, top::testing::branchy_model());
  repo.add("good", 3, top::testing::branchy_model());
  repo.add_file("good/config.json", R"({"version_policy": {"latest": 2}})");
  repo.add_file("noversion/readme.txt", "x");
  repo.add_file("badconfig/config.json", "{\"nope\": 1}");
  repo.add("badconfig", 1, top::testing::branchy_model());
  repo.add_file("missingfile/1/other.onnx", "x");
  repo.add_file(".hidden/1/model.onnx", "x");
  auto scan = scan_repository(repo.path());
  ASSERT_TRUE(scan.ok()) << scan.status().to_string();
  ASSERT_EQ(scan->size(), 4u);  // .hidden is not a model name
  EXPECT_EQ((*scan)[0].name, "badconfig");
  EXPECT_NE((*scan)[0].problem.message().find("unknown key 'nope'"), std::string::npos);
  EXPECT_EQ((*scan)[1].name, "good");
  EXPECT_TRUE((*scan)[1].problem.ok());
  ASSERT_EQ((*scan)[1].versions.size(), 2u);
  EXPECT_EQ((*scan)[1].versions[1].version, 3);
  EXPECT_NE((*scan)[2].problem.message().find("model.onnx is missing"), std::string::npos);
  EXPECT_NE((*scan)[3].problem.message().find("no version folder"), std::string::npos);

  const std::string before = (*scan)[1].fingerprint;
  repo.add_file("good/config.json", R"({"version_policy": {"latest": 1}, "slo_ms": 5})");
  EXPECT_NE(scan_model(repo.path(), "good")->fingerprint, before);

  EXPECT_FALSE(scan_repository(repo.path() + "/absent").ok());
  EXPECT_EQ(scan_model(repo.path(), "../etc").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace top::serve

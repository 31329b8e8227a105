// sched/registry.h: generators by name, registered from outside the library, and the
// reserved-but-unavailable gpg.
#include "sched/registry.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "plan_builder.h"

namespace top::sched {
namespace {

// Every operator in its own single-group stage: valid, and recognisable by its name.
class OnePerStage : public ScheduleGenerator {
 public:
  Result<exec::Schedule> generate(const exec::TaskGraph& g, const GeneratorOptions&) const override {
    exec::Schedule s;
    s.plan = g.plan;
    s.num_tasks = g.num_tasks;
    s.generator = "one-per-stage";
    for (const exec::OpRef& r : g.ops) s.stages.push_back(exec::Stage{{exec::Group{{r}, false}}});
    return s;
  }
  std::string description() const override { return "test"; }
};

TEST(GeneratorRegistry, BuiltinsRegisteredAndUnknownListed) {
  auto names = generator_names();
  for (const char* n : {"sequential", "greedy", "ios-dp"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_TRUE(check_generator("greedy").ok());
  Status st = check_generator("nosuch");
  EXPECT_EQ(st.code(), StatusCode::kUnsupported);
  EXPECT_NE(st.message().find("unknown schedule generator 'nosuch' (available: "), std::string::npos);
}

TEST(GeneratorRegistry, GpgReservedSaysWhy) {
  if (find_generator("gpg")) GTEST_SKIP() << "gpg is registered in this binary";
  auto g = exec::TaskGraph::build(testing::chains_plan(2, 3), 1);
  auto s = make_schedule("gpg", g);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("register_gpg_generator"), std::string::npos) << s.status().to_string();
}

TEST(GeneratorRegistry, RegisteredGeneratorIsSelectableByName) {
  EXPECT_FALSE(register_generator("", std::make_shared<OnePerStage>()).ok());
  EXPECT_FALSE(register_generator("x", nullptr).ok());
  ASSERT_TRUE(register_generator("one-per-stage", std::make_shared<OnePerStage>()).ok());
  auto g = exec::TaskGraph::build(testing::chains_plan(2, 3), 2);
  auto s = make_schedule("one-per-stage", g);
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->generator, "one-per-stage");
  EXPECT_EQ(s->stages.size(), 12u);
  EXPECT_TRUE(exec::validate(*s).ok());
}

}  // namespace
}  // namespace top::sched

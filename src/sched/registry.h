// The schedule generator registry: every generator selectable by name.
//
// The library registers "sequential", "greedy" and "ios-dp" itself. Code outside it
// adds its own with register_generator — rl/ adds the learned "gpg" partitioner
// (top::rl::register_gpg_generator) — and from then on the name works wherever a
// generator is chosen: sched::make_schedule, GraphChoice::generator (GraphPolicy,
// RuntimeConfig), `toprt schedules --generators`, `toprt bench graph=merge-NAME`.
//
//   class MyGenerator : public top::sched::ScheduleGenerator { ... };
//   top::sched::register_generator("mine", std::make_shared<MyGenerator>());
//   auto s = top::sched::make_schedule("mine", exec::TaskGraph::build(plan, 2), opts);
//
// A name may also be reserved as "known but unavailable" with the reason (gpg in a build
// without LibTorch), so asking for it says why instead of "unknown".
//
// Thread safety: registering and looking up may happen from any thread; a generator's
// generate() must itself be safe to call from several threads at once (the runtime's
// schedule cache builds schedules for different models concurrently).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "sched/generators.h"
#include "top/status.h"

namespace top::sched {

class ScheduleGenerator {
 public:
  virtual ~ScheduleGenerator() = default;
  // A valid schedule of every operator of `g` (exec::validate holds), or an error.
  virtual Result<exec::Schedule> generate(const exec::TaskGraph& g, const GeneratorOptions& opts) const = 0;
  // One line for listings (`toprt schedules --help`, error messages).
  virtual std::string description() const = 0;
};

// Adds or replaces `name`. InvalidArgument for an empty name or a null generator.
Status register_generator(const std::string& name, std::shared_ptr<const ScheduleGenerator> generator);
// Marks `name` as known but unavailable in this build: asking for it is Unsupported with
// `reason`. A later register_generator of the same name makes it available.
void reserve_generator(const std::string& name, const std::string& reason);
// NotFound-free lookup: nullptr when `name` is not available (unknown or reserved).
std::shared_ptr<const ScheduleGenerator> find_generator(const std::string& name);
// The available names, sorted, for listings ("gpg" only once registered).
std::vector<std::string> generator_names();
// OK when `name` can be used now; otherwise the same Unsupported make_schedule would give.
Status check_generator(const std::string& name);

}  // namespace top::sched

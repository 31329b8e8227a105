#include "sched/registry.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "sched/ios_dp.h"

namespace top::sched {

namespace {

using Fn = Result<exec::Schedule> (*)(const exec::TaskGraph&, const GeneratorOptions&);

class BuiltinGenerator : public ScheduleGenerator {
 public:
  BuiltinGenerator(Fn fn, std::string description) : fn_(fn), description_(std::move(description)) {}
  Result<exec::Schedule> generate(const exec::TaskGraph& g, const GeneratorOptions& opts) const override {
    return fn_(g, opts);
  }
  std::string description() const override { return description_; }

 private:
  Fn fn_;
  std::string description_;
};

Result<exec::Schedule> ios_dp_plain(const exec::TaskGraph& g, const GeneratorOptions& opts) {
  return ios_dp_schedule(g, opts);
}

struct Registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<const ScheduleGenerator>> generators;
  std::map<std::string, std::string> reserved;  // name -> why it is unavailable

  Registry() {
    generators["sequential"] = std::make_shared<BuiltinGenerator>(
        sequential_schedule, "every operator in plan order on one stream (the baseline)");
    generators["greedy"] = std::make_shared<BuiltinGenerator>(
        greedy_guarded_schedule, "ASAP wavefronts packed onto the streams by chains (instant)");
    generators["ios-dp"] = std::make_shared<BuiltinGenerator>(
        ios_dp_plain, "IOS-style dynamic programming over stage sequences (best quality, slow on wide graphs)");
    // The learned partitioner lives in rl/ and registers itself (rl/policies/gpg_generator.h);
    // until then it is known but unavailable.
    for (const char* name : {"gpg", "gpg-best8"})
      reserved[name] = std::string("schedule generator '") + name +
                       "' is not available: the learned partitioner is in rl/ (library top_rl_core); call "
                       "top::rl::register_gpg_generator() first (toprt does)";
  }
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

Status register_generator(const std::string& name, std::shared_ptr<const ScheduleGenerator> generator) {
  if (name.empty()) return InvalidArgument("register_generator: empty name");
  if (!generator) return InvalidArgument("register_generator('" + name + "'): null generator");
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.generators[name] = std::move(generator);
  r.reserved.erase(name);
  return Status::Ok();
}

void reserve_generator(const std::string& name, const std::string& reason) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (!r.generators.count(name)) r.reserved[name] = reason;
}

std::shared_ptr<const ScheduleGenerator> find_generator(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.generators.find(name);
  return it == r.generators.end() ? nullptr : it->second;
}

std::vector<std::string> generator_names() {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  std::vector<std::string> names;
  for (const auto& [name, gen] : r.generators) names.push_back(name);
  return names;
}

Status check_generator(const std::string& name) {
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (r.generators.count(name)) return Status::Ok();
  auto it = r.reserved.find(name);
  if (it != r.reserved.end()) return Unsupported(it->second);
  std::string names;
  for (const auto& [n, gen] : r.generators) names += (names.empty() ? "" : ", ") + n;
  return Unsupported("unknown schedule generator '" + name + "' (available: " + names + ")");
}

Result<exec::Schedule> make_schedule(const std::string& generator, const exec::TaskGraph& g,
                                     const GeneratorOptions& opts) {
  std::shared_ptr<const ScheduleGenerator> gen = find_generator(generator);
  if (!gen) return check_generator(generator);
  return gen->generate(g, opts);
}

}  // namespace top::sched

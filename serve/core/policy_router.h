// One launch policy and one graph policy for the Runtime (it takes one of each) that
// route every model to the policies of its own config: models whose configs name the
// same policy spec share one instance of it (so a server-wide learned launcher sees all
// its models at once, as in `toprt bench`), each group decides on an observation that
// holds only its models, and feedback goes to the group of the model it is about.
//
// Thread safety: set/remove may be called from any thread while the runtime calls the
// policies (the runtime serialises its own calls; a mutex orders them against set/remove).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "top/policy.h"

namespace top::serve {

class PolicyRouter {
 public:
  PolicyRouter();
  // Routes `model` (a runtime model key) to the group of `spec_label`; `launch` and
  // `graph` become that group's policies when it is new, else they are dropped and the
  // group's existing instances serve this model too.
  void set(const std::string& model, const std::string& spec_label, std::shared_ptr<LaunchPolicy> launch,
           std::shared_ptr<GraphPolicy> graph);
  void remove(const std::string& model);

  std::shared_ptr<LaunchPolicy> launch_policy() const { return launch_; }
  std::shared_ptr<GraphPolicy> graph_policy() const { return graph_; }

 private:
  struct Group {
    std::shared_ptr<LaunchPolicy> launch;
    std::shared_ptr<GraphPolicy> graph;
    int models = 0;
  };
  class Launch;
  class Graph;
  const Group* group_for(const std::string& model) const;  // mu_ held
  void remove_locked(const std::string& model);
  friend class Launch;
  friend class Graph;

  mutable std::mutex mu_;
  std::map<std::string, std::string> group_of_;  // model -> spec label
  std::map<std::string, Group> groups_;
  std::shared_ptr<LaunchPolicy> launch_;
  std::shared_ptr<GraphPolicy> graph_;
};

}  // namespace top::serve

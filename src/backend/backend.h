// Backend: where a plan's operators execute. Implementations live one folder each
// (cpu/ now; cuda/ and sim/ plug in behind the same interface).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "exec/executor.h"
#include "exec/plan.h"
#include "top/status.h"

namespace top::backend {

struct BackendOptions {
  int num_threads = 0;  // 0: all hardware threads (sim: the simulated CPU's cores)
  // sim only: a device profile JSON (profiles/*.json) whose measurements and device the
  // cost model uses; else `device` names a DeviceSpec ("cpu", "h100", ...; default cpu).
  std::string profile;
  std::string device;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu", "cuda", "sim".
  virtual std::string name() const = 0;
  // Threads (CPU) or streams (GPU) available for concurrent work.
  virtual int num_threads() const = 0;
  // Runs one plan to completion on the calling thread; thread-safe when each caller
  // brings its own arena.
  virtual Result<std::vector<Tensor>> run(const exec::ExecutionPlan& plan, const std::vector<const Tensor*>& inputs,
                                          exec::Arena& arena, const exec::StepObserver* observer = nullptr) = 0;
};

// Unsupported for unknown names or backends not compiled in.
Result<std::unique_ptr<Backend>> create_backend(const std::string& name, const BackendOptions& opts);

}  // namespace top::backend

#pragma once

#include <CLI/CLI.hpp>

#include "runtime/policy_spec.h"
#include "top/status.h"

namespace toprt {

// The most tasks one schedule instance may take (runtime/policy_spec.h).
using top::runtime::kMaxTasksPerInstance;

void add_info_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_profile_command(CLI::App& app);
void add_schedules_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_serve_command(CLI::App& app);

// The device descriptions every --device takes (profile/device.h; short names accepted).
constexpr const char* kDeviceNames = "h100-sxm (or h100), h200-sxm (h200), a100-sxm-80gb (a100), jetson-agx-orin (orin), cpu";

// Prints "error: <message>" on one line and records a non-zero exit code.
void fail(const top::Status& s);
int exit_code();

}  // namespace toprt

// toprt: the command line of the TOP runtime.
//   toprt info MODEL                 operators, shapes, parameters, FLOPs, DAG width
//   toprt run MODEL [--input N=F.npy] [--output-dir D] [--batch N] [--threads N]
//   toprt bench --model M [--model M2 ...] [--arrival SPEC] [--policies P1;P2] [--sweep-k 1,2,4]
//   toprt profile MODEL [--out profile.json]   per-operator timings -> device profile
//   toprt schedules MODEL [--ks 1,2,4]      generators side by side: predicted and measured
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

#include "commands.h"

int main(int argc, char** argv) {
  CLI::App app{"toprt — TOP runtime: run ONNX models with task-based operator parallelism"};
  app.require_subcommand(1);
  toprt::add_info_command(app);
  toprt::add_run_command(app);
  toprt::add_bench_command(app);
  toprt::add_profile_command(app);
  toprt::add_schedules_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return toprt::exit_code();
}

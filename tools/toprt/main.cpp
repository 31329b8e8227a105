// toprt: the command line of the TOP runtime.
//   toprt info MODEL                 operators, shapes, parameters, FLOPs, DAG width
//   toprt run MODEL [--input N=F.npy] [--output-dir D] [--batch N] [--threads N]
//   toprt bench --model M [--model M2 ...] [--arrival SPEC] [--policies P1;P2] [--sweep-k 1,2,4]
//   toprt profile MODEL [--out profile.json]   per-operator timings -> device profile
//   toprt schedules MODEL [--ks 1,2,4]      generators side by side: predicted and measured
//   toprt train gpg [--minutes M]        train the GPG partitioner (LibTorch builds)
//   --max-alloc-bytes N (any command)    refuse single tensors/arenas over N bytes
//
// Every failure ends in one "error: <Status>" line on stderr and exit code 1 (3 for
// Internal); no input makes it end by a signal.
#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "commands.h"
#include "rl/policies/gpg_generator.h"
#include "rl/policies/top_policy_kind.h"
#include "top/limits.h"

int main(int argc, char** argv) {
  // `toprt info M | head`: a closed pipe makes writes fail (EPIPE) instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"toprt — TOP runtime: run ONNX models with task-based operator parallelism"};
  app.require_subcommand(1);
  app.fallthrough();  // --max-alloc-bytes may follow the subcommand
  app.add_option_function<size_t>(
         "--max-alloc-bytes", [](size_t bytes) { top::set_max_allocation_bytes(bytes); },
         "refuse any single tensor or arena over this many bytes (default: half the physical memory, "
         "or TOP_MAX_ALLOCATION_BYTES)")
      ->check(CLI::Range(size_t(1), size_t(1) << 50));
  toprt::add_info_command(app);
  toprt::add_run_command(app);
  toprt::add_bench_command(app);
  toprt::add_profile_command(app);
  toprt::add_schedules_command(app);
  toprt::add_train_command(app);
  toprt::add_serve_command(app);
  // The learned partitioner from the committed checkpoint: "gpg" and "gpg-best8" become
  // selectable wherever a generator is; when it cannot be loaded they stay reserved and
  // asking for them gives the reason.
  (void)top::rl::register_gpg_generator();
  // The learned launcher and scheduler as "top:ckpt=PATH" wherever a policy spec is read.
  top::rl::register_top_policy_kind();
  // The commands report their errors as a Status; this is the last resort for an
  // exception that slipped through (std::bad_alloc from a container, say), so that it
  // still ends in an error line and not in std::terminate's SIGABRT.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    // A bad command line reads like every other error: one line, exit code 1.
    toprt::fail(top::InvalidArgument(std::string(e.what()) + " (toprt --help)"));
  } catch (const std::bad_alloc&) {
    toprt::fail(top::OutOfMemory("out of memory: an allocation failed"));
  } catch (const std::exception& e) {
    toprt::fail(top::Internal(std::string("uncaught exception: ") + e.what()));
  } catch (...) {
    toprt::fail(top::Internal("uncaught exception of unknown type"));
  }
  return toprt::exit_code();
}

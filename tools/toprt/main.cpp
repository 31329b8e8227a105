// toprt: the command line of the TOP runtime.
//   toprt info MODEL                 operators, shapes, parameters, FLOPs, DAG width
//   toprt run MODEL [--input N=F.npy] [--output-dir D] [--batch N] [--threads N]
//   toprt bench --model M [--model M2 ...] [--arrival SPEC] [--policies P1;P2] [--sweep-k 1,2,4]
//   toprt profile MODEL [--out profile.json]   per-operator timings -> device profile
//   toprt schedules MODEL [--ks 1,2,4]      generators side by side: predicted and measured
//   toprt train gpg [--minutes M]        train the GPG partitioner (LibTorch builds)
//   toprt serve --model-repository DIR   the v2 inference protocol over REST and gRPC
//   --max-alloc-bytes N (any command)    refuse single tensors/arenas over N bytes
//   --log-level L (any command)          spdlog level (default TOP_LOG_LEVEL, else info)
//   toprt --version; a bare `toprt` prints the help and exits 0
//
// Every failure ends in one "error: <Status>" line on stderr and exit code 1 (3 for
// Internal); no input makes it end by a signal.
#include <CLI/CLI.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>

#include "commands.h"
#include "rl/policies/gpg_generator.h"
#include "rl/policies/top_agents.h"
#include "rl/policies/top_policy_kind.h"
#ifdef TOP_WITH_TORCH
#include "rl/train/online_finetuner.h"
#endif
#include "top/limits.h"
#include "top/version.h"

int main(int argc, char** argv) {
  // `toprt info M | head`: a closed pipe makes writes fail (EPIPE) instead of killing us.
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"toprt — TOP runtime: run ONNX models with task-based operator parallelism"};
  app.require_subcommand(0, 1);  // none: print the help and exit 0
  app.fallthrough();  // --max-alloc-bytes and --log-level may follow the subcommand
  // The version, and where the learned policies' committed checkpoints are read from
  // (an installed toprt: <prefix>/share/top/checkpoints).
  app.set_version_flag("--version", std::string("toprt ") + top::version() + "\ncheckpoints: top " +
                                        top::rl::default_top_checkpoint() + ", gpg " +
                                        top::rl::default_gpg_checkpoint());
  // Every option's help shows its default (subcommands inherit this).
  app.option_defaults()->always_capture_default();
  // Logging (spdlog) goes to stderr: stdout carries the commands' results (and the
  // start line of `toprt serve` that scripts read). Level: the flag, else TOP_LOG_LEVEL, else info.
  spdlog::set_default_logger(spdlog::stderr_color_mt("toprt"));
  if (const char* env = std::getenv("TOP_LOG_LEVEL")) {
    const auto level = spdlog::level::from_str(env);
    if (level != spdlog::level::off || std::string(env) == "off") spdlog::set_level(level);
    else spdlog::warn("TOP_LOG_LEVEL='{}' is not a level (trace, debug, info, warn, error, off): ignored", env);
  }
  app.add_option_function<std::string>(
         "--log-level", [](const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); },
         "trace, debug, info, warn, error or off (default: TOP_LOG_LEVEL, else info)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
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
#ifdef TOP_WITH_TORCH
  top::rl::register_top_finetuning();  // top:...,finetune=DIR
#endif
  // The commands report their errors as a Status; this is the last resort for an
  // exception that slipped through (std::bad_alloc from a container, say), so that it
  // still ends in an error line and not in std::terminate's SIGABRT.
  try {
    app.parse(argc, argv);  // subcommands run in their callbacks, after the global options
    if (app.get_subcommands().empty()) {
      std::cout << app.help();
      return 0;
    }
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

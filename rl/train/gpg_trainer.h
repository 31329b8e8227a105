// Training the GPG partitioner: REINFORCE in the simulator's pricing.
//
// An episode draws one instance from the curriculum (rl/curriculum/gpg_instances.h: a
// synthetic RandWire/NASNet graph or a zoo model, k in {1,2,4} merged, 2-4 streams, a
// device), encodes it once through autograd (rl/nets/gpg_net.h), decodes `samples`
// partitions by sampling in plain C++ on `threads` threads (rl/policies/gpg_network.h),
// prices each with the virtual executor (the reward is minus its predicted latency:
// the pricing of `toprt schedules`' predicted column), and takes one Adam step on
//   loss = - sum_i A_i * mean_t log p(a_it) - entropy * mean_t H_t,
//   A_i  = (mean_j ms_j - ms_i) / max(std_j ms_j, 1% of mean_j ms_j)
//          (the sample mean as baseline; in units of the samples' spread so big and
//           small graphs weigh alike, but differences under 1% stay small)
// Every eval_every episodes (and at the end) the greedy-decoded policy is evaluated on a
// fixed held-out set (seeds never drawn in training, plus the zoo) against greedy,
// sequential and ios-dp; the best parameters by that evaluation are kept and written.
//
// The run is deterministic for a seed and thread count except for the wall-clock budget
// (`minutes`), which decides how many episodes fit.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rl/curriculum/gpg_evaluation.h"
#include "rl/curriculum/gpg_instances.h"
#include "rl/policies/gpg_network.h"

namespace top::rl {

struct GpgTrainOptions {
  GpgDims dims;
  CurriculumOptions curriculum;
  int episodes = 1000000;   // at most this many
  double minutes = 20;      // wall-clock budget (training stops at whichever comes first)
  int samples = 8;          // partitions sampled per episode
  int threads = 2;          // rollout and pricing threads
  double learning_rate = 2e-3;
  double entropy = 0.01;
  double temperature = 1.0;
  uint64_t seed = 1;
  int eval_every = 250;     // episodes between held-out evaluations
  int held_out = 24;        // synthetic held-out instances (plus the zoo's)
  bool held_out_ios_dp = true;  // price ios-dp on the held-out set (slow for wide graphs)
  std::vector<std::string> device_names;  // for the manifest
  std::string command;      // the command line, for the manifest
  std::string source_commit;  // git commit of the source, for the manifest
  std::string out;          // checkpoint manifest to write; empty: none
  std::string curve_csv;    // training curve; empty: none
};

struct GpgTrainProgress {
  int episode = 0;
  double elapsed_s = 0, left_s = 0;
  double recent_gain = 0;   // mean over recent episodes of greedy_ms / mean sampled ms
  const GpgEvalSummary* eval = nullptr;  // set when this report follows an evaluation
};

struct GpgTrainReport {
  int episodes = 0;
  double seconds = 0;
  GpgEvalSummary first_eval, best_eval;  // before training, and the kept parameters'
  std::vector<GpgEvalRow> best_rows;
  std::vector<std::vector<float>> params;  // the kept parameters (gpg_parameter_specs order)
  std::vector<std::vector<float>> final_params;  // after the last episode
};

Result<GpgTrainReport> train_gpg(const GpgTrainOptions& opts,
                                 const std::function<void(const GpgTrainProgress&)>& progress = {});

// The kept parameters as a checkpoint at opts.out (rl/checkpoint/checkpoint.h): the
// manifest records the dims, devices, command, seed, commit and the held-out results
// (summary and per-instance rows) that load_gpg_network users can read.
Status write_gpg_checkpoint(const GpgTrainOptions& opts, const GpgTrainReport& report);

}  // namespace top::rl

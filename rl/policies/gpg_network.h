// The GPG policy network, forward pass in plain C++ (no Torch): what partitions graphs
// at run time, from weights trained by rl/train (LibTorch) and stored in a checkpoint.
//
// Encoder (a GNN over the task graph, messages in both directions along the DAG):
//   h_i   = relu(W_in [x_i ; device] + b_in)                      x_i: rl::graph_features
//   h_i  += relu(W_self h_i + W_pred mean_{p in preds(i)} h_p + W_succ mean_{s in succs(i)} h_s + b)
//                                                                  (layers times)
//   graph = [mean_i h_i ; max_i h_i]
// Scorer of one decoder candidate (rl/decode/partition_decoder.h):
//   score(u, s) = w_out . relu(W_node h_u + W_graph graph + W_step s + b) + b_out
//   score(close, s) = w_out . relu(v_close + W_graph graph + W_step s + b) + b_out
// The node and graph terms are computed once per graph (Embedding::proj), so a decision
// costs head x kStepFeatures multiply-adds per candidate: partitioning stays in the
// milliseconds on graphs of a thousand operators, and rollouts for training run here,
// thread-parallel, rather than through autograd.
//
// Parameters are named and shaped by gpg_parameter_specs(); rl/nets' Torch module
// registers exactly these, and a test checks both give the same scores.
//
// Thread safety: const methods only read the weights; share one network across threads.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "exec/schedule.h"
#include "rl/decode/partition_decoder.h"
#include "rl/features/graph_features.h"
#include "rl/policies/param_spec.h"
#include "top/status.h"

namespace top::rl {

constexpr int kGpgInputs = kOpFeatures + kDeviceFeatures;

struct GpgDims {
  int hidden = 32;  // encoder width
  int layers = 3;   // message-passing rounds
  int head = 32;    // scorer width
};

std::vector<ParamSpec> gpg_parameter_specs(const GpgDims& dims);
// Where each parameter sits in that order (both forward passes index by these):
// input_w, input_b; per layer l at gpg_layer_param(l): self, pred, succ, b; then from
// gpg_head_param(dims): head_node, head_graph, head_step, head_b, head_close, out_w, out_b.
constexpr int gpg_layer_param(int layer) { return 2 + 4 * layer; }
constexpr int gpg_head_param(const GpgDims& dims) { return gpg_layer_param(dims.layers); }
// What a checkpoint must have been trained with: the graph-feature schema
// (rl::feature_schema_hash) and the decoder's step features (names and count).
uint64_t gpg_schema_hash();

struct GpgEmbedding {
  int num_nodes = 0;
  std::vector<float> h;           // num_nodes x hidden
  std::vector<float> graph;       // 2 x hidden
  std::vector<float> proj;        // (num_nodes + 1) x head; row num_nodes: close
};

class GpgNetwork {
 public:
  // `params` in gpg_parameter_specs(dims) order, each of its size.
  static Result<GpgNetwork> create(const GpgDims& dims, std::vector<std::vector<float>> params);
  const GpgDims& dims() const { return dims_; }
  const std::vector<std::vector<float>>& params() const { return params_; }

  Result<GpgEmbedding> encode(const GraphFeatures& f) const;
  double score(const GpgEmbedding& e, const Candidate& c) const;

 private:
  GpgDims dims_;
  std::vector<std::vector<float>> params_;
};

// One rollout of the decoder driven by the network.
struct DecodeOptions {
  bool sample = false;       // false: the best-scored candidate at every decision
  double temperature = 1.0;  // sampling: softmax(score / temperature)
};
struct Decision {  // what training replays through autograd
  std::vector<int> nodes;                 // per candidate: node, or -1 to close
  std::vector<float> features;            // candidates x kStepFeatures
  int chosen = 0;
};
// Errors: the decoder's (sizes, streams). `trace`, when given, receives every decision.
Result<exec::Schedule> decode_partition(const GpgNetwork& net, const GpgEmbedding& e, const exec::TaskGraph& g,
                                        const GraphFeatures& f, int streams, const DecodeOptions& opts,
                                        std::mt19937_64* rng, std::vector<Decision>* trace);

}  // namespace top::rl

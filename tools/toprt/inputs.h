// Input tensors for `toprt`: loaded from .npy files or generated at random from the
// model's declared input types, with symbolic dims set from --batch / --dim.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "top/model.h"

namespace toprt {

struct InputSpec {
  std::map<std::string, std::string> files;  // input name -> .npy path
  int64_t batch = 1;
  bool batch_given = false;                  // --batch on the command line: must agree with --dim
  std::map<std::string, int64_t> dims;       // symbolic dim name -> value (names the model has)
  uint64_t seed = 0;
};

// A declared shape with its symbolic dimensions by name: "[batch,3,224,224]" ("?" for
// an unnamed unknown dimension).
std::string declared_shape_str(const top::TensorInfo& info);

// What make_inputs generated for the inputs without a file, one line each (for
// `toprt run`'s report: random inputs should never pass unnoticed).
std::string describe_random_inputs(const top::Model& model, const InputSpec& spec, const std::vector<top::Tensor>& inputs);

// The concrete shape of a declared input: symbolic dims from `dims`, dim 0 from
// `batch`, any other unknown dim 1.
top::Shape concrete_shape(const top::TensorInfo& info, const InputSpec& spec);

// One tensor per model input, in model order. InvalidArgument for a --input or --dim
// name the model does not have (naming the ones it has); OutOfMemory when a random
// input's size is over top::max_allocation_bytes() (checked before allocating).
top::Result<std::vector<top::Tensor>> make_inputs(const top::Model& model, const InputSpec& spec);

// A model loaded from `path`, random (or .npy) inputs per `spec`, and its plan for
// their shapes: what the profiling and scheduling commands start from.
struct PlannedModel {
  top::Model model;
  std::vector<top::Tensor> inputs;
  std::shared_ptr<const top::exec::ExecutionPlan> plan;
  std::vector<const top::Tensor*> input_ptrs() const;
};
top::Result<PlannedModel> load_and_plan(const std::string& path, const InputSpec& spec);

// "name=value" -> (name, value); InvalidArgument when there is no '='.
top::Result<std::pair<std::string, std::string>> split_assignment(const std::string& s);

// The whole of `text` as a decimal integer in [lo, hi]; InvalidArgument naming `what`
// otherwise (no partial parses: "3x", "", "1e3" and out-of-range values are refused).
top::Result<int64_t> parse_integer(const std::string& text, int64_t lo, int64_t hi, const std::string& what);

// "--dim NAME=VALUE" options into `spec.dims` (VALUE in [1, 2^31-1]).
top::Status parse_dims(const std::vector<std::string>& options, InputSpec& spec);

}  // namespace toprt

// CostModel: how long one operator, and one stage of concurrent groups, takes on a device.
//
// One operator: a profile measurement of the same key (op type, input shapes, attribute
// hash) and intra-op thread count when there is one; the same key at another thread
// count scaled by the analytical ratio; otherwise the roofline
//
//     ms = max(flops / (peak * e_c(class)), bytes / (bandwidth * e_m(class))) + launch
//
// with per-class efficiencies e_c, e_m (tables in docs/cost_model.md), optionally times
// the class's measured/analytical ratio learned from the profile (calibrated fallback).
//
// One stage: groups run concurrently, each a sequence of operators. Each running
// operator demands a share of the device: on a GPU its occupancy, output elements /
// (threads per SM x SMs), clamped to [1 SM, whole device]; on the CPU its stream's
// threads / cores. While the running operators demand <= 1 device they all progress at
// their alone speed; beyond, every one slows by the total demand (processor sharing).
// A profile's measured co-run slow-down multiplies on top whenever two or more run.
//
//   CostModel cm(load_profile("profiles/cpu-amd-epyc-2c.json").value());
//   double ms = cm.op(plan, plan.steps[0], /*threads=*/1).ms;
//   double stage = cm.stage_ms(plan, schedule.stages[0], /*threads_per_stream=*/1);
//
// Thread safety: const methods only read; one CostModel may be shared by threads.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "exec/plan.h"
#include "exec/schedule.h"
#include "profile/device.h"
#include "profile/profile_io.h"

namespace top::profile {

enum class OpClass { kConv, kGemm, kElementwise, kTranscendental, kPoolNorm, kDataMovement, kOther, kCount };
OpClass classify_op(const std::string& op_type);
const char* op_class_name(OpClass c);

struct Efficiency {
  double compute = 1;  // fraction of the peak FLOP rate the class attains
  double memory = 1;   // fraction of the memory bandwidth
};

enum class MathPrecision { kFp32, kTf32, kFp16 };

struct CostModelOptions {
  // Which GPU peak Conv/Gemm use (the tensor-core peaks when the kernels use them).
  MathPrecision precision = MathPrecision::kFp32;
  std::array<Efficiency, static_cast<size_t>(OpClass::kCount)> gpu_efficiency = default_gpu_efficiency();
  std::array<Efficiency, static_cast<size_t>(OpClass::kCount)> cpu_efficiency = default_cpu_efficiency();
  bool use_measurements = true;      // profile entries of the same key
  bool calibrate_analytical = true;  // unmeasured ops: roofline x the class's measured ratio
  bool use_concurrency = true;       // profile co-run slow-downs
  // CPU Conv/Gemm/MatMul lose efficiency when the GEMM they lower to is thin: the compute
  // efficiency is multiplied by d / (d + half_dim), d = min(M, N) of that GEMM (for a
  // convolution M = output channels, N = output pixels per image). 0 = off.
  double cpu_gemm_half_dim = 12;

  static std::array<Efficiency, static_cast<size_t>(OpClass::kCount)> default_gpu_efficiency();
  static std::array<Efficiency, static_cast<size_t>(OpClass::kCount)> default_cpu_efficiency();
};

// The work of one operator, as the cost model sees it: the step's OpCost, except that
// pooling counts its window (kernel area per output, the plane for global pools).
struct OpWork {
  std::string op_type;
  std::string key;  // op_key(); empty = never measured
  double flops = 0;
  double bytes = 0;
  double output_elements = 0;  // parallelism for the occupancy model
  double gemm_min_dim = 0;     // min(M, N) of the GEMM a Conv/Gemm/MatMul lowers to; 0 = n/a
};
// min(M, N) of the GEMM behind a Conv (M = output channels, N = output pixels per image),
// Gemm or MatMul, from
// its input shapes and output element count; 0 when not a GEMM, a matrix-vector product
// (M or N = 1: BLAS takes a memory-bound path) or not recoverable.
double gemm_min_dim(const std::string& op_type, const std::vector<Shape>& inputs, double output_elements);
OpWork describe_step(const exec::ExecutionPlan& plan, const exec::Step& step);

struct OpEstimate {
  enum class Source { kMeasured, kScaled, kCalibrated, kAnalytical };
  double ms = 0;      // alone on the device (CPU: with the given threads)
  double demand = 1;  // share of the device it keeps busy, in (0, 1]
  std::string op_type;
  Source source = Source::kAnalytical;
};
const char* estimate_source_name(OpEstimate::Source s);

struct StageEstimate {
  double ms = 0;                        // until the last group finishes
  double serial_ms = 0;                 // the same operators one after another
  std::vector<double> group_finish_ms;  // per group
};

class CostModel {
 public:
  explicit CostModel(DeviceSpec device, CostModelOptions opts = {});
  // Uses the profile's device and measurements (the profile is copied).
  explicit CostModel(Profile profile, CostModelOptions opts = {});

  const DeviceSpec& device() const { return device_; }
  const Profile* profile() const { return has_profile_ ? &profile_ : nullptr; }
  const CostModelOptions& options() const { return opts_; }

  // `threads`: CPU intra-op threads the operator runs with (0 = every core); ignored on
  // GPUs. Always positive for a device with positive peaks.
  double roofline_ms(const OpWork& w, int threads = 0) const;
  double demand(const OpWork& w, int threads = 0) const;
  // CPU: threads the operator's kernel actually splits into (<= threads); GPU: 1.
  int effective_threads(const OpWork& w, int threads = 0) const;
  OpEstimate op(const OpWork& w, int threads = 0) const;
  OpEstimate op(const exec::ExecutionPlan& plan, const exec::Step& step, int threads = 0) const;
  // A merged group (exec::Group::merged) run as one wide convolution: the sum of the
  // parts' own estimates (measured where the profile has them) times roofline(wide) /
  // sum of roofline(part), so measurements stay the anchor and the model only says what
  // merging changes (one input pass, one fuller GEMM).
  OpEstimate merged_conv(const exec::ExecutionPlan& plan, const std::vector<int>& steps, int threads = 0) const;
  // The profile's co-run slow-down of `op_type` per extra operator running beside it
  // (0 without concurrency measurements): an operator with n others running takes
  // 1 + n x this times longer, on top of processor sharing. `sibling`: the others
  // include an operator of the same task (Profile::sibling_concurrency when measured).
  double corun_per_extra(const std::string& op_type, bool sibling = false) const;
  // The slow-down factor of an operator with co-run coefficient `per_extra` while
  // `running` operators (itself included) run: 1 + per_extra x (running - 1), at least
  // 0.05. The one rule the stage model and the simulator's virtual executor share.
  static double corun_slowdown(double per_extra, size_t running);
  // measured / analytical of the profile's ops of this class at `threads` (median), or 1.
  double class_correction(OpClass c, int threads) const;

  // Groups run concurrently, each its operators in order (processor-sharing model above).
  StageEstimate stage(const std::vector<std::vector<OpEstimate>>& groups) const;
  double stage_ms(const exec::ExecutionPlan& plan, const exec::Stage& stage, int threads_per_stream = 0) const;
  // Stages back to back, each ending when its slowest group does (an upper bound on the
  // stage executor, which lets a group start as soon as its inputs are ready).
  double schedule_ms(const exec::Schedule& schedule, int threads_per_stream = 0) const;

 private:
  double peak_flops(OpClass c, int threads) const;
  double bandwidth(double bytes, int threads) const;
  double slowdown(const std::string& op_type, size_t running) const;
  void learn_corrections();

  DeviceSpec device_;
  CostModelOptions opts_;
  Profile profile_;
  bool has_profile_ = false;
  // Per class, per thread count measured: median measured / roofline.
  std::vector<std::pair<int, std::array<double, static_cast<size_t>(OpClass::kCount)>>> corrections_;
};

}  // namespace top::profile

#include "profile/cost_model.h"

#include "exec/conv_merge.h"
#include "util/median.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "ir/graph.h"

namespace top::profile {

namespace {

constexpr size_t kClasses = static_cast<size_t>(OpClass::kCount);

size_t idx(OpClass c) { return static_cast<size_t>(c); }

}  // namespace

OpClass classify_op(const std::string& t) {
  static const std::map<std::string, OpClass> table = {
      {"Conv", OpClass::kConv},
      {"ConvTranspose", OpClass::kConv},
      {"Gemm", OpClass::kGemm},
      {"MatMul", OpClass::kGemm},
      {"Einsum", OpClass::kGemm},
      {"RNN", OpClass::kGemm},
      {"GRU", OpClass::kGemm},
      {"LSTM", OpClass::kGemm},
      {"MatMulInteger", OpClass::kGemm},
      {"QLinearMatMul", OpClass::kGemm},
      {"ConvInteger", OpClass::kConv},
      {"QLinearConv", OpClass::kConv},
      // Transcendentals: the cost counts one FLOP per element where ~10-20 execute.
      {"Sigmoid", OpClass::kTranscendental},
      {"Tanh", OpClass::kTranscendental},
      {"Exp", OpClass::kTranscendental},
      {"Log", OpClass::kTranscendental},
      {"Erf", OpClass::kTranscendental},
      {"Gelu", OpClass::kTranscendental},
      {"Softmax", OpClass::kTranscendental},
      {"LogSoftmax", OpClass::kTranscendental},
      {"Pow", OpClass::kTranscendental},
      {"Sqrt", OpClass::kTranscendental},
      {"Reciprocal", OpClass::kTranscendental},
      {"HardSwish", OpClass::kElementwise},
      {"Softplus", OpClass::kTranscendental},
      {"Mish", OpClass::kTranscendental},
      {"Swish", OpClass::kTranscendental},
      // Windows, reductions and normalisations: several reads per output.
      {"MaxPool", OpClass::kPoolNorm},
      {"AveragePool", OpClass::kPoolNorm},
      {"GlobalAveragePool", OpClass::kPoolNorm},
      {"GlobalMaxPool", OpClass::kPoolNorm},
      {"LRN", OpClass::kPoolNorm},
      {"BatchNormalization", OpClass::kPoolNorm},
      {"InstanceNormalization", OpClass::kPoolNorm},
      {"LayerNormalization", OpClass::kPoolNorm},
      {"ReduceMean", OpClass::kPoolNorm},
      {"ReduceSum", OpClass::kPoolNorm},
      {"ReduceMax", OpClass::kPoolNorm},
      {"ReduceMin", OpClass::kPoolNorm},
      {"ReduceProd", OpClass::kPoolNorm},
      {"ReduceL2", OpClass::kPoolNorm},
      {"ArgMax", OpClass::kPoolNorm},
      {"ArgMin", OpClass::kPoolNorm},
      // Pure data movement: bytes are the work, FLOPs mean nothing.
      {"Concat", OpClass::kDataMovement},
      {"Reshape", OpClass::kDataMovement},
      {"Flatten", OpClass::kDataMovement},
      {"Squeeze", OpClass::kDataMovement},
      {"Unsqueeze", OpClass::kDataMovement},
      {"Transpose", OpClass::kDataMovement},
      {"Gather", OpClass::kDataMovement},
      {"Slice", OpClass::kDataMovement},
      {"Split", OpClass::kDataMovement},
      {"Pad", OpClass::kDataMovement},
      {"Expand", OpClass::kDataMovement},
      {"Tile", OpClass::kDataMovement},
      {"Identity", OpClass::kDataMovement},
      {"Cast", OpClass::kDataMovement},
      {"Resize", OpClass::kDataMovement},
      {"Upsample", OpClass::kDataMovement},
      {"DepthToSpace", OpClass::kDataMovement},
      {"SpaceToDepth", OpClass::kDataMovement},
      {"Shape", OpClass::kDataMovement},
      {"Dropout", OpClass::kDataMovement},
  };
  auto it = table.find(t);
  if (it != table.end()) return it->second;
  static const std::set<std::string> elementwise = {
      "Relu", "LeakyRelu",   "PRelu",       "Clip",          "Add",  "Sub",
      "Mul",  "Div",         "Neg",         "Abs",           "Max",  "Min",
      "Sum",  "Mean",        "Where",       "Equal",         "Less", "Greater",
      "Not",  "And",         "Or",          "Floor",         "Ceil", "Round",
      "Sign", "HardSigmoid", "Elu",         "Selu",          "Celu", "ThresholdedRelu",
      "Mod",  "BitShift",    "LessOrEqual", "GreaterOrEqual"};
  return elementwise.count(t) ? OpClass::kElementwise : OpClass::kOther;
}

const char* op_class_name(OpClass c) {
  switch (c) {
    case OpClass::kConv:
      return "conv";
    case OpClass::kGemm:
      return "gemm";
    case OpClass::kElementwise:
      return "elementwise";
    case OpClass::kTranscendental:
      return "transcendental";
    case OpClass::kPoolNorm:
      return "pool/norm";
    case OpClass::kDataMovement:
      return "data-movement";
    case OpClass::kOther:
      return "other";
    case OpClass::kCount:
      break;
  }
  return "?";
}

const char* estimate_source_name(OpEstimate::Source s) {
  switch (s) {
    case OpEstimate::Source::kMeasured:
      return "measured";
    case OpEstimate::Source::kScaled:
      return "scaled";
    case OpEstimate::Source::kCalibrated:
      return "calibrated";
    case OpEstimate::Source::kAnalytical:
      return "analytical";
  }
  return "?";
}

// Defaults, with the reasoning in docs/cost_model.md. GPU: fractions of the datasheet
// peaks that cuDNN/cuBLAS-class kernels reach on inference-sized layers.
std::array<Efficiency, kClasses> CostModelOptions::default_gpu_efficiency() {
  std::array<Efficiency, kClasses> e{};
  e[idx(OpClass::kConv)] = {0.60, 0.70};
  e[idx(OpClass::kGemm)] = {0.70, 0.80};
  e[idx(OpClass::kElementwise)] = {0.50, 0.80};
  e[idx(OpClass::kTranscendental)] = {0.10, 0.80};
  e[idx(OpClass::kPoolNorm)] = {0.20, 0.70};
  e[idx(OpClass::kDataMovement)] = {1.00, 0.60};
  e[idx(OpClass::kOther)] = {0.30, 0.60};
  return e;
}

// CPU: fractions of the single-thread SGEMM rate (the CPU "peak", see device.h) and of
// the measured copy bandwidth, for this runtime's kernels (im2col + OpenBLAS SGEMM for
// convolutions, SSE-width loops for the rest: the build has no -march=native).
std::array<Efficiency, kClasses> CostModelOptions::default_cpu_efficiency() {
  std::array<Efficiency, kClasses> e{};
  e[idx(OpClass::kConv)] = {0.80, 0.80};
  e[idx(OpClass::kGemm)] = {0.90, 0.80};
  e[idx(OpClass::kElementwise)] = {0.15, 0.80};
  e[idx(OpClass::kTranscendental)] = {0.03, 0.80};
  e[idx(OpClass::kPoolNorm)] = {0.05, 0.80};
  e[idx(OpClass::kDataMovement)] = {1.00, 1.00};
  e[idx(OpClass::kOther)] = {0.10, 0.50};
  return e;
}

double gemm_min_dim(const std::string& op_type, const std::vector<Shape>& in, double out_elems) {
  auto dim = [](const Shape& s, int i) {
    return static_cast<double>(s[static_cast<size_t>(i < 0 ? i + static_cast<int>(s.size()) : i)]);
  };
  double m = 0, n = 0;
  if ((op_type == "Conv") && in.size() >= 2 && in[0].size() >= 3 && in[1].size() == in[0].size()) {
    // Y[batch, M_total, pixels] = W[M_total, K] x im2col(X); per image and group.
    double batch = std::max(1.0, dim(in[0], 0)), m_total = std::max(1.0, dim(in[1], 0));
    m = m_total;  // groups split M, but depthwise-style groups are not GEMM-bound anyway
    n = out_elems / (batch * m_total);
  } else if (op_type == "MatMul" && in.size() >= 2 && in[0].size() >= 2 && in[1].size() >= 2) {
    m = dim(in[0], -2);
    n = dim(in[1], -1);
  } else if (op_type == "Gemm" && in.size() >= 2 && in[0].size() == 2 && in[1].size() == 2) {
    // transA/transB are attributes; N is the dimension of B that divides the output into
    // a dimension of A.
    for (int j = 0; j < 2 && n == 0; ++j) {
      double cand = dim(in[1], j), rows = cand > 0 ? out_elems / cand : 0;
      if (rows == dim(in[0], 0) || rows == dim(in[0], 1)) {
        n = cand;
        m = rows;
      }
    }
  }
  if (m <= 1 || n <= 1) return 0;
  return std::min(m, n);
}

OpWork describe_step(const exec::ExecutionPlan& plan, const exec::Step& step) {
  OpWork w;
  w.op_type = plan.graph->nodes[static_cast<size_t>(step.node)].op_type;
  w.key = op_key(plan, step);
  w.flops = step.cost.flops;
  w.bytes = step.cost.bytes;
  w.output_elements = step_output_elements(plan, step);
  // Op::cost counts one FLOP per output of a pooling operator; the kernels do a
  // window's worth of work per output (the whole plane for global pools).
  const ir::Node& node = plan.graph->nodes[static_cast<size_t>(step.node)];
  w.gemm_min_dim = gemm_min_dim(w.op_type, step_input_shapes(plan, step), w.output_elements);
  if (w.op_type == "MaxPool" || w.op_type == "AveragePool" || w.op_type == "LpPool") {
    double area = 1;
    for (int64_t k : node.attrs.get_ints("kernel_shape")) area *= static_cast<double>(std::max<int64_t>(k, 1));
    w.flops = w.output_elements * area;
  } else if (w.op_type == "GlobalAveragePool" || w.op_type == "GlobalMaxPool" || w.op_type == "GlobalLpPool") {
    std::vector<Shape> in = step_input_shapes(plan, step);
    if (!in.empty()) w.flops = static_cast<double>(std::max<int64_t>(shape_numel(in[0]), 0));
  }
  return w;
}

CostModel::CostModel(DeviceSpec device, CostModelOptions opts) : device_(std::move(device)), opts_(opts) {}

CostModel::CostModel(Profile profile, CostModelOptions opts)
    : device_(profile.device), opts_(opts), profile_(std::move(profile)), has_profile_(true) {
  learn_corrections();
}

double CostModel::peak_flops(OpClass c, int threads) const {
  double peak = device_.peak_fp32_flops;
  if (device_.is_gpu()) {
    if (c == OpClass::kConv || c == OpClass::kGemm) {
      if (opts_.precision == MathPrecision::kFp16 && device_.peak_fp16_tensor_flops > 0)
        peak = device_.peak_fp16_tensor_flops;
      if (opts_.precision == MathPrecision::kTf32 && device_.peak_tf32_tensor_flops > 0)
        peak = device_.peak_tf32_tensor_flops;
    }
    return peak;
  }
  return peak * threads / std::max(1, device_.compute_units);
}

// The CPU kernels split work only above a grain (src/ops: 2^16 multiply-adds per GEMM
// block, 16384 elements per elementwise chunk), so small operators use fewer threads
// than their stream has.
int CostModel::effective_threads(const OpWork& w, int threads) const {
  if (device_.is_gpu()) return 1;
  int cores = std::max(1, device_.compute_units);
  int t = threads <= 0 ? cores : std::min(threads, cores);
  OpClass c = classify_op(w.op_type);
  double chunks;
  if (c == OpClass::kConv || c == OpClass::kGemm) {
    chunks = w.flops / (2.0 * 65536);
  } else if (w.output_elements > 0) {
    chunks = w.output_elements / 16384.0;
  } else {
    return t;  // unknown parallelism
  }
  return static_cast<int>(std::clamp(std::floor(chunks), 1.0, static_cast<double>(t)));
}

double CostModel::bandwidth(double bytes, int threads) const {
  bool cached = device_.cache_bandwidth > 0 && bytes <= 0.5 * device_.cache_bytes;
  if (device_.is_gpu()) return cached ? device_.cache_bandwidth : device_.memory_bandwidth;
  int cores = std::max(1, device_.compute_units);
  if (cached) return device_.cache_bandwidth * threads / cores;  // private per-core caches
  double per_core =
      device_.memory_bandwidth_per_unit > 0 ? device_.memory_bandwidth_per_unit : device_.memory_bandwidth / cores;
  return std::min(device_.memory_bandwidth, per_core * threads);
}

double CostModel::roofline_ms(const OpWork& w, int threads) const {
  OpClass c = classify_op(w.op_type);
  const Efficiency& e = (device_.is_gpu() ? opts_.gpu_efficiency : opts_.cpu_efficiency)[idx(c)];
  int t = effective_threads(w, threads);
  double eff = e.compute;
  if (!device_.is_gpu() && opts_.cpu_gemm_half_dim > 0 && w.gemm_min_dim > 0)
    eff *= w.gemm_min_dim / (w.gemm_min_dim + opts_.cpu_gemm_half_dim);
  double compute_s = w.flops / std::max(1.0, peak_flops(c, t) * eff);
  double memory_s = w.bytes / std::max(1.0, bandwidth(w.bytes, t) * e.memory);
  return 1e3 * (std::max(compute_s, memory_s) + device_.launch_overhead_s);
}

double CostModel::demand(const OpWork& w, int threads) const {
  if (device_.is_gpu()) {
    double resident = std::max(1.0, device_.resident_threads());
    double one_sm = 1.0 / std::max(1, device_.compute_units);
    return std::clamp(w.output_elements / resident, one_sm, 1.0);
  }
  return static_cast<double>(effective_threads(w, threads)) / std::max(1, device_.compute_units);
}

void CostModel::learn_corrections() {
  corrections_.clear();
  if (!has_profile_) return;
  std::map<int, std::array<std::vector<double>, kClasses>> ratios;
  for (const auto& m : profile_.ops) {
    if (m.ms <= 0) continue;
    OpWork w{
        m.op_type, m.key, m.flops, m.bytes, m.output_elements, gemm_min_dim(m.op_type, m.shapes, m.output_elements)};
    double predicted = roofline_ms(w, m.threads);
    if (predicted > 0)
      ratios[device_.is_gpu() ? 0 : m.threads][idx(classify_op(m.op_type))].push_back(m.ms / predicted);
  }
  for (auto& [threads, per_class] : ratios) {
    std::array<double, kClasses> r;
    for (size_t c = 0; c < kClasses; ++c) r[c] = per_class[c].empty() ? 0.0 : median(per_class[c]);
    corrections_.push_back({threads, r});
  }
}

double CostModel::class_correction(OpClass c, int threads) const {
  if (corrections_.empty()) return 1.0;
  if (device_.is_gpu()) threads = 0;
  if (threads <= 0 && !device_.is_gpu()) threads = device_.compute_units;
  // The nearest measured thread count that has this class.
  double best = 1.0;
  int best_dist = std::numeric_limits<int>::max();
  for (const auto& [t, r] : corrections_) {
    if (r[idx(c)] <= 0) continue;
    int d = std::abs(t - threads);
    if (d < best_dist) {
      best_dist = d;
      best = r[idx(c)];
    }
  }
  return best;
}

OpEstimate CostModel::op(const OpWork& w, int threads) const {
  OpEstimate e;
  e.op_type = w.op_type;
  e.demand = demand(w, threads);
  int t = device_.is_gpu() ? 0 : (threads <= 0 ? device_.compute_units : threads);
  if (has_profile_ && opts_.use_measurements && !w.key.empty()) {
    const OpMeasurement* exact = profile_.find(w.key, device_.is_gpu() ? 0 : t);
    if (exact) {
      e.ms = exact->ms;
      e.source = OpEstimate::Source::kMeasured;
      return e;
    }
    // Same operator at another thread count: keep the measurement, scale by how the
    // roofline says the thread count changes it.
    const OpMeasurement* nearest = nullptr;
    for (const OpMeasurement* m : profile_.find_all(w.key))
      if (!nearest || std::abs(m->threads - t) < std::abs(nearest->threads - t)) nearest = m;
    if (nearest) {
      e.ms = nearest->ms * roofline_ms(w, t) / std::max(1e-12, roofline_ms(w, nearest->threads));
      e.source = OpEstimate::Source::kScaled;
      return e;
    }
  }
  e.ms = roofline_ms(w, t);
  if (has_profile_ && opts_.calibrate_analytical) {
    double k = class_correction(classify_op(w.op_type), t);
    if (k != 1.0) {
      e.ms *= k;
      e.source = OpEstimate::Source::kCalibrated;
    }
  }
  return e;
}

OpEstimate CostModel::op(const exec::ExecutionPlan& plan, const exec::Step& step, int threads) const {
  return op(describe_step(plan, step), threads);
}

double CostModel::corun_per_extra(const std::string& op_type, bool sibling) const {
  if (!has_profile_ || !opts_.use_concurrency) return 0.0;
  const bool use_sibling = sibling && profile_.has_sibling_concurrency;
  if (!use_sibling && !profile_.has_concurrency) return 0.0;
  const ConcurrencyMeasurement& c = use_sibling ? profile_.sibling_concurrency : profile_.concurrency;
  auto it = c.by_op_type.find(op_type);
  double f = it != c.by_op_type.end() ? it->second : c.pairwise_slowdown;
  // Measured with `streams` running; extrapolated linearly in the number of co-runners.
  return (f - 1.0) / std::max(1, c.streams - 1);
}

double CostModel::corun_slowdown(double per_extra, size_t running) {
  if (running < 2) return 1.0;
  return std::max(0.05, 1.0 + per_extra * static_cast<double>(running - 1));
}

double CostModel::slowdown(const std::string& op_type, size_t running) const {
  return running < 2 ? 1.0 : corun_slowdown(corun_per_extra(op_type), running);
}

StageEstimate CostModel::stage(const std::vector<std::vector<OpEstimate>>& groups) const {
  StageEstimate out;
  const size_t n = groups.size();
  out.group_finish_ms.assign(n, 0.0);
  std::vector<size_t> next(n, 0);
  std::vector<double> remaining(n, 0.0);  // alone-time left of the current operator
  for (size_t g = 0; g < n; ++g) {
    for (const auto& e : groups[g]) out.serial_ms += e.ms;
    if (!groups[g].empty()) remaining[g] = groups[g][0].ms;
  }
  const size_t max_running =
      static_cast<size_t>(std::max(1, device_.is_gpu() ? device_.max_concurrent_kernels : 1 << 20));
  double now = 0;
  std::vector<size_t> running;
  std::vector<double> rate;
  for (;;) {
    running.clear();
    for (size_t g = 0; g < n && running.size() < max_running; ++g)
      if (next[g] < groups[g].size()) running.push_back(g);
    if (running.empty()) break;
    double total_demand = 0;
    for (size_t g : running) total_demand += std::max(1e-9, groups[g][next[g]].demand);
    double share = total_demand > 1.0 ? 1.0 / total_demand : 1.0;
    rate.assign(running.size(), 0.0);
    double dt = std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < running.size(); ++i) {
      const OpEstimate& e = groups[running[i]][next[running[i]]];
      rate[i] = share / slowdown(e.op_type, running.size());
      dt = std::min(dt, remaining[running[i]] / rate[i]);
    }
    dt = std::max(0.0, dt);
    now += dt;
    for (size_t i = 0; i < running.size(); ++i) {
      size_t g = running[i];
      remaining[g] -= dt * rate[i];
      // Finish every operator within rounding of zero (so equal ops end together).
      while (next[g] < groups[g].size() && remaining[g] <= 1e-12 * std::max(1.0, now)) {
        ++next[g];
        if (next[g] < groups[g].size()) {
          remaining[g] += groups[g][next[g]].ms;
        } else {
          out.group_finish_ms[g] = now;
        }
      }
    }
  }
  out.ms = now;
  return out;
}

OpEstimate CostModel::merged_conv(const exec::ExecutionPlan& plan, const std::vector<int>& steps, int threads) const {
  OpEstimate out;
  out.op_type = "Conv";
  if (steps.empty()) return out;
  double parts_ms = 0, parts_roofline = 0, out_elements = 0;
  int64_t channels = 0;
  for (int s : steps) {
    const exec::Step& step = plan.steps[static_cast<size_t>(s)];
    parts_ms += op(plan, step, threads).ms;
    OpWork w = describe_step(plan, step);
    parts_roofline += roofline_ms(w, threads);
    out_elements += w.output_elements;
    channels += plan.slots[step.inputs[1]].shape[0];
  }
  OpWork wide = describe_step(plan, plan.steps[static_cast<size_t>(steps[0])]);
  const ir::OpCost c = exec::merged_conv_cost(plan, steps);
  wide.key.clear();
  wide.flops = c.flops;
  wide.bytes = c.bytes;
  wide.output_elements = out_elements;
  std::vector<Shape> shapes = step_input_shapes(plan, plan.steps[static_cast<size_t>(steps[0])]);
  if (shapes.size() >= 2 && !shapes[1].empty()) shapes[1][0] = channels;
  wide.gemm_min_dim = gemm_min_dim("Conv", shapes, out_elements);
  const double ratio = parts_roofline > 0 ? roofline_ms(wide, threads) / parts_roofline : 1.0;
  out.ms = parts_ms * ratio;
  out.demand = demand(wide, threads);
  out.source = OpEstimate::Source::kCalibrated;
  return out;
}

double CostModel::stage_ms(const exec::ExecutionPlan& plan, const exec::Stage& stage_in, int threads_per_stream) const {
  std::vector<std::vector<OpEstimate>> groups;
  for (const exec::Group& g : stage_in.groups) {
    std::vector<OpEstimate> ops;
    if (g.merged) {
      std::vector<int> steps;
      for (const exec::OpRef& r : g.ops) steps.push_back(r.step);
      ops.push_back(merged_conv(plan, steps, threads_per_stream));
      groups.push_back(std::move(ops));
      continue;
    }
    for (const exec::OpRef& r : g.ops)
      if (r.step >= 0 && static_cast<size_t>(r.step) < plan.steps.size())
        ops.push_back(op(plan, plan.steps[static_cast<size_t>(r.step)], threads_per_stream));
    groups.push_back(std::move(ops));
  }
  return stage(groups).ms;
}

double CostModel::schedule_ms(const exec::Schedule& schedule, int threads_per_stream) const {
  if (!schedule.plan) return 0;
  double total = 0;
  for (const exec::Stage& s : schedule.stages) total += stage_ms(*schedule.plan, s, threads_per_stream);
  return total;
}

}  // namespace top::profile

// RNN, GRU and LSTM (opsets 1-14) on the CPU: the shared rule (ops/recurrent.h) and a
// kernel that runs each (direction, batch) sequence of ops/recurrent_math.h on the pool.
#include "ops/recurrent.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "ops/families.h"
#include "ops/op_util.h"

namespace top::ops {

const char* rnn_op_name(RnnKind kind) {
  return kind == RnnKind::kRnn ? "RNN" : (kind == RnnKind::kGru ? "GRU" : "LSTM");
}

namespace {

// Activations per direction of each kind, with ONNX's defaults.
int activations_per_direction(RnnKind k) { return k == RnnKind::kRnn ? 1 : (k == RnnKind::kGru ? 2 : 3); }

struct ActivationSpec {
  const char* name;
  RnnAct kind;
  bool uses_alpha, uses_beta;
  float alpha, beta;  // defaults, as the standalone ONNX operators'
};

constexpr ActivationSpec kActivations[] = {
    {"sigmoid", RnnAct::kSigmoid, false, false, 0, 0},
    {"tanh", RnnAct::kTanh, false, false, 0, 0},
    {"relu", RnnAct::kRelu, false, false, 0, 0},
    {"affine", RnnAct::kAffine, true, true, 1.0f, 0.0f},
    {"leakyrelu", RnnAct::kLeakyRelu, true, false, 0.01f, 0},
    {"thresholdedrelu", RnnAct::kThresholdedRelu, true, false, 1.0f, 0},
    {"scaledtanh", RnnAct::kScaledTanh, true, true, 1.0f, 1.0f},
    {"hardsigmoid", RnnAct::kHardSigmoid, true, true, 0.2f, 0.5f},
    {"elu", RnnAct::kElu, true, false, 1.0f, 0},
    {"softsign", RnnAct::kSoftsign, false, false, 0, 0},
    {"softplus", RnnAct::kSoftplus, false, false, 0, 0},
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<RnnParams> parse_rnn_params(RnnKind kind, const ir::Attributes& attrs, const std::string& p) {
  RnnParams r;
  r.kind = kind;
  r.hidden = attrs.has("hidden_size") ? attrs.get_int("hidden_size", 0) : -1;
  if (attrs.has("hidden_size") && (r.hidden < 1 || r.hidden > (int64_t{1} << 24)))
    return InvalidArgument(p + "hidden_size must be in [1, 2^24]");
  const std::string dir = attrs.get_string("direction", "forward");
  if (dir == "bidirectional") {
    r.dirs = 2;
  } else if (dir == "reverse") {
    r.reverse_only = true;
  } else if (dir != "forward") {
    return InvalidArgument(p + "direction '" + dir + "' (forward, reverse or bidirectional)");
  }
  const int64_t layout = attrs.get_int("layout", 0);
  if (layout != 0 && layout != 1) return InvalidArgument(p + "layout must be 0 or 1");
  r.batch_first = layout == 1;
  r.linear_before_reset = attrs.get_int("linear_before_reset", 0) != 0;
  r.input_forget = attrs.get_int("input_forget", 0) != 0;
  if (attrs.has("clip")) {
    r.clip = attrs.get_float("clip", 0);
    if (!(r.clip > 0)) return InvalidArgument(p + "clip must be > 0");
  }
  if (kind != RnnKind::kGru && attrs.has("linear_before_reset"))
    return InvalidArgument(p + "linear_before_reset is a GRU attribute");

  // activations: per direction f (, g (, h)); one direction's list serves both.
  const int per_dir = activations_per_direction(kind);
  std::vector<std::string> names;
  if (const ir::Attribute* a = attrs.find("activations")) names = a->strings;
  if (names.empty()) {
    const char* defaults[3] = {kind == RnnKind::kRnn ? "tanh" : "sigmoid", "tanh", "tanh"};
    for (int d = 0; d < r.dirs; ++d)
      for (int i = 0; i < per_dir; ++i) names.push_back(defaults[i]);
  } else if (static_cast<int64_t>(names.size()) == per_dir && r.dirs == 2) {
    for (int i = 0; i < per_dir; ++i) names.push_back(names[static_cast<size_t>(i)]);
  }
  if (static_cast<int64_t>(names.size()) != per_dir * r.dirs)
    return InvalidArgument(p + "activations must list " + std::to_string(per_dir * r.dirs) + " functions, got " +
                           std::to_string(names.size()));
  const std::vector<float> alphas = attrs.get_floats("activation_alpha");
  const std::vector<float> betas = attrs.get_floats("activation_beta");
  size_t next_alpha = 0, next_beta = 0;  // consumed in order by the functions that take them
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    const ActivationSpec* spec = nullptr;
    for (const ActivationSpec& s : kActivations)
      if (n == s.name) spec = &s;
    if (spec == nullptr) return Unsupported(p + "activation '" + names[i] + "'");
    RnnActivation& act = r.act[i / static_cast<size_t>(per_dir)][i % static_cast<size_t>(per_dir)];
    act.kind = spec->kind;
    act.alpha = spec->uses_alpha && next_alpha < alphas.size() ? alphas[next_alpha++] : spec->alpha;
    act.beta = spec->uses_beta && next_beta < betas.size() ? betas[next_beta++] : spec->beta;
  }
  return r;
}

Result<RnnDims> rnn_dims(const RnnParams& params, const std::vector<Shape>& shapes, const std::vector<DataType>& dtypes,
                         const std::string& p) {
  auto present = [&](size_t i) { return i < dtypes.size() && dtypes[i] != DataType::kUndefined; };
  for (size_t i : {kRnnX, kRnnW, kRnnR})
    if (!present(i)) return InvalidArgument(p + "inputs X, W and R are required");
  const bool lstm = params.kind == RnnKind::kLstm;
  if (!lstm && (present(kRnnInitC) || present(kRnnP)))
    return InvalidArgument(p + "initial_c and P are LSTM inputs");
  for (size_t i = 0; i < dtypes.size(); ++i) {
    if (!present(i)) continue;
    const DataType want = i == kRnnSeqLens ? DataType::kInt32 : DataType::kFloat32;
    if (dtypes[i] != want)
      return Unsupported(p + "input " + std::to_string(i) + " has dtype " + dtype_name(dtypes[i]) + "; " +
                         dtype_name(want) + " is supported");
  }
  const Shape& x = shapes[kRnnX];
  const Shape& w = shapes[kRnnW];
  const int64_t G = rnn_gates(params.kind), D = params.dirs;
  if (x.size() != 3) return InvalidArgument(p + "X must have rank 3, got " + shape_str(x));
  if (w.size() != 3 || w[0] != D || w[1] % G != 0 || w[2] != x[2])
    return InvalidArgument(p + "W " + shape_str(w) + " must be [" + std::to_string(D) + ", " + std::to_string(G) +
                           " * hidden_size, " + std::to_string(x[2]) + "]");
  RnnDims d;
  d.hidden = w[1] / G;
  if (params.hidden >= 0 && params.hidden != d.hidden)
    return InvalidArgument(p + "W " + shape_str(w) + " does not match hidden_size " + std::to_string(params.hidden));
  if (d.hidden < 1) return InvalidArgument(p + "hidden_size must be >= 1");
  const int64_t H = d.hidden;
  d.seq = params.batch_first ? x[1] : x[0];
  d.batch = params.batch_first ? x[0] : x[1];
  d.input = x[2];
  auto expect = [&](size_t i, const Shape& want, const char* name) -> Status {
    if (present(i) && shapes[i] != want)
      return InvalidArgument(p + name + " " + shape_str(shapes[i]) + " must be " + shape_str(want));
    return Status::Ok();
  };
  TOP_RETURN_IF_ERROR(expect(kRnnR, Shape{D, G * H, H}, "R"));
  TOP_RETURN_IF_ERROR(expect(kRnnB, Shape{D, 2 * G * H}, "B"));
  TOP_RETURN_IF_ERROR(expect(kRnnSeqLens, Shape{d.batch}, "sequence_lens"));
  d.state = params.batch_first ? Shape{d.batch, D, H} : Shape{D, d.batch, H};
  TOP_RETURN_IF_ERROR(expect(kRnnInitH, d.state, "initial_h"));
  TOP_RETURN_IF_ERROR(expect(kRnnInitC, d.state, "initial_c"));
  TOP_RETURN_IF_ERROR(expect(kRnnP, Shape{D, 3 * H}, "P"));
  d.y = params.batch_first ? Shape{d.batch, d.seq, D, H} : Shape{d.seq, D, d.batch, H};
  return d;
}

RnnProblem rnn_problem(const RnnParams& params, const RnnDims& dims) {
  RnnProblem q;
  q.kind = params.kind;
  q.seq = dims.seq;
  q.batch = dims.batch;
  q.input = dims.input;
  q.hidden = dims.hidden;
  q.dirs = params.dirs;
  q.batch_first = params.batch_first;
  q.reverse_only = params.reverse_only;
  q.linear_before_reset = params.linear_before_reset;
  q.input_forget = params.input_forget;
  q.clip = params.clip;
  for (int d = 0; d < 2; ++d)
    for (int i = 0; i < 3; ++i) q.act[d][i] = params.act[d][i];
  return q;
}

namespace {

// The CPU's Units: a plain loop; the phases of a step need no barrier.
struct SerialUnits {
  template <class Fn>
  void for_units(int64_t n, Fn&& fn) {
    for (int64_t j = 0; j < n; ++j) fn(j);
  }
  void sync() {}
};

class RecurrentOp final : public Op {
 public:
  explicit RecurrentOp(RnnKind kind) : kind_(kind) {}
  Status init(const ir::Attributes& attrs, int opset) override {
    (void)opset;
    TOP_ASSIGN_OR_RETURN(params_, parse_rnn_params(kind_, attrs, std::string(rnn_op_name(kind_)) + ": "));
    return Status::Ok();
  }
  Status infer(InferContext& ctx) const override {
    std::vector<Shape> shapes;
    std::vector<DataType> dtypes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      shapes.push_back(ctx.has_input(i) ? ctx.input_shape(i) : Shape{});
      dtypes.push_back(ctx.has_input(i) ? ctx.input_dtype(i) : DataType::kUndefined);
    }
    TOP_ASSIGN_OR_RETURN(RnnDims d, rnn_dims(params_, shapes, dtypes, node_prefix(rnn_op_name(kind_), ctx)));
    const size_t outputs = kind_ == RnnKind::kLstm ? 3 : 2;
    if (ctx.num_outputs() > outputs)
      return InvalidArgument(node_prefix(rnn_op_name(kind_), ctx) + "has more than " + std::to_string(outputs) +
                             " outputs");
    for (size_t i = 0; i < ctx.num_outputs(); ++i) ctx.set_output(i, DataType::kFloat32, i == 0 ? d.y : d.state);
    return Status::Ok();
  }
  Status compute(const KernelContext& ctx) const override {
    const std::string p = std::string(rnn_op_name(kind_)) + ": ";
    std::vector<Shape> shapes;
    std::vector<DataType> dtypes;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      shapes.push_back(ctx.has_input(i) ? ctx.input(i).shape() : Shape{});
      dtypes.push_back(ctx.has_input(i) ? ctx.input(i).dtype() : DataType::kUndefined);
    }
    TOP_ASSIGN_OR_RETURN(RnnDims d, rnn_dims(params_, shapes, dtypes, p));
    for (size_t i = 0; i < ctx.num_outputs(); ++i)
      if (ctx.has_output(i) && ctx.output(i).shape() != (i == 0 ? d.y : d.state))
        return InvalidArgument(p + "output " + std::to_string(i) + " has the wrong shape");
    RnnProblem q = rnn_problem(params_, d);
    auto in = [&](size_t i) { return ctx.has_input(i) ? ctx.input(i).data<float>() : nullptr; };
    q.x = in(kRnnX);
    q.w = in(kRnnW);
    q.r = in(kRnnR);
    q.b = in(kRnnB);
    q.init_h = in(kRnnInitH);
    q.init_c = in(kRnnInitC);
    q.p = in(kRnnP);
    if (ctx.has_input(kRnnSeqLens)) {
      q.seq_lens = ctx.input(kRnnSeqLens).data<int32_t>();
      for (int64_t b = 0; b < d.batch; ++b)
        if (q.seq_lens[b] < 0 || q.seq_lens[b] > d.seq)
          return InvalidArgument(p + "sequence_lens[" + std::to_string(b) + "] = " + std::to_string(q.seq_lens[b]) +
                                 " is outside [0, " + std::to_string(d.seq) + "]");
    }
    auto out = [&](size_t i) { return ctx.has_output(i) ? ctx.output(i).data<float>() : nullptr; };
    q.y = out(0);
    q.y_h = out(1);
    q.y_c = out(2);
    const int64_t pairs = q.dirs * q.batch;
    const int64_t per_seq = rnn_scratch_floats(q.hidden);
    std::vector<float> scratch(static_cast<size_t>(pairs * per_seq));
    ctx.parallel_for(pairs, 1, [&](int64_t begin, int64_t end) {
      SerialUnits units;
      for (int64_t i = begin; i < end; ++i) rnn_sequence(q, i / q.batch, i % q.batch, scratch.data() + i * per_seq, units);
    });
    return Status::Ok();
  }
  // Each step multiplies the gates' rows by x and h: 2 * G * H * (I + H) per sequence step.
  ir::OpCost cost(const InferContext& ctx) const override {
    ir::OpCost c = Op::cost(ctx);
    if (ctx.has_input(kRnnX) && ctx.has_input(kRnnW) && ctx.input_shape(kRnnX).size() == 3 &&
        ctx.input_shape(kRnnW).size() == 3) {
      const Shape& x = ctx.input_shape(kRnnX);
      const Shape& w = ctx.input_shape(kRnnW);
      const double gh = static_cast<double>(w[1]), hidden = gh / rnn_gates(kind_);
      c.flops = 2.0 * static_cast<double>(x[0]) * static_cast<double>(x[1]) * static_cast<double>(w[0]) * gh *
                (static_cast<double>(x[2]) + hidden);
    }
    return c;
  }

 private:
  RnnKind kind_;
  RnnParams params_;
};

}  // namespace

void register_recurrent_ops(OpRegistry& r) {
  r.add("RNN", 1, [] { return std::make_unique<RecurrentOp>(RnnKind::kRnn); });
  r.add("GRU", 1, [] { return std::make_unique<RecurrentOp>(RnnKind::kGru); });
  r.add("LSTM", 1, [] { return std::make_unique<RecurrentOp>(RnnKind::kLstm); });
}

}  // namespace top::ops

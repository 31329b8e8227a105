// RNN, GRU and LSTM (ONNX opsets 7-14) for one (direction, batch) sequence: the whole
// recurrence, written once for the CPU kernel (src/ops/recurrent.cpp) and the CUDA
// kernel (kernels/recurrent.cu). The hidden units of a step are independent, so the
// algorithm is written against a `Units` policy: for_units(fn) runs fn(j) for every
// unit j (a plain loop on the CPU, the threads of one block on the GPU) and sync()
// separates the phases of a step (nothing on the CPU, __syncthreads on the GPU). Both
// backends therefore compute every value with the same formula in the same order.
//
// Only the standard library is included, so that nvcc compiles this too.
#pragma once

#include <math.h>
#include <stdint.h>

#include "host_device.h"

namespace top::ops {

enum class RnnKind : int { kRnn = 0, kGru = 1, kLstm = 2 };

// The activation functions ONNX allows in `activations`, with their alpha/beta.
enum class RnnAct : int {
  kSigmoid,
  kTanh,
  kRelu,
  kAffine,           // alpha * x + beta
  kLeakyRelu,        // x < 0 ? alpha * x : x
  kThresholdedRelu,  // x > alpha ? x : 0
  kScaledTanh,       // alpha * tanh(beta * x)
  kHardSigmoid,      // clamp(alpha * x + beta, 0, 1)
  kElu,              // x < 0 ? alpha * (e^x - 1) : x
  kSoftsign,         // x / (1 + |x|)
  kSoftplus,         // log(1 + e^x)
};

struct RnnActivation {
  RnnAct kind = RnnAct::kSigmoid;
  float alpha = 0, beta = 0;
};

TOP_HD float rnn_activate(const RnnActivation& a, float x) {
  switch (a.kind) {
    case RnnAct::kSigmoid:
      return x >= 0 ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    case RnnAct::kTanh:
      return tanhf(x);
    case RnnAct::kRelu:
      return x > 0 ? x : 0.0f;
    case RnnAct::kAffine:
      return a.alpha * x + a.beta;
    case RnnAct::kLeakyRelu:
      return x < 0 ? a.alpha * x : x;
    case RnnAct::kThresholdedRelu:
      return x > a.alpha ? x : 0.0f;
    case RnnAct::kScaledTanh:
      return a.alpha * tanhf(a.beta * x);
    case RnnAct::kHardSigmoid: {
      const float v = a.alpha * x + a.beta;
      return v < 0 ? 0.0f : (v > 1 ? 1.0f : v);
    }
    case RnnAct::kElu:
      return x < 0 ? a.alpha * (expf(x) - 1.0f) : x;
    case RnnAct::kSoftsign:
      return x / (1.0f + fabsf(x));
    case RnnAct::kSoftplus:
      return x > 20 ? x : log1pf(expf(x));
  }
  return x;
}

// Everything the recurrence reads and writes, as dense float32 arrays in ONNX's layouts.
// Gates are stacked along W's and R's rows in ONNX's order: RNN (one), GRU z r h, LSTM
// i o f c. Optional arrays are null when the model omits them.
struct RnnProblem {
  RnnKind kind = RnnKind::kRnn;
  int64_t seq = 0, batch = 0, input = 0, hidden = 0, dirs = 1;
  bool batch_first = false;    // layout = 1: X [batch, seq, input], Y [batch, seq, dirs, hidden], states [batch, dirs, hidden]
  bool reverse_only = false;   // direction = "reverse" (one direction that runs backwards)
  bool linear_before_reset = false;  // GRU
  bool input_forget = false;         // LSTM: f = 1 - i
  float clip = 0;                    // > 0: pre-activations clipped to [-clip, clip]
  RnnActivation act[2][3];           // per direction: f, g, h (as many as the kind uses)
  const float* x = nullptr;          // X
  const float* w = nullptr;          // [dirs, gates * hidden, input]
  const float* r = nullptr;          // [dirs, gates * hidden, hidden]
  const float* b = nullptr;          // [dirs, 2 * gates * hidden]: Wb then Rb
  const int32_t* seq_lens = nullptr; // [batch]
  const float* init_h = nullptr;
  const float* init_c = nullptr;     // LSTM
  const float* p = nullptr;          // LSTM peepholes [dirs, 3 * hidden]: i o f
  float* y = nullptr;
  float* y_h = nullptr;
  float* y_c = nullptr;              // LSTM
};

TOP_HD int rnn_gates(RnnKind k) { return k == RnnKind::kRnn ? 1 : (k == RnnKind::kGru ? 3 : 4); }

// Floats of scratch one (direction, batch) sequence needs: two hidden and two cell state
// buffers (previous and next step), GRU's z and r * h_prev.
TOP_HD int64_t rnn_scratch_floats(int64_t hidden) { return 6 * hidden; }

// Offsets of X's time step t, of a state [dirs, batch, hidden] (or [batch, dirs, hidden])
// and of Y's (t, d, b) row, in elements.
TOP_HD int64_t rnn_x_offset(const RnnProblem& q, int64_t t, int64_t b) {
  return (q.batch_first ? b * q.seq + t : t * q.batch + b) * q.input;
}
TOP_HD int64_t rnn_state_offset(const RnnProblem& q, int64_t d, int64_t b) {
  return (q.batch_first ? b * q.dirs + d : d * q.batch + b) * q.hidden;
}
TOP_HD int64_t rnn_y_offset(const RnnProblem& q, int64_t t, int64_t d, int64_t b) {
  return (q.batch_first ? (b * q.seq + t) * q.dirs + d : (t * q.dirs + d) * q.batch + b) * q.hidden;
}

// sum_k w[k] * v[k], accumulated in double in index order on both backends.
TOP_HD float rnn_dot(const float* w, const float* v, int64_t n) {
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) acc += static_cast<double>(w[k]) * static_cast<double>(v[k]);
  return static_cast<float>(acc);
}

TOP_HD float rnn_clip(float v, float clip) { return clip > 0 ? (v < -clip ? -clip : (v > clip ? clip : v)) : v; }

// Pre-activation of gate `g`, unit j: x W_g[j]^T + Wb_g[j] + Rb_g[j] (the recurrent
// product is added by the caller, whose hidden vector differs between GRU's gates).
TOP_HD float rnn_input_part(const RnnProblem& q, const float* w, const float* bias, int g, int64_t j,
                            const float* x) {
  const int64_t row = g * q.hidden + j;
  float v = rnn_dot(w + row * q.input, x, q.input);
  if (bias != nullptr) v += bias[row] + bias[rnn_gates(q.kind) * q.hidden + row];
  return v;
}

// Runs direction d over batch entry b. `scratch` holds rnn_scratch_floats(hidden) floats
// owned by this sequence.
template <class Units>
TOP_HD void rnn_sequence(const RnnProblem& q, int64_t d, int64_t b, float* scratch, Units& units) {
  const int64_t H = q.hidden;
  const int G = rnn_gates(q.kind);
  const float* w = q.w + d * G * H * q.input;
  const float* r = q.r + d * G * H * H;
  const float* bias = q.b != nullptr ? q.b + d * 2 * G * H : nullptr;
  const float* peep = q.p != nullptr ? q.p + d * 3 * H : nullptr;
  const RnnActivation* act = q.act[d];
  const bool backwards = q.reverse_only || d == 1;
  int64_t len = q.seq_lens != nullptr ? q.seq_lens[b] : q.seq;
  len = len < 0 ? 0 : (len > q.seq ? q.seq : len);
  float* h[2] = {scratch, scratch + H};
  float* c[2] = {scratch + 2 * H, scratch + 3 * H};
  float* z = scratch + 4 * H;
  float* rh = scratch + 5 * H;
  const int64_t state = rnn_state_offset(q, d, b);
  units.for_units(H, [&](int64_t j) {
    h[0][j] = q.init_h != nullptr ? q.init_h[state + j] : 0.0f;
    c[0][j] = q.init_c != nullptr ? q.init_c[state + j] : 0.0f;
  });
  units.sync();
  int cur = 0;
  for (int64_t step = 0; step < len; ++step) {
    const int64_t t = backwards ? len - 1 - step : step;
    const float* x = q.x + rnn_x_offset(q, t, b);
    const float* hp = h[cur];
    float* hn = h[cur ^ 1];
    if (q.kind == RnnKind::kRnn) {
      units.for_units(H, [&](int64_t j) {
        const float v = rnn_input_part(q, w, bias, 0, j, x) + rnn_dot(r + j * H, hp, H);
        hn[j] = rnn_activate(act[0], rnn_clip(v, q.clip));
      });
    } else if (q.kind == RnnKind::kLstm) {
      const float* cp = c[cur];
      float* cn = c[cur ^ 1];
      units.for_units(H, [&](int64_t j) {
        float pre[4];
        for (int g = 0; g < 4; ++g) pre[g] = rnn_input_part(q, w, bias, g, j, x) + rnn_dot(r + (g * H + j) * H, hp, H);
        if (peep != nullptr) {
          pre[0] += peep[j] * cp[j];
          pre[2] += peep[2 * H + j] * cp[j];
        }
        const float ig = rnn_activate(act[0], rnn_clip(pre[0], q.clip));
        const float fg = q.input_forget ? 1.0f - ig : rnn_activate(act[0], rnn_clip(pre[2], q.clip));
        const float cand = rnn_activate(act[1], rnn_clip(pre[3], q.clip));
        const float cell = fg * cp[j] + ig * cand;
        if (peep != nullptr) pre[1] += peep[H + j] * cell;
        const float og = rnn_activate(act[0], rnn_clip(pre[1], q.clip));
        cn[j] = cell;
        hn[j] = og * rnn_activate(act[2], cell);
      });
    } else {
      // GRU: z and r first; without linear_before_reset the candidate needs r * h_prev of
      // every unit, hence two phases.
      units.for_units(H, [&](int64_t j) {
        const float zg = rnn_activate(
            act[0], rnn_clip(rnn_input_part(q, w, bias, 0, j, x) + rnn_dot(r + j * H, hp, H), q.clip));
        const float rg = rnn_activate(
            act[0], rnn_clip(rnn_input_part(q, w, bias, 1, j, x) + rnn_dot(r + (H + j) * H, hp, H), q.clip));
        z[j] = zg;
        if (q.linear_before_reset) {
          float rec = rnn_dot(r + (2 * H + j) * H, hp, H);
          if (bias != nullptr) rec += bias[3 * H + 2 * H + j];
          float v = rnn_dot(w + (2 * H + j) * q.input, x, q.input) + rg * rec;
          if (bias != nullptr) v += bias[2 * H + j];
          const float cand = rnn_activate(act[1], rnn_clip(v, q.clip));
          hn[j] = (1.0f - zg) * cand + zg * hp[j];
        } else {
          rh[j] = rg * hp[j];
        }
      });
      if (!q.linear_before_reset) {
        units.sync();
        units.for_units(H, [&](int64_t j) {
          const float v = rnn_input_part(q, w, bias, 2, j, x) + rnn_dot(r + (2 * H + j) * H, rh, H);
          const float cand = rnn_activate(act[1], rnn_clip(v, q.clip));
          hn[j] = (1.0f - z[j]) * cand + z[j] * hp[j];
        });
      }
    }
    units.sync();
    if (q.y != nullptr) {
      float* yrow = q.y + rnn_y_offset(q, t, d, b);
      units.for_units(H, [&](int64_t j) { yrow[j] = hn[j]; });
    }
    cur ^= 1;
  }
  if (q.y != nullptr) {
    for (int64_t t = len; t < q.seq; ++t) {
      float* yrow = q.y + rnn_y_offset(q, t, d, b);
      units.for_units(H, [&](int64_t j) { yrow[j] = 0.0f; });
    }
  }
  units.for_units(H, [&](int64_t j) {
    if (q.y_h != nullptr) q.y_h[state + j] = h[cur][j];
    if (q.y_c != nullptr) q.y_c[state + j] = c[cur][j];
  });
  units.sync();
}

}  // namespace top::ops

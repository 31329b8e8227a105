"""RNN, GRU and LSTM conformance cases: each direction, biases, initial states,
sequence lengths, peepholes, clip, GRU's linear_before_reset, LSTM's input_forget,
non-default activations and omitted outputs. ONNX Runtime 1.30 runs layout 0 only, so
layout 1 (batch first) is covered by the ONNX backend node suite."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, out as _out

F = TensorProto.FLOAT

_model = functools.partial(make_model, graph="recurrent", infer="outputs")

_GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


def _case(rng, op, seq, batch, inp, hidden, *, dirs=1, bias=True, init=False, lens=None, peep=False,
          outputs=("y", "y_h"), weights_as_inputs=False, **attrs):
    g = _GATES[op]
    arrays = {"w": rng.standard_normal([dirs, g * hidden, inp]) * 0.4,
              "r": rng.standard_normal([dirs, g * hidden, hidden]) * 0.4}
    names = ["x", "w", "r"]
    if bias or lens is not None or init or peep:
        names.append("b" if bias else "")
        if bias:
            arrays["b"] = rng.standard_normal([dirs, 2 * g * hidden]) * 0.3
    if lens is not None or init or peep:
        names.append("lens" if lens is not None else "")
    if init or peep:
        names.append("h0" if init else "")
        if init:
            arrays["h0"] = rng.standard_normal([dirs, batch, hidden])
    if op == "LSTM" and (init or peep):
        names.append("c0" if init else "")
        if init:
            arrays["c0"] = rng.standard_normal([dirs, batch, hidden])
    if peep:
        names.append("p")
        arrays["p"] = rng.standard_normal([dirs, 3 * hidden]) * 0.5
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}
    node = helper.make_node(op, names, list(outputs), hidden_size=hidden, **attrs)
    feeds = {"x": rng.standard_normal([seq, batch, inp]).astype(np.float32)}
    inputs = [helper.make_tensor_value_info("x", F, [seq, batch, inp])]
    inits = []
    for k, v in arrays.items():
        if weights_as_inputs:
            inputs.append(helper.make_tensor_value_info(k, F, list(v.shape)))
            feeds[k] = v
        else:
            inits.append(numpy_helper.from_array(v, k))
    if lens is not None:
        inputs.append(helper.make_tensor_value_info("lens", TensorProto.INT32, [batch]))
        feeds["lens"] = np.array(lens, dtype=np.int32)
    outs = [_out(o) for o in outputs if o]
    return _model([node], inputs, outs, 14, inits), feeds


def cases():
    rng = np.random.default_rng(4242)
    for op in ("RNN", "GRU", "LSTM"):
        n = op.lower()
        yield ("%s_forward_default" % n, *_case(rng, op, 5, 2, 3, 4, bias=False))
        yield ("%s_forward_bias_init" % n, *_case(rng, op, 4, 3, 5, 6, init=True))
        yield ("%s_reverse" % n, *_case(rng, op, 6, 2, 4, 5, init=True, direction="reverse"))
        yield ("%s_bidirectional_lens" % n,
               *_case(rng, op, 7, 3, 4, 5, dirs=2, init=True, lens=[7, 3, 5], direction="bidirectional"))
        yield ("%s_clip" % n, *_case(rng, op, 5, 2, 3, 4, init=True, clip=0.7))
        yield ("%s_weights_as_inputs" % n, *_case(rng, op, 3, 2, 3, 33, init=True, weights_as_inputs=True))
        yield ("%s_only_y_h" % n, *_case(rng, op, 4, 2, 3, 4, outputs=("", "y_h")))
    yield ("rnn_relu", *_case(rng, "RNN", 5, 2, 3, 4, activations=["Relu"]))
    yield ("rnn_bidirectional_two_activations",
           *_case(rng, "RNN", 4, 2, 3, 4, dirs=2, direction="bidirectional", activations=["Tanh", "Relu"]))
    yield ("gru_linear_before_reset", *_case(rng, "GRU", 5, 2, 3, 6, init=True, linear_before_reset=1))
    yield ("gru_linear_before_reset_bidirectional",
           *_case(rng, "GRU", 5, 2, 3, 6, dirs=2, init=True, lens=[2, 5], linear_before_reset=1,
                  direction="bidirectional"))
    yield ("lstm_peepholes", *_case(rng, "LSTM", 5, 2, 3, 4, init=True, peep=True, outputs=("y", "y_h", "y_c")))
    yield ("lstm_input_forget", *_case(rng, "LSTM", 5, 2, 3, 4, init=True, input_forget=1))
    yield ("lstm_bidirectional_peepholes_y_c",
           *_case(rng, "LSTM", 6, 2, 3, 4, dirs=2, init=True, peep=True, lens=[6, 1], direction="bidirectional",
                  outputs=("y", "y_h", "y_c")))

"""NaN propagation checked against ONNX Runtime: inputs with a few NaNs through the
operators whose NaN behaviour ORT defines consistently — Relu, LeakyRelu, Clip,
HardSigmoid, HardSwish, Conv fused with an activation (ORT's FusedConv at optimisation
level 'all', our plan-time fusion) and Max/Min. The conformance runner requires NaN at
exactly the reference's NaN positions.

MaxPool, GlobalMaxPool and ReduceMax/ReduceMin are not here: ORT 1.30 keeps or drops a
NaN depending on where it sits (the window position in MLAS MaxPool; short rows
propagate, vectorised long rows and spatial reductions drop it), so it is no reference
for them. TOP propagates NaN through all of them (src/ops/activation_math.h), as numpy
and PyTorch do; tests/unit/ops_nan_test.cpp checks that."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero, vi, with_nans

F = TensorProto.FLOAT

_model = functools.partial(make_model, graph="nan")


def _scalar(name, v):
    return numpy_helper.from_array(np.array(v, dtype=np.float32), name)


def _activation_cases(rng):
    shape = [2, 3, 7, 9]
    acts = [("Relu", {}, [], 13), ("LeakyRelu", {"alpha": 0.2}, [], 13), ("Clip", {}, [-0.5, 0.6], 13),
            ("HardSigmoid", {"alpha": 0.3, "beta": 0.45}, [], 13), ("HardSwish", {}, [], 14)]
    for op, attrs, bounds, opset in acts:
        inits = [_scalar("lo", bounds[0]), _scalar("hi", bounds[1])] if bounds else []
        ins = ["x"] + (["lo", "hi"] if bounds else [])
        x = with_nans(rng, nonzero(rng, shape), 20)
        m = _model([helper.make_node(op, ins, ["y"], **attrs)], [vi("x", F, shape)], [vi("y", F, shape)],
                   opset, inits)
        yield "nan_%s" % op.lower(), m, {"x": x}

        # Conv -> activation: both runtimes fuse it into the convolution.
        w = (nonzero(rng, [4, 3, 3, 3]) * 0.5).astype(np.float32)
        b = nonzero(rng, [4])
        conv_inits = [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")] + inits
        nodes = [helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
                 helper.make_node(op, ["c"] + ins[1:], ["y"], **attrs)]
        out_shape = [shape[0], 4] + shape[2:]
        x = with_nans(rng, nonzero(rng, shape), 3)  # each NaN poisons a 3x3 neighbourhood
        m = _model(nodes, [vi("x", F, shape)], [vi("y", F, out_shape)], opset, conv_inits)
        yield "nan_conv_%s" % op.lower(), m, {"x": x}


def _max_min_cases(rng):
    for op in ("Max", "Min"):
        a = with_nans(rng, nonzero(rng, [3, 50]), 6)
        b = with_nans(rng, nonzero(rng, [50]), 4)  # broadcast along rows
        m = _model([helper.make_node(op, ["a", "b"], ["y"])], [vi("a", F, [3, 50]), vi("b", F, [50])],
                   [vi("y", F, [3, 50])], 13)
        yield "nan_%s" % op.lower(), m, {"a": a, "b": b}


def cases():
    rng = np.random.default_rng(2468)
    yield from _activation_cases(rng)
    yield from _max_min_cases(rng)

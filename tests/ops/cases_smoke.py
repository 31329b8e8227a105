"""Smoke cases for the ONNX Runtime conformance pipeline (gen_op_cases.py ->
ort_reference.js -> C++ comparison): tiny graphs that exercise broadcasting, int64
and bool tensors, several outputs, and tensor names that need sanitizing."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi


_model = functools.partial(make_model, graph="smoke", ir_version=7)


def cases():
    rng = np.random.default_rng(20240601)
    F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL

    # Add (broadcast [2,3,4] + [4]) -> Relu, at two opsets.
    for opset in (11, 13):
        m = _model([helper.make_node("Add", ["a", "b"], ["s"]),
                    helper.make_node("Relu", ["s"], ["y"])],
                   [_vi("a", F, [2, 3, 4]), _vi("b", F, [4])], [_vi("y", F, [2, 3, 4])], opset)
        yield ("smoke_add_relu_op%d" % opset, m,
               {"a": _nonzero(rng, [2, 3, 4]), "b": _nonzero(rng, [4])})

    # Bidirectional broadcast [3,1,5] + [1,4,1], with a constant initializer operand.
    c = numpy_helper.from_array(_nonzero(rng, [1, 4, 1]), "c")
    m = _model([helper.make_node("Add", ["x", "c"], ["y"])],
               [_vi("x", F, [3, 1, 5])], [_vi("y", F, [3, 4, 5])], 13, [c])
    yield ("smoke_add_broadcast_init", m, {"x": _nonzero(rng, [3, 1, 5])})

    # int64 arithmetic.
    m = _model([helper.make_node("Add", ["a", "b"], ["y"])],
               [_vi("a", I64, [5]), _vi("b", I64, [1])], [_vi("y", I64, [5])], 13)
    yield ("smoke_add_int64", m, {"a": rng.integers(-100, 100, [5]).astype(np.int64),
                                  "b": np.array([7], dtype=np.int64)})

    # Bool output, and names that must be sanitized for file names.
    m = _model([helper.make_node("Greater", ["in:0", "in/1"], ["out:0"])],
               [_vi("in:0", F, [2, 3]), _vi("in/1", F, [2, 3])], [_vi("out:0", B, [2, 3])], 13)
    yield ("smoke_greater_names", m, {"in:0": _nonzero(rng, [2, 3]),
                                      "in/1": _nonzero(rng, [2, 3])})

    # Several outputs: Split (opset 13: split sizes as an input) + Relu on one part.
    split = numpy_helper.from_array(np.array([1, 3], dtype=np.int64), "split")
    m = _model([helper.make_node("Split", ["x", "split"], ["p0", "p1"], axis=1),
                helper.make_node("Relu", ["p1"], ["r1"])],
               [_vi("x", F, [2, 4])], [_vi("p0", F, [2, 1]), _vi("r1", F, [2, 3])], 13, [split])
    yield ("smoke_split_two_outputs", m, {"x": _nonzero(rng, [2, 4])})

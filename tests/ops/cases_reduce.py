"""ONNX Runtime conformance cases for the reduce family: ReduceSum/Mean/Max/Min/Prod/
L1/L2/SumSquare/LogSum/LogSumExp (axes as attribute, ReduceSum's axes input from opset
13, keepdims, noop_with_empty_axes) and ArgMax/ArgMin (keepdims, select_last_index)."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi

F, I64, I32 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32
KINDS = ("ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
         "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp")


_model = functools.partial(make_model, graph="reduce")


def _out_shape(shape, axes, keepdims):
    if axes is None or len(axes) == 0:
        axes = range(len(shape))
    axes = {a % len(shape) for a in axes}
    out = []
    for d, n in enumerate(shape):
        if d not in axes:
            out.append(n)
        elif keepdims:
            out.append(1)
    return out


def _reduce(name, op, x, axes, keepdims, opset, elem=F):
    """Axes go in as an input for ReduceSum at opset >= 13, as an attribute otherwise."""
    attrs = {"keepdims": keepdims}
    inits = []
    inputs = ["x"]
    if axes is not None:
        if op == "ReduceSum" and opset >= 13:
            inits.append(numpy_helper.from_array(np.array(axes, dtype=np.int64), "axes"))
            inputs.append("axes")
        else:
            attrs["axes"] = axes
    m = _model([helper.make_node(op, inputs, ["y"], **attrs)], [_vi("x", elem, list(x.shape))],
               [_vi("y", elem, _out_shape(list(x.shape), axes, keepdims))], opset, inits)
    return (name, m, {"x": x})


def _input_for(rng, op, shape):
    if op == "ReduceProd":
        return (rng.uniform(0.7, 1.3, shape)).astype(np.float32)
    if op == "ReduceLogSum":
        return (rng.uniform(0.1, 2.0, shape)).astype(np.float32)
    return _nonzero(rng, shape, scale=2.0)


def cases():
    rng = np.random.default_rng(9090)
    patterns = [
        ("last", [2, 3, 4, 5], [-1], 1, 11),
        ("spatial", [2, 8, 6, 7], [2, 3], 1, 13),
        ("channel", [2, 8, 6, 7], [1], 0, 13),
        ("first", [9, 4, 5], [0], 0, 11),
        ("split", [3, 4, 5, 6], [0, 2], 1, 17),
        ("all", [3, 4, 5], None, 0, 13),
        ("all_keep", [3, 4, 5], None, 1, 11),
        ("unit_axis", [4, 1, 6], [1], 0, 13),
    ]
    for op in KINDS:
        for tag, shape, axes, keep, opset in patterns:
            yield _reduce("red_%s_%s" % (op[6:].lower(), tag), op, _input_for(rng, op, shape), axes, keep, opset)

    # Larger inputs: the GlobalAveragePool-like mean and a long last-axis sum.
    yield _reduce("red_mean_spatial_large", "ReduceMean", _nonzero(rng, [2, 64, 28, 28]), [2, 3], 1, 13)
    yield _reduce("red_sum_long_rows", "ReduceSum", _nonzero(rng, [4, 40000]), [1], 0, 13)
    yield _reduce("red_max_all_large", "ReduceMax", _nonzero(rng, [200, 300]), None, 0, 13)

    # ReduceSum opset 13: no axes -> all; noop_with_empty_axes=1 -> identity.
    x = _nonzero(rng, [3, 4])
    m = _model([helper.make_node("ReduceSum", ["x"], ["y"], keepdims=0)], [_vi("x", F, [3, 4])], [_vi("y", F, [])], 13)
    yield ("red_sum_op13_no_axes", m, {"x": x})
    m = _model([helper.make_node("ReduceSum", ["x"], ["y"], noop_with_empty_axes=1)], [_vi("x", F, [3, 4])],
               [_vi("y", F, [3, 4])], 13)
    yield ("red_sum_op13_noop", m, {"x": x})

    # Integer reductions used in shape arithmetic.
    xi = rng.integers(-9, 10, [3, 4]).astype(np.int64)
    xi[xi == 0] = 1
    for op, axes, keep in (("ReduceSum", [1], 0), ("ReduceProd", [0], 1), ("ReduceMax", None, 0),
                           ("ReduceMin", [1], 1)):
        yield _reduce("red_%s_int64" % op[6:].lower(), op, xi, axes, keep, 13, elem=I64)
    yield _reduce("red_sum_int32", "ReduceSum", rng.integers(-9, 9, [5, 6]).astype(np.int32), [0], 0, 11, elem=I32)

    # ArgMax / ArgMin: axes, keepdims, ties with select_last_index (opset 12+).
    ties = rng.integers(-3, 4, [3, 4, 5]).astype(np.float32)
    for op in ("ArgMax", "ArgMin"):
        for axis, keep, last, opset in ((0, 1, 0, 11), (1, 0, 0, 12), (-1, 1, 1, 13), (2, 0, 1, 13), (-2, 1, 0, 13)):
            attrs = {"axis": axis, "keepdims": keep}
            if opset >= 12:
                attrs["select_last_index"] = last
            shape = [3, 4, 5]
            a = axis % 3
            out = [n if d != a else 1 for d, n in enumerate(shape) if d != a or keep]
            m = _model([helper.make_node(op, ["x"], ["y"], **attrs)], [_vi("x", F, shape)], [_vi("y", I64, out)],
                       opset)
            yield ("red_%s_axis%d_keep%d_last%d" % (op.lower(), a, keep, last), m, {"x": ties})
    m = _model([helper.make_node("ArgMax", ["x"], ["y"], axis=1, keepdims=0)], [_vi("x", I64, [4, 6])],
               [_vi("y", I64, [4])], 13)
    yield ("red_argmax_int64", m, {"x": rng.integers(-100, 100, [4, 6]).astype(np.int64)})

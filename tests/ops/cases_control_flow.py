"""Control-flow conformance cases: If (outer-scope values, branches of equal and of
different shapes, the condition as a graph input), Loop (trip count and condition as
inputs, carried values, scan outputs, a condition computed by the body, the iteration
number used inside, a nested If) and Scan (several scan inputs, axes, directions)."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, vi as _vi

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL

_model = functools.partial(make_model, graph="control_flow")


def _graph(nodes, name, inputs, outputs, inits=()):
    return helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))


def _if_same_shapes(rng):
    # then: Relu(x) * w ; else: Sigmoid(x) + w — both read x and w from outside.
    then_g = _graph([helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Mul", ["r", "w"], ["t_out"])],
                    "then", [], [_vi("t_out", F, [2, 3])])
    else_g = _graph([helper.make_node("Sigmoid", ["x"], ["s"]), helper.make_node("Add", ["s", "w"], ["e_out"])],
                    "else", [], [_vi("e_out", F, [2, 3])])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)
    w = numpy_helper.from_array(rng.standard_normal([2, 3]).astype(np.float32), "w")
    return _model([node], [_vi("cond", B, []), _vi("x", F, [2, 3])], [_vi("y", F, [2, 3])], 13, [w])


def _if_different_shapes():
    # then: x (2x3) ; else: Transpose(x) (3x2): the output shape needs cond when planning.
    then_g = _graph([helper.make_node("Identity", ["x"], ["t_out"])], "then", [], [_vi("t_out", F, [2, 3])])
    else_g = _graph([helper.make_node("Transpose", ["x"], ["e_out"], perm=[1, 0])], "else", [],
                    [_vi("e_out", F, [3, 2])])
    node = helper.make_node("If", ["cond"], ["y"], then_branch=then_g, else_branch=else_g)
    return _model([node], [_vi("cond", B, []), _vi("x", F, [2, 3])], [_vi("y", F, ["r", "c"])], 13)


def _loop_scan(rng, nested_if):
    # for i < M while cond: acc = acc + table[i] * scale ; scan out acc (and i as float)
    body_nodes = [helper.make_node("Identity", ["cond_in"], ["cond_out"]),
                  helper.make_node("Gather", ["table", "i"], ["row"], axis=0),
                  helper.make_node("Mul", ["row", "scale"], ["scaled"])]
    if nested_if:
        # even iterations add, odd ones subtract
        body_nodes += [helper.make_node("Mod", ["i", "two"], ["parity"]),
                       helper.make_node("Equal", ["parity", "zero"], ["even"])]
        add_g = _graph([helper.make_node("Add", ["acc_in", "scaled"], ["a_out"])], "add", [], [_vi("a_out", F, [4])])
        sub_g = _graph([helper.make_node("Sub", ["acc_in", "scaled"], ["s_out"])], "sub", [], [_vi("s_out", F, [4])])
        body_nodes.append(helper.make_node("If", ["even"], ["acc_out"], then_branch=add_g, else_branch=sub_g))
    else:
        body_nodes.append(helper.make_node("Add", ["acc_in", "scaled"], ["acc_out"]))
    body_nodes += [helper.make_node("Identity", ["acc_out"], ["scan_acc"]),
                   helper.make_node("Cast", ["i"], ["scan_i"], to=F)]
    inits = [numpy_helper.from_array(np.array(2, np.int64), "two"),
             numpy_helper.from_array(np.array(0, np.int64), "zero")] if nested_if else []
    body = _graph(body_nodes, "body", [_vi("i", I64, []), _vi("cond_in", B, []), _vi("acc_in", F, [4])],
                  [_vi("cond_out", B, []), _vi("acc_out", F, [4]), _vi("scan_acc", F, [4]), _vi("scan_i", F, [])],
                  inits)
    node = helper.make_node("Loop", ["M", "cond", "acc0"], ["acc", "accs", "its"], body=body)
    inits = [numpy_helper.from_array(rng.standard_normal([6, 4]).astype(np.float32), "table"),
             numpy_helper.from_array(np.array(1.5, np.float32), "scale")]
    return _model([node], [_vi("M", I64, []), _vi("cond", B, []), _vi("acc0", F, [4])],
                  [_vi("acc", F, [4]), _vi("accs", F, ["trips", 4]), _vi("its", F, ["trips"])], 13, inits)


def _loop_while():
    # while x.sum() < limit (and at most M times): x = x * 2 — the body computes its condition.
    body = _graph([helper.make_node("Mul", ["x_in", "two"], ["x_out"]),
                   helper.make_node("ReduceSum", ["x_out"], ["total"], keepdims=0),
                   helper.make_node("Less", ["total", "limit"], ["cond_out"])],
                  "body", [_vi("i", I64, []), _vi("c", B, []), _vi("x_in", F, [3])],
                  [_vi("cond_out", B, []), _vi("x_out", F, [3])],
                  [numpy_helper.from_array(np.array(2.0, np.float32), "two")])
    node = helper.make_node("Loop", ["M", "", "x0"], ["x"], body=body)
    return _model([node], [_vi("M", I64, []), _vi("x0", F, [3]), _vi("limit", F, [])], [_vi("x", F, [3])], 13)


def _scan(rng):
    # state s: s = s + a_t * w + b_t ; scan outputs s (axis 0) and a_t - b_t (axis 1, reversed)
    body = _graph([helper.make_node("Mul", ["a_t", "w"], ["aw"]), helper.make_node("Add", ["aw", "b_t"], ["awb"]),
                   helper.make_node("Add", ["s_in", "awb"], ["s_out"]), helper.make_node("Identity", ["s_out"], ["o1"]),
                   helper.make_node("Sub", ["a_t", "b_t"], ["o2"])],
                  "body", [_vi("s_in", F, [3]), _vi("a_t", F, [3]), _vi("b_t", F, [3])],
                  [_vi("s_out", F, [3]), _vi("o1", F, [3]), _vi("o2", F, [3])])
    node = helper.make_node("Scan", ["s0", "a", "b"], ["s", "y1", "y2"], body=body, num_scan_inputs=2,
                            scan_input_axes=[0, 1], scan_input_directions=[0, 1], scan_output_axes=[0, 1],
                            scan_output_directions=[0, 1])
    w = numpy_helper.from_array(rng.standard_normal([3]).astype(np.float32), "w")
    return _model([node], [_vi("s0", F, [3]), _vi("a", F, [5, 3]), _vi("b", F, [3, 5])],
                  [_vi("s", F, [3]), _vi("y1", F, [5, 3]), _vi("y2", F, [3, 5])], 11, [w])


def cases():
    rng = np.random.default_rng(31337)
    x = rng.standard_normal([2, 3]).astype(np.float32)
    for c in (True, False):
        yield ("control_if_same_shapes_%s" % c, _if_same_shapes(rng), {"cond": np.array(c), "x": x})
        yield ("control_if_different_shapes_%s" % c, _if_different_shapes(), {"cond": np.array(c), "x": x})
    acc0 = rng.standard_normal([4]).astype(np.float32)
    yield ("control_loop_scan_outputs", _loop_scan(rng, False),
           {"M": np.array(5, np.int64), "cond": np.array(True), "acc0": acc0})
    yield ("control_loop_zero_trips", _loop_scan(rng, False),
           {"M": np.array(0, np.int64), "cond": np.array(True), "acc0": acc0})
    yield ("control_loop_nested_if", _loop_scan(rng, True),
           {"M": np.array(6, np.int64), "cond": np.array(True), "acc0": acc0})
    yield ("control_loop_while", _loop_while(),
           {"M": np.array(50, np.int64), "x0": np.array([0.5, 1.0, 0.25], np.float32),
            "limit": np.array(100.0, np.float32)})
    yield ("control_loop_while_stops_at_m", _loop_while(),
           {"M": np.array(3, np.int64), "x0": np.array([0.5, 1.0, 0.25], np.float32),
            "limit": np.array(1e6, np.float32)})
    yield ("control_scan_axes_directions", _scan(rng),
           {"s0": rng.standard_normal([3]).astype(np.float32), "a": rng.standard_normal([5, 3]).astype(np.float32),
            "b": rng.standard_normal([3, 5]).astype(np.float32)})

"""ONNX Runtime conformance cases for the shape family: Reshape, Flatten, Squeeze,
Unsqueeze, Shape, Size, ConstantOfShape, Range, Expand, Constant.

Shape inputs are initializers or come from Shape->Gather->Concat chains, so the
planner's constant folding is exercised too."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import const as _const, ints as _ints, make_model, nonzero as _nonzero, vi as _vi

F, I64, I32, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.BOOL


_model = functools.partial(make_model, graph="shape_ops", infer="data_prop")


def cases():
    rng = np.random.default_rng(3301)

    # Reshape with 0 (copy) and -1 (infer), at three opsets.
    for opset in (11, 13, 14):
        m = _model([helper.make_node("Reshape", ["x", "s"], ["y"])],
                   [_vi("x", F, [2, 3, 4, 5])], [_vi("y", F, [2, 12, 5])], opset,
                   [_const("s", [0, -1, 5])])
        yield ("shape_reshape_op%d" % opset, m, {"x": _nonzero(rng, [2, 3, 4, 5])})

    # allowzero=1 (opset 14) with an ordinary shape; int64 data.
    m = _model([helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)],
               [_vi("x", I64, [6, 4])], [_vi("y", I64, [3, 8])], 14, [_const("s", [3, 8])])
    yield ("shape_reshape_allowzero_int64", m, {"x": _ints(rng, [6, 4])})

    # Reshape whose target comes from Shape -> Gather -> Unsqueeze -> Concat (folded).
    nodes = [helper.make_node("Shape", ["x"], ["sh"]),
             helper.make_node("Gather", ["sh", "i0"], ["d0"], axis=0),
             helper.make_node("Unsqueeze", ["d0", "ax"], ["d0u"]),
             helper.make_node("Concat", ["d0u", "m1"], ["tgt"], axis=0),
             helper.make_node("Reshape", ["x", "tgt"], ["y"])]
    m = _model(nodes, [_vi("x", F, [3, 4, 5])], [_vi("y", F, [3, 20])], 13,
               [_const("i0", 0), _const("ax", [0]), _const("m1", [-1])])
    yield ("shape_reshape_from_shape_chain", m, {"x": _nonzero(rng, [3, 4, 5])})

    # Flatten at several axes.
    for axis in (0, 2, -1):
        m = _model([helper.make_node("Flatten", ["x"], ["y"], axis=axis)],
                   [_vi("x", F, [2, 3, 4, 5])], [_vi("y", F, None)], 13)
        yield ("shape_flatten_axis%s" % str(axis).replace("-", "m"), m,
               {"x": _nonzero(rng, [2, 3, 4, 5])})

    # Squeeze / Unsqueeze: attribute (11) and input (13) forms, negative axes.
    m = _model([helper.make_node("Squeeze", ["x"], ["y"], axes=[0, -1])],
               [_vi("x", F, [1, 3, 1, 4, 1])], [_vi("y", F, [3, 1, 4])], 11)
    yield ("shape_squeeze_attr_op11", m, {"x": _nonzero(rng, [1, 3, 1, 4, 1])})
    m = _model([helper.make_node("Squeeze", ["x", "a"], ["y"])],
               [_vi("x", F, [1, 3, 1, 4])], [_vi("y", F, [3, 1, 4])], 13, [_const("a", [0])])
    yield ("shape_squeeze_input_op13", m, {"x": _nonzero(rng, [1, 3, 1, 4])})
    m = _model([helper.make_node("Squeeze", ["x"], ["y"])],
               [_vi("x", I64, [1, 3, 1, 4])], [_vi("y", I64, [3, 4])], 13)
    yield ("shape_squeeze_all_int64", m, {"x": _ints(rng, [1, 3, 1, 4])})
    m = _model([helper.make_node("Unsqueeze", ["x"], ["y"], axes=[0, 3])],
               [_vi("x", F, [3, 4])], [_vi("y", F, [1, 3, 4, 1])], 11)
    yield ("shape_unsqueeze_attr_op11", m, {"x": _nonzero(rng, [3, 4])})
    m = _model([helper.make_node("Unsqueeze", ["x", "a"], ["y"])],
               [_vi("x", B, [3, 4])], [_vi("y", B, [3, 1, 4, 1])], 13, [_const("a", [-1, 1])])
    yield ("shape_unsqueeze_input_bool", m, {"x": rng.integers(0, 2, [3, 4]).astype(np.bool_)})

    # Shape (whole, and opset-15 start/end) and Size.
    m = _model([helper.make_node("Shape", ["x"], ["y"])],
               [_vi("x", F, [2, 3, 4])], [_vi("y", I64, [3])], 13)
    yield ("shape_shape_op13", m, {"x": _nonzero(rng, [2, 3, 4])})
    m = _model([helper.make_node("Shape", ["x"], ["y"], start=1, end=-1)],
               [_vi("x", F, [2, 3, 4, 5])], [_vi("y", I64, [2])], 15)
    yield ("shape_shape_start_end_op15", m, {"x": _nonzero(rng, [2, 3, 4, 5])})
    m = _model([helper.make_node("Shape", ["x"], ["y"], start=-2)],
               [_vi("x", F, [2, 3, 4, 5])], [_vi("y", I64, [2])], 15)
    yield ("shape_shape_start_neg_op15", m, {"x": _nonzero(rng, [2, 3, 4, 5])})
    m = _model([helper.make_node("Size", ["x"], ["y"])],
               [_vi("x", I32, [2, 7])], [_vi("y", I64, [])], 13)
    yield ("shape_size", m, {"x": _ints(rng, [2, 7], np.int32)})

    # ConstantOfShape: default float 0 from a Shape, and an int64 value.
    m = _model([helper.make_node("Shape", ["x"], ["s"]),
                helper.make_node("ConstantOfShape", ["s"], ["y"],
                                 value=numpy_helper.from_array(np.array([2.5], np.float32)))],
               [_vi("x", F, [2, 3])], [_vi("y", F, [2, 3])], 13)
    yield ("shape_constantofshape_float", m, {"x": _nonzero(rng, [2, 3])})
    m = _model([helper.make_node("ConstantOfShape", ["s"], ["c"],
                                 value=numpy_helper.from_array(np.array([-3], np.int64))),
                helper.make_node("Concat", ["c", "x"], ["y"], axis=0)],
               [_vi("x", I64, [2, 4])], [_vi("y", I64, [5, 4])], 11, [_const("s", [3, 4])])
    yield ("shape_constantofshape_int64", m, {"x": _ints(rng, [2, 4])})
    m = _model([helper.make_node("ConstantOfShape", ["s"], ["c"]),
                helper.make_node("Concat", ["c", "x"], ["y"], axis=0)],
               [_vi("x", F, [1, 2])], [_vi("y", F, [5, 2])], 13, [_const("s", [4, 2])])
    yield ("shape_constantofshape_default", m, {"x": _nonzero(rng, [1, 2])})

    # Range: int64 and float (accumulated like ORT), negative delta.
    for name, dt, (s, l, d) in (("int64", np.int64, (3, 29, 4)),
                                ("int64_neg", np.int64, (10, -7, -3)),
                                ("float", np.float32, (0.5, 4.1, 0.3)),
                                ("int32", np.int32, (-5, 5, 2))):
        elem = {np.int64: I64, np.float32: F, np.int32: I32}[dt]
        m = _model([helper.make_node("Range", ["s", "l", "d"], ["r"]),
                    helper.make_node("Concat", ["r", "x"], ["y"], axis=0)],
                   [_vi("x", elem, [2])], [_vi("y", elem, None)], 11,
                   [_const("s", s, dt), _const("l", l, dt), _const("d", d, dt)])
        x = _nonzero(rng, [2]) if dt == np.float32 else _ints(rng, [2], dt)
        yield ("shape_range_%s" % name, m, {"x": x})

    # Expand: unidirectional, bidirectional, int64, bool, from a scalar.
    m = _model([helper.make_node("Expand", ["x", "s"], ["y"])],
               [_vi("x", F, [3, 1, 5])], [_vi("y", F, [2, 3, 4, 5])], 13, [_const("s", [2, 3, 4, 5])])
    yield ("shape_expand_float", m, {"x": _nonzero(rng, [3, 1, 5])})
    m = _model([helper.make_node("Expand", ["x", "s"], ["y"])],
               [_vi("x", I64, [3, 1])], [_vi("y", I64, [3, 4])], 13, [_const("s", [1, 4])])
    yield ("shape_expand_bidirectional_int64", m, {"x": _ints(rng, [3, 1])})
    m = _model([helper.make_node("Expand", ["x", "s"], ["y"])],
               [_vi("x", B, [1, 7])], [_vi("y", B, [5, 7])], 11, [_const("s", [5, 1])])
    yield ("shape_expand_bool", m, {"x": rng.integers(0, 2, [1, 7]).astype(np.bool_)})
    m = _model([helper.make_node("Expand", ["x", "s"], ["y"])],
               [_vi("x", F, [])], [_vi("y", F, [2, 3])], 13, [_const("s", [2, 3])])
    yield ("shape_expand_scalar", m, {"x": np.array(1.75, np.float32)})

    # Constant: tensor, value_float, value_ints; combined with a real input by Concat.
    cval = _nonzero(rng, [2, 3])
    m = _model([helper.make_node("Constant", [], ["c"], value=numpy_helper.from_array(cval)),
                helper.make_node("Concat", ["c", "x"], ["y"], axis=0)],
               [_vi("x", F, [1, 3])], [_vi("y", F, [3, 3])], 11)
    yield ("shape_constant_tensor", m, {"x": _nonzero(rng, [1, 3])})
    m = _model([helper.make_node("Constant", [], ["c"], value_ints=[4, -5, 6]),
                helper.make_node("Concat", ["c", "x"], ["y"], axis=0)],
               [_vi("x", I64, [2])], [_vi("y", I64, [5])], 13)
    yield ("shape_constant_value_ints", m, {"x": _ints(rng, [2])})
    m = _model([helper.make_node("Constant", [], ["c"], value_float=0.75),
                helper.make_node("Unsqueeze", ["c", "a"], ["cu"]),
                helper.make_node("Concat", ["cu", "x"], ["y"], axis=0)],
               [_vi("x", F, [3])], [_vi("y", F, [4])], 13, [_const("a", [0])])
    yield ("shape_constant_value_float", m, {"x": _nonzero(rng, [3])})

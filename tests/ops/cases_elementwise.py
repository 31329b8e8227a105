"""ONNX Runtime conformance cases for the elementwise family: binary arithmetic with
numpy broadcasting (Add, Sub, Mul, Div, Pow, Mod), variadic Min/Max/Sum/Mean,
comparisons and logic, unary math, Where, Cast/CastLike, Identity, Dropout."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi

F, D, F16 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16
I64, I32, I8, U8, B = TensorProto.INT64, TensorProto.INT32, TensorProto.INT8, TensorProto.UINT8, TensorProto.BOOL
NP = {F: np.float32, D: np.float64, I64: np.int64, I32: np.int32, I8: np.int8, U8: np.uint8, B: np.bool_}


_model = functools.partial(make_model, graph="elementwise")


def _positive(rng, shape):
    return np.asarray(np.abs(rng.standard_normal(shape)) + 0.1).astype(np.float32)


def _bshape(a, b):
    return list(np.broadcast_shapes(tuple(a), tuple(b)))


SHAPE_PAIRS = [
    ("same", [2, 3, 4], [2, 3, 4]),
    ("scalar", [2, 3, 4], []),
    ("scalar_lhs", [], [3, 5]),
    ("bias", [2, 5, 16], [16]),
    ("channel", [2, 8, 5, 5], [1, 8, 1, 1]),
    ("channel3", [2, 8, 5, 5], [8, 1, 1]),
    ("bidir", [3, 1, 5], [1, 4, 1]),
    ("outer", [6, 1], [1, 7]),
    ("large", [4, 64, 32, 32], [1, 64, 1, 1]),
]


def _binary(name, op, elem, sa, sb, opset, a, b, out_elem=None, **attrs):
    out = _bshape(sa, sb)
    m = _model([helper.make_node(op, ["a", "b"], ["y"], **attrs)],
               [_vi("a", elem, sa), _vi("b", _elem_of(b), sb)],
               [_vi("y", out_elem if out_elem is not None else elem, out)], opset)
    return (name, m, {"a": a, "b": b})


def _elem_of(arr):
    for k, v in NP.items():
        if arr.dtype == np.dtype(v):
            return k
    raise ValueError(arr.dtype)


def _unary(name, op, x, opset, out_elem=None, **attrs):
    elem = _elem_of(x)
    m = _model([helper.make_node(op, ["x"], ["y"], **attrs)], [_vi("x", elem, list(x.shape))],
               [_vi("y", out_elem if out_elem is not None else elem, list(x.shape))], opset)
    return (name, m, {"x": x})


def cases():
    rng = np.random.default_rng(4242)

    # Float arithmetic over every broadcast pattern, three opsets.
    for i, (tag, sa, sb) in enumerate(SHAPE_PAIRS):
        opset = (11, 13, 14)[i % 3]
        for op in ("Add", "Sub", "Mul", "Div"):
            yield _binary("ew_%s_%s" % (op.lower(), tag), op, F, sa, sb, opset,
                          _nonzero(rng, sa), _nonzero(rng, sb))
        yield _binary("ew_pow_%s" % tag, "Pow", F, sa, sb, opset, _positive(rng, sa),
                      _nonzero(rng, sb))

    # Pow with constant exponents (the LayerNorm / GELU patterns) and an int64 exponent.
    for e in (2.0, 3.0, 0.5):
        c = numpy_helper.from_array(np.array(e, dtype=np.float32), "e")
        m = _model([helper.make_node("Pow", ["x", "e"], ["y"])], [_vi("x", F, [2, 7, 9])],
                   [_vi("y", F, [2, 7, 9])], 13, [c])
        yield ("ew_pow_const_%g" % e, m, {"x": _positive(rng, [2, 7, 9])})
    m = _model([helper.make_node("Pow", ["x", "e"], ["y"])], [_vi("x", F, [3, 4]), _vi("e", I64, [1])],
               [_vi("y", F, [3, 4])], 13)
    yield ("ew_pow_int_exponent", m, {"x": _nonzero(rng, [3, 4]), "e": np.array([3], dtype=np.int64)})

    # Integer arithmetic: truncating division, negative operands.
    for op in ("Add", "Sub", "Mul", "Div"):
        a = rng.integers(-1000, 1000, [3, 5]).astype(np.int64)
        b = rng.integers(1, 30, [5]).astype(np.int64) * rng.choice([-1, 1], [5]).astype(np.int64)
        yield _binary("ew_%s_int64" % op.lower(), op, I64, [3, 5], [5], 13, a, b)
    a = rng.integers(-500, 500, [4, 6]).astype(np.int32)
    b = rng.integers(1, 9, [4, 1]).astype(np.int32)
    yield _binary("ew_mul_int32", "Mul", I32, [4, 6], [4, 1], 14, a, b)
    yield _binary("ew_div_int32", "Div", I32, [4, 6], [4, 1], 14, a, b)

    # Mod: integer (sign of divisor) and float fmod.
    a = rng.integers(-50, 50, [4, 5]).astype(np.int64)
    b = rng.integers(1, 7, [5]).astype(np.int64) * rng.choice([-1, 1], [5]).astype(np.int64)
    yield _binary("ew_mod_int64", "Mod", I64, [4, 5], [5], 13, a, b)
    yield _binary("ew_mod_int64_fmod", "Mod", I64, [4, 5], [5], 13, a, b, fmod=1)
    yield _binary("ew_mod_float_fmod", "Mod", F, [4, 5], [5], 13, _nonzero(rng, [4, 5], scale=5.0),
                  _positive(rng, [5]) + 1.0, fmod=1)

    # Variadic ops with three broadcast inputs, float and int64.
    for op in ("Min", "Max", "Sum", "Mean"):
        shapes = [[2, 3, 4], [3, 1], [4]]
        m = _model([helper.make_node(op, ["a", "b", "c"], ["y"])],
                   [_vi(n, F, s) for n, s in zip("abc", shapes)], [_vi("y", F, [2, 3, 4])], 13)
        yield ("ew_%s_variadic" % op.lower(), m,
               {n: _nonzero(rng, s) for n, s in zip("abc", shapes)})
    for op in ("Min", "Max"):
        m = _model([helper.make_node(op, ["a", "b"], ["y"])], [_vi("a", I64, [4, 3]), _vi("b", I64, [3])],
                   [_vi("y", I64, [4, 3])], 13)
        yield ("ew_%s_int64" % op.lower(), m, {"a": rng.integers(-9, 9, [4, 3]).astype(np.int64),
                                               "b": rng.integers(-9, 9, [3]).astype(np.int64)})
        m = _model([helper.make_node(op, ["a"], ["y"])], [_vi("a", F, [5])], [_vi("y", F, [5])], 13)
        yield ("ew_%s_single" % op.lower(), m, {"a": _nonzero(rng, [5])})

    # Comparisons (float with ties, int64, bool) and logic.
    for i, op in enumerate(("Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual")):
        a = np.round(_nonzero(rng, [3, 4, 5]) * 2) / 2
        b = np.round(_nonzero(rng, [4, 1]) * 2) / 2
        a[a == 0] = 0.5
        b[b == 0] = 0.5
        yield _binary("ew_%s_float" % op.lower(), op, F, [3, 4, 5], [4, 1], (12, 13, 16)[i % 3],
                      a.astype(np.float32), b.astype(np.float32), out_elem=B)
        yield _binary("ew_%s_int64" % op.lower(), op, I64, [6, 2], [2], 13,
                      rng.integers(-3, 3, [6, 2]).astype(np.int64), rng.integers(-3, 3, [2]).astype(np.int64),
                      out_elem=B)
    yield _binary("ew_equal_bool", "Equal", B, [3, 4], [4], 13, rng.integers(0, 2, [3, 4]).astype(bool),
                  rng.integers(0, 2, [4]).astype(bool), out_elem=B)
    yield _binary("ew_equal_int32", "Equal", I32, [5], [], 13, rng.integers(0, 3, [5]).astype(np.int32),
                  np.array(1, dtype=np.int32), out_elem=B)
    for op in ("And", "Or", "Xor"):
        yield _binary("ew_%s" % op.lower(), op, B, [2, 3, 4], [3, 1], 13,
                      rng.integers(0, 2, [2, 3, 4]).astype(bool), rng.integers(0, 2, [3, 1]).astype(bool))
    yield _unary("ew_not", "Not", rng.integers(0, 2, [4, 5]).astype(bool), 13)

    # Unary math.
    x = _nonzero(rng, [3, 40, 50], scale=2.0)
    pos = _positive(rng, [3, 40, 50])
    for i, op in enumerate(("Exp", "Neg", "Abs", "Floor", "Ceil", "Round", "Sign", "Erf", "Sin", "Cos",
                            "Tan", "Atan", "Sinh", "Cosh")):
        yield _unary("ew_%s" % op.lower(), op, x, (11, 13)[i % 2])
    for op in ("Sqrt", "Log", "Reciprocal"):
        yield _unary("ew_%s" % op.lower(), op, pos, 13)
    yield _unary("ew_asin", "Asin", np.clip(x, -0.99, 0.99).astype(np.float32), 13)
    yield _unary("ew_acos", "Acos", np.clip(x, -0.99, 0.99).astype(np.float32), 13)
    yield _unary("ew_round_halves", "Round", np.array([0.5, 1.5, 2.5, -0.5, -1.5, 3.49], dtype=np.float32), 11)
    yield _unary("ew_exp_wide", "Exp", np.linspace(-80, 80, 321, dtype=np.float32), 13)
    yield _unary("ew_erf_wide", "Erf", np.linspace(-6, 6, 1201, dtype=np.float32), 13)
    for op in ("Neg", "Abs", "Sign"):
        yield _unary("ew_%s_int64" % op.lower(), op, rng.integers(-9, 9, [7]).astype(np.int64), 13)
    special = _nonzero(rng, [10])
    special[[1, 4]] = np.nan
    special[[2]] = np.inf
    special[[7]] = -np.inf
    yield _unary("ew_isnan", "IsNaN", special, 13, out_elem=B)
    yield _unary("ew_isinf", "IsInf", special, 13, out_elem=B)
    yield _unary("ew_isinf_pos", "IsInf", special, 13, out_elem=B, detect_negative=0)

    # GELU as exported by PyTorch < 2 (Div, Erf, Add, Mul, Mul).
    s2 = numpy_helper.from_array(np.array(1.4142135, dtype=np.float32), "s2")
    one = numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one")
    half = numpy_helper.from_array(np.array(0.5, dtype=np.float32), "half")
    nodes = [helper.make_node("Div", ["x", "s2"], ["d"]), helper.make_node("Erf", ["d"], ["e"]),
             helper.make_node("Add", ["e", "one"], ["a"]), helper.make_node("Mul", ["x", "a"], ["m"]),
             helper.make_node("Mul", ["m", "half"], ["y"])]
    m = _model(nodes, [_vi("x", F, [2, 16, 64])], [_vi("y", F, [2, 16, 64])], 13, [s2, one, half])
    yield ("ew_gelu_erf_chain", m, {"x": _nonzero(rng, [2, 16, 64], scale=3.0)})

    # Where: 3-way broadcasting (attention-mask pattern), int64 and bool data.
    m = _model([helper.make_node("Where", ["c", "x", "y"], ["z"])],
               [_vi("c", B, [2, 1, 1, 8]), _vi("x", F, [2, 4, 8, 8]), _vi("y", F, [])],
               [_vi("z", F, [2, 4, 8, 8])], 13)
    yield ("ew_where_mask", m, {"c": rng.integers(0, 2, [2, 1, 1, 8]).astype(bool),
                                "x": _nonzero(rng, [2, 4, 8, 8]), "y": np.array(-1e4, dtype=np.float32)})
    m = _model([helper.make_node("Where", ["c", "x", "y"], ["z"])],
               [_vi("c", B, [3, 5]), _vi("x", F, [3, 5]), _vi("y", F, [3, 5])], [_vi("z", F, [3, 5])], 11)
    yield ("ew_where_same", m, {"c": rng.integers(0, 2, [3, 5]).astype(bool), "x": _nonzero(rng, [3, 5]),
                                "y": _nonzero(rng, [3, 5])})
    m = _model([helper.make_node("Where", ["c", "x", "y"], ["z"])],
               [_vi("c", B, [4, 1]), _vi("x", I64, [3]), _vi("y", I64, [4, 3])], [_vi("z", I64, [4, 3])], 16)
    yield ("ew_where_int64", m, {"c": rng.integers(0, 2, [4, 1]).astype(bool),
                                 "x": rng.integers(-5, 5, [3]).astype(np.int64),
                                 "y": rng.integers(-5, 5, [4, 3]).astype(np.int64)})
    m = _model([helper.make_node("Where", ["c", "x", "y"], ["z"])],
               [_vi("c", B, [5]), _vi("x", U8, [5]), _vi("y", U8, [1])], [_vi("z", U8, [5])], 16)
    yield ("ew_where_uint8", m, {"c": rng.integers(0, 2, [5]).astype(bool),
                                 "x": rng.integers(0, 255, [5]).astype(np.uint8), "y": np.array([7], np.uint8)})

    # Cast between the dtypes models use (float -> int truncates toward zero).
    xf = _nonzero(rng, [4, 6], scale=50.0)
    casts = [("f32_i64", xf, I64), ("f32_i32", xf, I32), ("f32_bool", xf, B), ("f32_f64", xf, D),
             ("f32_u8", np.abs(xf).clip(0, 255).astype(np.float32), U8), ("f32_i8", xf.clip(-127, 127), I8),
             ("i64_f32", rng.integers(-1000, 1000, [4, 6]).astype(np.int64), F),
             ("i64_i32", rng.integers(-1000, 1000, [7]).astype(np.int64), I32),
             ("i32_i64", rng.integers(-1000, 1000, [7]).astype(np.int32), I64),
             ("i64_bool", rng.integers(-2, 3, [9]).astype(np.int64), B),
             ("bool_f32", rng.integers(0, 2, [9]).astype(bool), F),
             ("bool_i64", rng.integers(0, 2, [9]).astype(bool), I64),
             ("f64_f32", rng.standard_normal([5]).astype(np.float64), F)]
    for i, (tag, x, to) in enumerate(casts):
        yield _unary("ew_cast_%s" % tag, "Cast", x, (11, 13)[i % 2], out_elem=to, to=to)
    nodes = [helper.make_node("Cast", ["x"], ["h"], to=F16), helper.make_node("Cast", ["h"], ["y"], to=F)]
    m = _model(nodes, [_vi("x", F, [50])], [_vi("y", F, [50])], 13)
    yield ("ew_cast_f16_roundtrip", m, {"x": _nonzero(rng, [50], scale=100.0)})
    m = _model([helper.make_node("CastLike", ["x", "t"], ["y"])], [_vi("x", F, [6]), _vi("t", I64, [1])],
               [_vi("y", I64, [6])], 15)
    yield ("ew_castlike", m, {"x": _nonzero(rng, [6], scale=10.0), "t": np.array([1], dtype=np.int64)})

    # Identity and inference-mode Dropout (with its mask).
    yield _unary("ew_identity", "Identity", _nonzero(rng, [3, 4]), 13)
    yield _unary("ew_identity_int64", "Identity", rng.integers(0, 9, [5]).astype(np.int64), 14)
    r = numpy_helper.from_array(np.array(0.3, dtype=np.float32), "r")
    m = _model([helper.make_node("Dropout", ["x", "r"], ["y", "mask"])], [_vi("x", F, [2, 5])],
               [_vi("y", F, [2, 5]), _vi("mask", B, [2, 5])], 13, [r])
    yield ("ew_dropout_mask", m, {"x": _nonzero(rng, [2, 5])})
    m = _model([helper.make_node("Dropout", ["x"], ["y"], ratio=0.2)], [_vi("x", F, [2, 5])],
               [_vi("y", F, [2, 5])], 11)
    yield ("ew_dropout_op11", m, {"x": _nonzero(rng, [2, 5])})

"""ONNX Runtime conformance cases for the QOperator format: MatMulInteger, QLinearMatMul,
ConvInteger and QLinearConv — uint8/int8, zero points and scales per tensor and per
channel, batched matmuls, padded/strided/dilated/grouped convolutions with bias."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, out as _out, vi as _vi

F, U8, I8, I32 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32
_NP = {U8: np.uint8, I8: np.int8}

_model = functools.partial(make_model, graph="qlinear_ops", infer="outputs")


def _q(rng, shape, t):
    info = np.iinfo(_NP[t])
    return rng.integers(info.min, info.max + 1, shape).astype(_NP[t])


def _zp(rng, n, t, as_scalar):
    lo, hi = (100, 150) if t == U8 else (-20, 20)
    v = rng.integers(lo, hi, 1 if as_scalar else n).astype(_NP[t])
    return v.reshape([]) if as_scalar else v


def _scale(rng, n, as_scalar):
    v = rng.uniform(0.002, 0.02, 1 if as_scalar else n).astype(np.float32)
    return v.reshape([]) if as_scalar else v


def cases():
    rng = np.random.default_rng(1010)
    # ---- MatMulInteger ----------------------------------------------------------------
    for name, ta, tb, a_shape, b_shape, a_row, b_col in (
            ("u8u8", U8, U8, [3, 4], [4, 5], False, False),
            ("u8i8_batched", U8, I8, [2, 3, 6], [6, 4], False, True),
            ("i8i8_per_column", I8, I8, [5, 7], [7, 3], False, True),
            ("u8u8_batched_both", U8, U8, [2, 2, 3], [2, 3, 4], False, False)):
        m, n = a_shape[-2], b_shape[-1]
        inits = [numpy_helper.from_array(_zp(rng, m, ta, not a_row), "za"),
                 numpy_helper.from_array(_zp(rng, n, tb, not b_col), "zb")]
        node = helper.make_node("MatMulInteger", ["a", "b", "za", "zb"], ["y"])
        model = _model([node], [_vi("a", ta, a_shape), _vi("b", tb, b_shape)], [_out("y", I32)], 13, inits)
        yield ("qlinear_matmulinteger_%s" % name, model, {"a": _q(rng, a_shape, ta), "b": _q(rng, b_shape, tb)})
    node = helper.make_node("MatMulInteger", ["a", "b"], ["y"])
    yield ("qlinear_matmulinteger_no_zero_points",
           _model([node], [_vi("a", U8, [2, 3]), _vi("b", U8, [3, 2])], [_out("y", I32)], 13),
           {"a": _q(rng, [2, 3], U8), "b": _q(rng, [3, 2], U8)})

    # ---- QLinearMatMul -----------------------------------------------------------------
    for name, t, a_shape, b_shape, per_col in (("u8", U8, [4, 8], [8, 5], False),
                                               ("i8_per_column", I8, [3, 6], [6, 4], True),
                                               ("u8_batched", U8, [2, 3, 5], [5, 4], False)):
        n = b_shape[-1]
        inits = [numpy_helper.from_array(_scale(rng, 1, True), "sa"),
                 numpy_helper.from_array(_zp(rng, 1, t, True), "za"),
                 numpy_helper.from_array(_scale(rng, n, not per_col), "sb"),
                 numpy_helper.from_array(_zp(rng, n, t, not per_col), "zb"),
                 numpy_helper.from_array(np.array(0.05, np.float32), "sy"),
                 numpy_helper.from_array(_zp(rng, 1, t, True), "zy")]
        node = helper.make_node("QLinearMatMul", ["a", "sa", "za", "b", "sb", "zb", "sy", "zy"], ["y"])
        model = _model([node], [_vi("a", t, a_shape), _vi("b", t, b_shape)], [_out("y", t)], 13, inits)
        yield ("qlinear_matmul_%s" % name, model, {"a": _q(rng, a_shape, t), "b": _q(rng, b_shape, t)})

    # ---- ConvInteger -------------------------------------------------------------------
    for name, tx, tw, x_shape, w_shape, attrs, per_ch in (
            ("u8u8_pad", U8, U8, [1, 3, 6, 6], [4, 3, 3, 3], {"pads": [1, 1, 1, 1]}, False),
            ("u8i8_strided_group", U8, I8, [2, 4, 7, 5], [6, 2, 3, 2], {"strides": [2, 1], "group": 2}, False),
            ("u8u8_dilated_1d", U8, U8, [1, 2, 9], [3, 2, 3], {"dilations": [2]}, False)):
        inits = [numpy_helper.from_array(_zp(rng, 1, tx, True), "zx"),
                 numpy_helper.from_array(_zp(rng, w_shape[0], tw, not per_ch), "zw")]
        node = helper.make_node("ConvInteger", ["x", "w", "zx", "zw"], ["y"], **attrs)
        model = _model([node], [_vi("x", tx, x_shape), _vi("w", tw, w_shape)], [_out("y", I32)], 13, inits)
        yield ("qlinear_convinteger_%s" % name, model, {"x": _q(rng, x_shape, tx), "w": _q(rng, w_shape, tw)})

    # ---- QLinearConv -------------------------------------------------------------------
    for name, tx, tw, x_shape, w_shape, attrs, per_ch, bias in (
            ("u8_pad_bias", U8, U8, [1, 3, 6, 6], [4, 3, 3, 3], {"pads": [1, 1, 1, 1]}, False, True),
            ("u8i8_per_channel", U8, I8, [1, 4, 5, 5], [6, 4, 3, 3], {"strides": [2, 2]}, True, True),
            ("i8_group_dilated", I8, I8, [2, 4, 7, 7], [4, 2, 3, 3], {"group": 2, "dilations": [2, 2]}, True, False),
            ("u8_depthwise", U8, U8, [1, 3, 5, 5], [3, 1, 3, 3], {"group": 3, "pads": [1, 1, 1, 1]}, False, True)):
        m = w_shape[0]
        wz = np.zeros([] if not per_ch else [m], dtype=_NP[tw]) if tw == I8 else _zp(rng, m, tw, not per_ch)
        inits = [numpy_helper.from_array(_scale(rng, 1, True), "sx"),
                 numpy_helper.from_array(_zp(rng, 1, tx, True), "zx"),
                 numpy_helper.from_array(_scale(rng, m, not per_ch), "sw"),
                 numpy_helper.from_array(wz, "zw"),
                 numpy_helper.from_array(np.array(0.08, np.float32), "sy"),
                 numpy_helper.from_array(_zp(rng, 1, tx, True), "zy")]
        names = ["x", "sx", "zx", "w", "sw", "zw", "sy", "zy"]
        if bias:
            inits.append(numpy_helper.from_array(rng.integers(-3000, 3000, [m]).astype(np.int32), "bias"))
            names.append("bias")
        node = helper.make_node("QLinearConv", names, ["y"], **attrs)
        model = _model([node], [_vi("x", tx, x_shape), _vi("w", tw, w_shape)], [_out("y", tx)], 13, inits)
        yield ("qlinear_conv_%s" % name, model, {"x": _q(rng, x_shape, tx), "w": _q(rng, w_shape, tw)})

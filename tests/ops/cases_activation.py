"""ONNX Runtime conformance cases for the activation family: Relu, LeakyRelu, PRelu,
ThresholdedRelu, Elu, Celu, Selu, Sigmoid, HardSigmoid, HardSwish, Tanh, Softplus,
Softsign, Clip (attributes before opset 11, optional inputs since), and Softmax /
LogSoftmax / Hardmax with the opset-13 change from 2-D coercion to a single axis."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi

F, I64, I32, U8 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.UINT8


_model = functools.partial(make_model, graph="activation")


def _unary(name, op, x, opset, elem=F, **attrs):
    m = _model([helper.make_node(op, ["x"], ["y"], **attrs)], [_vi("x", elem, list(x.shape))],
               [_vi("y", elem, list(x.shape))], opset)
    return (name, m, {"x": x})


def cases():
    rng = np.random.default_rng(777)
    shapes = [[2, 3, 4, 5], [4, 1000], [1, 16, 28, 28]]

    plain = [("Relu", {}), ("LeakyRelu", {}), ("LeakyRelu", {"alpha": 0.2}), ("ThresholdedRelu", {"alpha": 0.5}),
             ("Elu", {}), ("Elu", {"alpha": 0.3}), ("Celu", {"alpha": 1.5}), ("Selu", {}),
             ("Selu", {"alpha": 1.2, "gamma": 0.9}), ("Sigmoid", {}), ("HardSigmoid", {}),
             ("HardSigmoid", {"alpha": 0.25, "beta": 0.4}), ("HardSwish", {}), ("Tanh", {}), ("Softplus", {}),
             ("Softsign", {})]
    for i, (op, attrs) in enumerate(plain):
        shape = shapes[i % len(shapes)]
        opset = 14 if op == "HardSwish" else (11, 13, 14, 16, 17)[i % 5]
        if op == "Celu":
            opset = max(opset, 12)
        tag = "_".join([op.lower()] + ["%s%g" % (k, v) for k, v in sorted(attrs.items())]).replace(".", "p")
        yield _unary("act_%s" % tag, op, _nonzero(rng, shape, scale=3.0), opset, **attrs)

    # Saturation: far from zero the results must be exact limits, never NaN.
    wide = np.concatenate([np.linspace(-120, 120, 241), [-1e4, 1e4, -88.7, 88.7, -1e-6, 1e-6]]).astype(np.float32)
    for op in ("Sigmoid", "Tanh", "Elu", "Selu", "Softplus", "HardSwish"):
        yield _unary("act_%s_wide" % op.lower(), op, wide, 14)

    # Integer Relu (opset 14).
    yield _unary("act_relu_int32", "Relu", rng.integers(-50, 50, [3, 7]).astype(np.int32), 14, elem=I32)

    # PRelu: per-channel slope (the common export), a scalar slope, a full slope.
    for tag, ss in (("channel", [8, 1, 1]), ("scalar", [1]), ("full", [2, 8, 5, 5]), ("last", [5])):
        slope = numpy_helper.from_array(_nonzero(rng, ss) * 0.3, "s")
        m = _model([helper.make_node("PRelu", ["x", "s"], ["y"])], [_vi("x", F, [2, 8, 5, 5])],
                   [_vi("y", F, [2, 8, 5, 5])], (11, 13, 16, 17)[len(tag) % 4], [slope])
        yield ("act_prelu_%s" % tag, m, {"x": _nonzero(rng, [2, 8, 5, 5])})

    # Clip: opset 11+ optional min/max inputs (initializers, runtime inputs, omitted).
    x = _nonzero(rng, [3, 4, 5], scale=3.0)
    lo = numpy_helper.from_array(np.array(-1.0, dtype=np.float32), "lo")
    hi = numpy_helper.from_array(np.array(6.0, dtype=np.float32), "hi")
    m = _model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [_vi("x", F, [3, 4, 5])],
               [_vi("y", F, [3, 4, 5])], 11, [lo, hi])
    yield ("act_clip_op11_both", m, {"x": x})
    m = _model([helper.make_node("Clip", ["x", "", "hi"], ["y"])], [_vi("x", F, [3, 4, 5])],
               [_vi("y", F, [3, 4, 5])], 12, [hi])
    yield ("act_clip_op12_max_only", m, {"x": x})
    m = _model([helper.make_node("Clip", ["x", "lo"], ["y"])], [_vi("x", F, [3, 4, 5]), _vi("lo", F, [])],
               [_vi("y", F, [3, 4, 5])], 13)
    yield ("act_clip_op13_runtime_min", m, {"x": x, "lo": np.array(0.25, dtype=np.float32)})
    m = _model([helper.make_node("Clip", ["x"], ["y"])], [_vi("x", F, [3, 4, 5])], [_vi("y", F, [3, 4, 5])], 13)
    yield ("act_clip_op13_none", m, {"x": x})
    m = _model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [_vi("x", F, [3, 4, 5])],
               [_vi("y", F, [3, 4, 5])], 13,
               [numpy_helper.from_array(np.array(1.0, np.float32), "lo"),
                numpy_helper.from_array(np.array(-1.0, np.float32), "hi")])
    yield ("act_clip_min_gt_max", m, {"x": x})
    ilo = numpy_helper.from_array(np.array(-5, dtype=np.int64), "lo")
    ihi = numpy_helper.from_array(np.array(20, dtype=np.int64), "hi")
    m = _model([helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [_vi("x", I64, [10])], [_vi("y", I64, [10])],
               13, [ilo, ihi])
    yield ("act_clip_int64", m, {"x": rng.integers(-30, 40, [10]).astype(np.int64)})
    m = _model([helper.make_node("Clip", ["x", "lo"], ["y"])], [_vi("x", U8, [6])], [_vi("y", U8, [6])], 13,
               [numpy_helper.from_array(np.array(100, dtype=np.uint8), "lo")])
    yield ("act_clip_uint8", m, {"x": rng.integers(0, 255, [6]).astype(np.uint8)})

    # Softmax family: opset 11 coerces to 2-D at `axis` (default 1), opset 13 uses one axis.
    x4 = _nonzero(rng, [2, 3, 4, 5], scale=4.0)
    for op in ("Softmax", "LogSoftmax", "Hardmax"):
        for opset, axis in ((11, None), (11, 2), (11, -1), (11, 0), (13, None), (13, 1), (13, 0), (13, -2)):
            attrs = {} if axis is None else {"axis": axis}
            tag = "def" if axis is None else ("m%d" % -axis if axis < 0 else "%d" % axis)
            yield _unary("act_%s_op%d_axis%s" % (op.lower(), opset, tag), op, x4, opset, **attrs)
    # Attention-sized rows and a wide strided axis.
    yield _unary("act_softmax_attention", "Softmax", _nonzero(rng, [2, 4, 64, 64], scale=5.0), 13)
    yield _unary("act_logsoftmax_vocab", "LogSoftmax", _nonzero(rng, [3, 5000], scale=5.0), 13, axis=1)
    yield _unary("act_softmax_channels", "Softmax", _nonzero(rng, [2, 21, 16, 16], scale=5.0), 13, axis=1)
    yield _unary("act_softmax_op11_large_values", "Softmax", _nonzero(rng, [4, 30], scale=100.0), 11)

    # ---- Shrink -------------------------------------------------------------------------
    for name, attrs in (("default", {}), ("soft", {"lambd": 1.2, "bias": 1.2}), ("hard", {"lambd": 0.3})):
        m = _model([helper.make_node("Shrink", ["x"], ["y"], **attrs)], [_vi("x", F, [4, 6])],
                   [_vi("y", F, [4, 6])], 13)
        yield ("act_shrink_%s" % name, m, {"x": (rng.standard_normal([4, 6]) * 2).astype(np.float32)})

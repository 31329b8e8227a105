"""Conformance cases for Det (batched and 2-D, float; ONNX Runtime has no double Det),
ReverseSequence (time-major and batch-major), MeanVarianceNormalization (default and given
axes) and MaxPool on uint8 and int8."""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, out as _out, vi as _vi

F, D, I64 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64


def _model(nodes, inputs, outputs, opset, inits=()):
    return make_model(nodes, inputs, outputs, opset, inits, graph="misc_math", infer="outputs")


def cases():
    rng = np.random.default_rng(5150)
    for name, t, shape in (("f32_batched", F, [3, 4, 4]), ("f32_2d", F, [5, 5]), ("f32_1x1", F, [2, 1, 1])):
        m = _model([helper.make_node("Det", ["x"], ["y"])], [_vi("x", t, shape)], [_out("y", t)], 11)
        yield ("misc_det_%s" % name, m, {"x": rng.standard_normal(shape).astype(np.float32 if t == F else np.float64)})
    for name, batch_axis, time_axis, shape, lens in (("time_major", 1, 0, [5, 3, 2], [5, 2, 1]),
                                                    ("batch_major", 0, 1, [3, 6, 2], [0, 6, 3])):
        node = helper.make_node("ReverseSequence", ["x", "lens"], ["y"], batch_axis=batch_axis, time_axis=time_axis)
        m = _model([node], [_vi("x", F, shape)], [_out("y")], 10,
                   [numpy_helper.from_array(np.array(lens, np.int64), "lens")])
        yield ("misc_reversesequence_%s" % name, m, {"x": rng.standard_normal(shape).astype(np.float32)})
    for name, attrs, shape in (("default_axes", {}, [2, 3, 4, 5]), ("axes_1", {"axes": [1]}, [3, 6, 2])):
        m = _model([helper.make_node("MeanVarianceNormalization", ["x"], ["y"], **attrs)], [_vi("x", F, shape)],
                   [_out("y")], 13)
        yield ("misc_mvn_%s" % name, m, {"x": (rng.standard_normal(shape) * 3 + 1).astype(np.float32)})
    # MaxPool on 8-bit integers (quantized models pool before dequantizing).
    for name, t, np_t in (("u8", TensorProto.UINT8, np.uint8), ("i8", TensorProto.INT8, np.int8)):
        node = helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
        m = _model([node], [_vi("x", t, [1, 3, 7, 6])], [_out("y", t)], 12)
        info = np.iinfo(np_t)
        yield ("misc_maxpool_%s" % name, m, {"x": rng.integers(info.min, info.max + 1, [1, 3, 7, 6]).astype(np_t)})

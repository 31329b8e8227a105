"""Conformance cases for Det (batched and 2-D, float; ONNX Runtime has no double Det),
ReverseSequence (time-major and batch-major), MeanVarianceNormalization (default and given
axes), MaxPool on uint8 and int8, RoiAlign (avg/max, both coordinate modes, sampling) and
MaxUnpool fed by MaxPool's indices."""

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
    # RoiAlign: avg and max, both coordinate modes, fixed and adaptive sampling.
    xr = rng.standard_normal([2, 3, 10, 12]).astype(np.float32)
    rois = np.array([[0.5, 1.0, 6.5, 8.0], [2.0, 2.0, 11.0, 9.5], [0.0, 0.0, 3.0, 2.0], [4.2, 3.1, 4.9, 3.6]],
                    np.float32)
    for name, attrs in (("avg_half_pixel", {"output_height": 3, "output_width": 4, "sampling_ratio": 2}),
                        ("avg_adaptive_scaled", {"output_height": 2, "output_width": 2, "spatial_scale": 0.5}),
                        ("avg_output_half_pixel", {"output_height": 3, "output_width": 3, "sampling_ratio": 0,
                                                   "coordinate_transformation_mode": "output_half_pixel"}),
                        ("max", {"mode": "max", "output_height": 2, "output_width": 3, "sampling_ratio": 2})):
        node = helper.make_node("RoiAlign", ["x", "rois", "bi"], ["y"], **attrs)
        m = _model([node], [_vi("x", F, [2, 3, 10, 12])], [_out("y")], 16,
                   [numpy_helper.from_array(rois, "rois"), numpy_helper.from_array(np.array([0, 1, 1, 0], np.int64), "bi")])
        yield ("misc_roialign_%s" % name, m, {"x": xr})
    # MaxPool's indices into MaxUnpool (SegNet's decoder). Only the default output shape:
    # with a larger output_shape ONNX Runtime 1.30 writes the indices as flat offsets of the
    # larger tensor, while onnx's reference (test_maxunpool_export_with_output_shape) keeps
    # each value's coordinates, which TOP follows.
    for name, shape_out in (("default", None), ("output_shape_equal", [1, 2, 8, 8])):
        nodes = [helper.make_node("MaxPool", ["x"], ["p", "i"], kernel_shape=[2, 2], strides=[2, 2])]
        names = ["p", "i"] + (["s"] if shape_out else [])
        nodes.append(helper.make_node("MaxUnpool", names, ["y"], kernel_shape=[2, 2], strides=[2, 2]))
        inits = [numpy_helper.from_array(np.array(shape_out, np.int64), "s")] if shape_out else []
        # ONNX shape inference cannot read output_shape: that output is declared.
        out = _vi("y", F, shape_out) if shape_out else _out("y")
        m = make_model(nodes, [_vi("x", F, [1, 2, 8, 8])], [out], 11, inits, graph="misc_math",
                       infer=None if shape_out else "outputs")
        yield ("misc_maxunpool_%s" % name, m, {"x": rng.standard_normal([1, 2, 8, 8]).astype(np.float32)})

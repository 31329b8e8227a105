"""ONNX Runtime conformance cases for Resize (opsets 11 and 13): nearest with every
nearest_mode, linear and cubic with every coordinate_transformation_mode, scales and
sizes, up- and down-sampling, tf_crop_and_resize with extrapolation, uint8 nearest."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi

F, I64, U8 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8


_model = functools.partial(make_model, graph="resize_ops", infer="data_prop")


def _f(name, values):
    return numpy_helper.from_array(np.array(values, np.float32), name)


def _i(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def _resize(name, shape, opset, attrs, scales=None, sizes=None, roi=None, elem=F, rng=None):
    """One Resize node; opset 11 needs roi and scales inputs (possibly empty)."""
    inits = []
    ins = ["x"]
    if opset < 13 or roi is not None:
        inits.append(_f("roi", roi if roi is not None else []))
        ins.append("roi")
    else:
        ins.append("")
    if scales is not None:
        inits.append(_f("scales", scales))
        ins.append("scales")
    elif opset < 13:
        inits.append(_f("scales", []))
        ins.append("scales")
    else:
        ins.append("")
    if sizes is not None:
        inits.append(_i("sizes", sizes))
        ins.append("sizes")
    m = _model([helper.make_node("Resize", ins, ["y"], **attrs)], [_vi("x", elem, shape)],
               [_vi("y", elem, None)], opset, inits)
    if elem == U8:
        x = rng.integers(0, 256, shape).astype(np.uint8)
    else:
        x = _nonzero(rng, shape)
    return (name, m, {"x": x})


def cases():
    rng = np.random.default_rng(3303)
    shape = [2, 3, 5, 7]

    # Nearest: every nearest_mode with half_pixel, up and down.
    for nm in ("round_prefer_floor", "round_prefer_ceil", "floor", "ceil"):
        yield _resize("resize_nearest_%s_up" % nm, shape, 13, {"mode": "nearest", "nearest_mode": nm},
                      scales=[1, 1, 2.5, 1.5], rng=rng)
        yield _resize("resize_nearest_%s_down" % nm, shape, 11, {"mode": "nearest", "nearest_mode": nm},
                      sizes=[2, 3, 3, 4], rng=rng)
    # Nearest: coordinate modes.
    for cm in ("asymmetric", "align_corners", "pytorch_half_pixel", "tf_half_pixel_for_nn"):
        yield _resize("resize_nearest_coord_%s" % cm, shape, 11,
                      {"mode": "nearest", "coordinate_transformation_mode": cm, "nearest_mode": "floor"},
                      scales=[1, 1, 1.6, 0.6], rng=rng)
    yield _resize("resize_nearest_2x_asymmetric_floor", shape, 13,
                  {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"},
                  scales=[1, 1, 2, 2], rng=rng)
    yield _resize("resize_nearest_uint8", [1, 3, 6, 5], 13, {"mode": "nearest"}, sizes=[1, 3, 9, 12],
                  elem=U8, rng=rng)
    yield _resize("resize_nearest_3d_all_axes", [4, 5, 6], 13, {"mode": "nearest"},
                  scales=[0.5, 2, 1.5], rng=rng)

    # Linear (bilinear over H, W) with every coordinate mode, up and down.
    for cm in ("half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"):
        yield _resize("resize_linear_%s_up" % cm, shape, 13,
                      {"mode": "linear", "coordinate_transformation_mode": cm}, scales=[1, 1, 2, 3], rng=rng)
        yield _resize("resize_linear_%s_down" % cm, shape, 11,
                      {"mode": "linear", "coordinate_transformation_mode": cm}, sizes=[2, 3, 3, 4], rng=rng)
    yield _resize("resize_linear_2d", [6, 9], 13, {"mode": "linear"}, scales=[1.5, 0.7], rng=rng)
    yield _resize("resize_linear_5d_trilinear", [1, 2, 3, 4, 5], 13, {"mode": "linear"},
                  scales=[1, 1, 2, 1.5, 0.8], rng=rng)
    yield _resize("resize_linear_pytorch_to_one", shape, 13,
                  {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
                  sizes=[2, 3, 1, 4], rng=rng)

    # tf_crop_and_resize with roi and extrapolation.
    yield _resize("resize_tf_crop_linear", shape, 11,
                  {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize"},
                  sizes=[2, 3, 4, 4], roi=[0, 0, 0.2, 0.3, 1, 1, 0.8, 0.9], rng=rng)
    yield _resize("resize_tf_crop_extrapolate", shape, 13,
                  {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize",
                   "extrapolation_value": 2.5},
                  sizes=[2, 3, 5, 5], roi=[0, 0, -0.2, 0.4, 1, 1, 0.7, 1.3], rng=rng)
    yield _resize("resize_tf_crop_nearest", shape, 13,
                  {"mode": "nearest", "coordinate_transformation_mode": "tf_crop_and_resize",
                   "extrapolation_value": -1.0},
                  sizes=[2, 3, 4, 6], roi=[0, 0, 0.1, -0.3, 1, 1, 0.9, 1.1], rng=rng)

    # Cubic (bicubic over H, W).
    yield _resize("resize_cubic_up", shape, 13, {"mode": "cubic"}, scales=[1, 1, 2, 1.5], rng=rng)
    yield _resize("resize_cubic_down_exclude_outside", shape, 13,
                  {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, sizes=[2, 3, 3, 5], rng=rng)
    yield _resize("resize_cubic_align_corners", shape, 11,
                  {"mode": "cubic", "coordinate_transformation_mode": "align_corners"},
                  scales=[1, 1, 1.6, 2.2], rng=rng)

    # ---- GridSample -------------------------------------------------------------------
    for mode in ("bilinear", "nearest", "bicubic"):
        for pad in ("zeros", "border", "reflection"):
            for align in (0, 1):
                m = _model([helper.make_node("GridSample", ["x", "g"], ["y"], mode=mode, padding_mode=pad,
                                             align_corners=align)],
                           [helper.make_tensor_value_info("x", F, [2, 3, 5, 4]),
                            helper.make_tensor_value_info("g", F, [2, 3, 6, 2])],
                           [helper.make_tensor_value_info("y", F, [2, 3, 3, 6])], 16)
                grid = rng.uniform(-1.4, 1.4, [2, 3, 6, 2]).astype(np.float32)  # some points outside
                yield ("grid_sample_%s_%s_align%d" % (mode, pad, align), m,
                       {"x": rng.standard_normal([2, 3, 5, 4]).astype(np.float32), "g": grid})

"""Conv and ConvTranspose conformance cases: strides, pads, dilations, groups
(depthwise included), auto_pad modes, 1-D/3-D, optional bias, kernel_shape inferred
from the weights, weights as initializers and as graph inputs."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import infer_outputs as _with_inferred_outputs, make_model, nonzero as _nonzero

F = TensorProto.FLOAT


_model = functools.partial(make_model, graph="conv", ir_version=7)


def _conv_case(rng, name, x_shape, w_shape, opset=13, bias=True, weights_as_inputs=False,
               op="Conv", **attrs):
    """One Conv/ConvTranspose node; the output shape is left to shape inference."""
    x = _nonzero(rng, x_shape)
    w = _nonzero(rng, w_shape) * 0.5
    out_c = w_shape[0] if op == "Conv" else w_shape[1] * attrs.get("group", 1)
    b = _nonzero(rng, [out_c])
    names = ["x", "w"] + (["b"] if bias else [])
    node = helper.make_node(op, names, ["y"], **attrs)
    inputs = [helper.make_tensor_value_info("x", F, x_shape)]
    feeds = {"x": x}
    inits = []
    if weights_as_inputs:
        inputs.append(helper.make_tensor_value_info("w", F, w_shape))
        feeds["w"] = w
        if bias:
            inputs.append(helper.make_tensor_value_info("b", F, [out_c]))
            feeds["b"] = b
    else:
        inits.append(numpy_helper.from_array(w, "w"))
        if bias:
            inits.append(numpy_helper.from_array(b, "b"))
    y = helper.make_tensor_value_info("y", F, [None] * len(x_shape))
    return name, _with_inferred_outputs(_model([node], inputs, [y], opset, inits)), feeds


def cases():
    rng = np.random.default_rng(1234)
    c = _conv_case

    # ---- Conv 2-D ----
    for opset in (11, 13, 17):
        yield c(rng, "conv2d_3x3_pad1_op%d" % opset, [1, 3, 10, 12], [8, 3, 3, 3], opset,
                kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_stride2_asym_pads", [2, 4, 11, 9], [6, 4, 3, 2], strides=[2, 1],
            pads=[1, 0, 0, 1])
    yield c(rng, "conv2d_dilated_nobias", [1, 5, 13, 13], [4, 5, 3, 3], bias=False,
            dilations=[2, 3], pads=[2, 3, 2, 3])
    yield c(rng, "conv2d_kernel_from_weights", [1, 3, 9, 9], [5, 3, 5, 3])
    yield c(rng, "conv2d_7x7_stride2", [1, 3, 32, 32], [16, 3, 7, 7], kernel_shape=[7, 7],
            strides=[2, 2], pads=[3, 3, 3, 3])
    yield c(rng, "conv2d_weights_as_inputs", [2, 3, 8, 8], [4, 3, 3, 3], weights_as_inputs=True,
            pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_tiled_im2col", [1, 32, 30, 30], [24, 32, 3, 3], pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_small_spatial_many_channels", [1, 96, 7, 7], [64, 96, 3, 3],
            pads=[1, 1, 1, 1])
    # Pointwise (direct GEMM) and strided pointwise (im2col).
    yield c(rng, "conv2d_pointwise", [2, 16, 9, 7], [24, 16, 1, 1])
    yield c(rng, "conv2d_pointwise_stride2", [1, 16, 9, 9], [8, 16, 1, 1], strides=[2, 2])
    # Groups.
    yield c(rng, "conv2d_group2", [1, 8, 10, 10], [6, 4, 3, 3], group=2, pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_group4_pointwise", [2, 8, 5, 5], [12, 2, 1, 1], group=4)
    yield c(rng, "conv2d_depthwise", [1, 16, 14, 14], [16, 1, 3, 3], group=16, pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_depthwise_stride2", [2, 8, 15, 14], [8, 1, 3, 3], group=8,
            strides=[2, 2], pads=[1, 1, 1, 1])
    yield c(rng, "conv2d_depthwise_asym_pads", [1, 6, 7, 9], [6, 1, 3, 3], group=6,
            pads=[0, 2, 1, 0])
    yield c(rng, "conv2d_depthwise_autopad_same_upper", [1, 5, 10, 10], [5, 1, 4, 4], group=5,
            auto_pad="SAME_UPPER", strides=[2, 2])
    yield c(rng, "conv2d_depthwise_small_plane_nobias", [2, 32, 7, 7], [32, 1, 3, 3], group=32,
            pads=[1, 1, 1, 1], bias=False)
    yield c(rng, "conv2d_depthwise_5x5_multiplier2", [1, 4, 12, 11], [8, 1, 5, 5], group=4,
            pads=[2, 2, 2, 2], dilations=[1, 2])
    # auto_pad.
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        yield c(rng, "conv2d_autopad_%s_k4s2" % mode.lower(), [1, 3, 11, 10], [4, 3, 4, 4],
                auto_pad=mode, strides=[2, 2])
        yield c(rng, "conv2d_autopad_%s_k2s1" % mode.lower(), [1, 2, 7, 6], [3, 2, 2, 2],
                auto_pad=mode)
    yield c(rng, "conv2d_autopad_valid", [1, 3, 11, 10], [4, 3, 3, 3], auto_pad="VALID",
            strides=[2, 3])

    # ---- Conv 1-D / 3-D ----
    yield c(rng, "conv1d", [2, 4, 20], [6, 4, 3], strides=[2], pads=[1, 2], dilations=[2])
    yield c(rng, "conv1d_depthwise", [1, 6, 17], [6, 1, 5], group=6, pads=[2, 2])
    yield c(rng, "conv3d", [1, 3, 6, 7, 8], [4, 3, 2, 3, 3], strides=[1, 2, 1],
            pads=[1, 1, 0, 0, 1, 1])

    # ---- ConvTranspose ----
    ct = lambda *a, **k: c(*a, op="ConvTranspose", **k)  # noqa: E731
    yield ct(rng, "convtranspose2d_basic", [1, 3, 5, 6], [3, 4, 3, 3])
    for opset in (11, 17):
        yield ct(rng, "convtranspose2d_stride2_pads_op%d" % opset, [2, 4, 5, 5], [4, 3, 3, 3],
                 opset, strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
    yield ct(rng, "convtranspose2d_group2_dilated", [1, 4, 6, 5], [4, 3, 3, 2], group=2,
             dilations=[2, 1], strides=[1, 2], pads=[1, 0, 0, 1])
    yield ct(rng, "convtranspose2d_depthwise_k4s2", [1, 6, 7, 7], [6, 1, 4, 4], group=6,
             strides=[2, 2], pads=[1, 1, 1, 1], bias=False)
    yield ct(rng, "convtranspose2d_output_shape", [1, 3, 5, 5], [3, 2, 3, 3], strides=[2, 2],
             output_shape=[10, 9])
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        yield ct(rng, "convtranspose2d_autopad_%s" % mode.lower(), [1, 2, 5, 4], [2, 3, 3, 3],
                 strides=[2, 2], auto_pad=mode)
    yield ct(rng, "convtranspose2d_weights_as_inputs", [1, 3, 4, 4], [3, 2, 3, 3],
             weights_as_inputs=True, strides=[2, 2])
    yield ct(rng, "convtranspose1d", [2, 3, 9], [3, 2, 3], strides=[2], pads=[1, 1],
             output_padding=[1])

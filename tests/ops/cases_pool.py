"""MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool conformance cases:
strides, pads, dilations, ceil_mode, count_include_pad, auto_pad, 1-D/2-D/3-D and the
MaxPool Indices output in both storage orders."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, out as _out

F = TensorProto.FLOAT


def _model(nodes, inputs, outputs, opset, initializers=(), infer=True):
    return make_model(nodes, inputs, outputs, opset, initializers, graph="pool", ir_version=7,
                      infer="outputs" if infer else None)


def _pool(rng, name, op, x_shape, opset=13, indices=False, **attrs):
    outs = ["y", "i"] if indices else ["y"]
    node = helper.make_node(op, ["x"], outs, **attrs)
    # With ceil_mode, onnx < 1.15 shape inference keeps a last window that starts in the
    # end padding (ONNX Runtime drops it): declare only the rank then.
    ceil = attrs.get("ceil_mode", 0) == 1
    dims = [None] * len(x_shape) if ceil else None
    outputs = [helper.make_tensor_value_info("y", F, dims)]
    if indices:
        outputs.append(helper.make_tensor_value_info("i", TensorProto.INT64, dims))
    model = _model([node], [helper.make_tensor_value_info("x", F, x_shape)], outputs, opset,
                   infer=not ceil)
    return name, model, {"x": _nonzero(rng, x_shape)}


def cases():
    rng = np.random.default_rng(4321)
    p = _pool

    # ---- MaxPool ----
    for opset in (11, 12):
        yield p(rng, "maxpool2d_3x3_s2_pad1_op%d" % opset, "MaxPool", [1, 4, 14, 13], opset,
                kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    yield p(rng, "maxpool2d_asym_pads", "MaxPool", [2, 3, 9, 10], kernel_shape=[2, 3],
            strides=[1, 2], pads=[0, 1, 1, 0])
    yield p(rng, "maxpool2d_dilated", "MaxPool", [1, 2, 11, 12], kernel_shape=[3, 2],
            dilations=[2, 3], pads=[1, 1, 1, 1])
    yield p(rng, "maxpool2d_ceil", "MaxPool", [1, 3, 10, 11], kernel_shape=[3, 3],
            strides=[2, 2], ceil_mode=1)
    yield p(rng, "maxpool2d_ceil_pads", "MaxPool", [1, 2, 9, 8], kernel_shape=[2, 2],
            strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)
    for mode in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        yield p(rng, "maxpool2d_autopad_%s" % mode.lower(), "MaxPool", [1, 2, 7, 8],
                kernel_shape=[2, 3], strides=[2, 2], auto_pad=mode)
    yield p(rng, "maxpool1d", "MaxPool", [2, 3, 15], kernel_shape=[4], strides=[3], pads=[1, 2])
    yield p(rng, "maxpool3d", "MaxPool", [1, 2, 5, 6, 7], kernel_shape=[2, 2, 3],
            strides=[2, 1, 2], pads=[1, 0, 1, 0, 1, 1])
    yield p(rng, "maxpool2d_indices", "MaxPool", [2, 3, 8, 7], indices=True,
            kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    yield p(rng, "maxpool2d_indices_col_major", "MaxPool", [1, 2, 6, 5], indices=True,
            kernel_shape=[2, 2], strides=[2, 2], storage_order=1)

    # ---- AveragePool ----
    for include in (0, 1):
        sfx = "_incpad" if include else ""
        yield p(rng, "avgpool2d_3x3_s2_pad1" + sfx, "AveragePool", [1, 4, 13, 14],
                kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=include)
        yield p(rng, "avgpool2d_asym_pads" + sfx, "AveragePool", [2, 3, 9, 10],
                kernel_shape=[2, 3], strides=[1, 2], pads=[1, 0, 0, 2], count_include_pad=include)
        yield p(rng, "avgpool2d_ceil" + sfx, "AveragePool", [1, 2, 10, 11], kernel_shape=[3, 3],
                strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=include)
        yield p(rng, "avgpool1d" + sfx, "AveragePool", [1, 3, 16], kernel_shape=[3], strides=[2],
                pads=[1, 1], count_include_pad=include)
        yield p(rng, "avgpool3d" + sfx, "AveragePool", [1, 2, 5, 6, 6], kernel_shape=[2, 3, 3],
                strides=[1, 2, 2], pads=[0, 1, 1, 1, 1, 0], count_include_pad=include)
    for mode in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        yield p(rng, "avgpool2d_autopad_%s" % mode.lower(), "AveragePool", [1, 2, 7, 8],
                kernel_shape=[3, 2], strides=[2, 3], auto_pad=mode)
    yield p(rng, "avgpool2d_7x7_global_like", "AveragePool", [1, 8, 7, 7], opset=11,
            kernel_shape=[7, 7])

    # ---- Global pools ----
    for op in ("GlobalAveragePool", "GlobalMaxPool"):
        yield p(rng, op.lower() + "_4d", op, [2, 16, 7, 5])
        yield p(rng, op.lower() + "_3d", op, [1, 6, 11])
        yield p(rng, op.lower() + "_5d", op, [1, 3, 2, 3, 4])

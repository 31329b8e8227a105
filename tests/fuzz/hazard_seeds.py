#!/usr/bin/python3
"""Writes tests/fuzz/corpus/model/hazard_*.onnx: small models that each once crashed or
hung libonnx 1.12's shape inference (or would have, without our own checks before it),
as seeds from which model_fuzz mutates towards their neighbours.

    /usr/bin/python3 tests/fuzz/hazard_seeds.py    (needs Debian's python3-onnx)

tests/unit/onnx_shape_inference_test.cpp holds the same cases as unit tests."""
import os

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper


def model(nodes, inputs, outputs, inits=(), opset=13):
    g = h.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def vi(name, elem, shape):  # None: a rank-1 output of unknown length
    return h.make_tensor_value_info(name, elem, ["d0"] if shape is None else shape)


def raw(name, elem, dims, data):
    t = T()
    t.name, t.data_type, t.raw_data = name, elem, data
    t.dims.extend(dims)
    return t


w4 = numpy_helper.from_array(np.ones((2, 1, 3, 3), np.float32), "w")
cases = {
    # Conv weight of rank 4 on an input of rank 2: a null read of dilations.
    "conv_rank_mismatch": model([h.make_node("Conv", ["x", "w"], ["y"])],
                                [vi("x", T.FLOAT, [1, 1])], [vi("y", T.FLOAT, None)], [w4]),
    # ConvTranspose weight of rank 1: reads dim(1).
    "conv_transpose_rank1_weight": model(
        [h.make_node("ConvTranspose", ["x", "w"], ["y"], kernel_shape=[3, 3])],
        [vi("x", T.FLOAT, [1, 1, 4, 4])], [vi("y", T.FLOAT, None)],
        [numpy_helper.from_array(np.ones((3,), np.float32), "w")]),
    # raw_data shorter than one element: libonnx's ParseData copies into a null vector.
    "reshape_short_raw_shape": model([h.make_node("Reshape", ["x", "s"], ["y"])],
                                     [vi("x", T.FLOAT, [2, 3])], [vi("y", T.FLOAT, None)],
                                     [raw("s", T.INT64, [1], b"\x01\x02\x03")], opset=14),
    # LayerNormalization of a scalar with a Mean output: writes through dim(-1).
    "layernorm_rank0_mean": model([h.make_node("LayerNormalization", ["x", "sc"], ["y", "m"])],
                                  [vi("x", T.FLOAT, []), vi("sc", T.FLOAT, [])],
                                  [vi("y", T.FLOAT, None), vi("m", T.FLOAT, None)], opset=17),
    # A 1-D shape input declared 10^12 long: one output dim added per element.
    "constant_of_shape_huge_shape": model([h.make_node("ConstantOfShape", ["s"], ["y"])],
                                          [vi("s", T.INT64, [10**12])], [vi("y", T.FLOAT, None)]),
    # auto_pad with stride 2 over a dim of 2^50: a modulo by repeated subtraction.
    "maxpool_auto_pad_huge_dim": model(
        [h.make_node("MaxPool", ["x"], ["y"], kernel_shape=[1], strides=[2], auto_pad="NOTSET")],
        [vi("x", T.FLOAT, [1, 1, 2**50])], [vi("y", T.FLOAT, None)]),
    # Element count -1 * 2^62 * 2 = INT64_MIN, Reshape [0, -1]: INT64_MIN % -1.
    "reshape_int64_min": model([h.make_node("Reshape", ["x", "s"], ["y"])],
                               [vi("x", T.FLOAT, [-1, 2**62, 2])], [vi("y", T.FLOAT, None)],
                               [numpy_helper.from_array(np.array([0, -1], np.int64), "s")], opset=14),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "model")
for name, m in cases.items():
    onnx.save(m, os.path.join(out, f"hazard_{name}.onnx"))
print(f"wrote {len(cases)} seeds to {out}")

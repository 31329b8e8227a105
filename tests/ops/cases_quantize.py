"""ONNX Runtime conformance cases for QuantizeLinear, DequantizeLinear (per tensor and
per axis, int8 and uint8, int32 for dequantize) and DynamicQuantizeLinear: the
operators of QDQ models."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, vi as _vi

F, U8, I8, I32 = TensorProto.FLOAT, TensorProto.UINT8, TensorProto.INT8, TensorProto.INT32

_model = functools.partial(make_model, graph="quantize_ops", infer="data_prop")


def cases():
    rng = np.random.default_rng(8086)
    shape = [2, 3, 4]
    for name, qtype, np_q, per_axis in (("u8", U8, np.uint8, False), ("i8", I8, np.int8, False),
                                        ("u8_axis1", U8, np.uint8, True), ("i8_axis1", I8, np.int8, True)):
        n = shape[1] if per_axis else 1
        sshape = [n] if per_axis else []
        scale = rng.uniform(0.01, 0.1, n).astype(np.float32).reshape(sshape)
        zp = (rng.integers(100, 150, n) if np_q == np.uint8 else rng.integers(-20, 20, n)).astype(np_q).reshape(sshape)
        inits = [numpy_helper.from_array(scale, "s"), numpy_helper.from_array(zp, "z")]
        m = _model([helper.make_node("QuantizeLinear", ["x", "s", "z"], ["y"])], [_vi("x", F, shape)],
                   [_vi("y", qtype, shape)], 13, inits)
        yield ("quant_quantize_%s" % name, m, {"x": (rng.standard_normal(shape) * 8).astype(np.float32)})
        m = _model([helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"])], [_vi("q", qtype, shape)],
                   [_vi("y", F, shape)], 13, inits)
        info = np.iinfo(np_q)
        yield ("quant_dequantize_%s" % name, m,
               {"q": rng.integers(info.min, info.max + 1, shape).astype(np_q)})
    m = _model([helper.make_node("DequantizeLinear", ["q", "s"], ["y"])], [_vi("q", I32, [5])], [_vi("y", F, [5])], 13,
               [numpy_helper.from_array(np.array(0.25, dtype=np.float32), "s")])
    yield ("quant_dequantize_i32", m, {"q": rng.integers(-1000, 1000, [5]).astype(np.int32)})
    m = _model([helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "s", "z"])], [_vi("x", F, [3, 5])],
               [_vi("y", U8, [3, 5]), _vi("s", F, []), _vi("z", U8, [])], 11)
    yield ("quant_dynamic", m, {"x": (rng.standard_normal([3, 5]) * 4 + 1).astype(np.float32)})

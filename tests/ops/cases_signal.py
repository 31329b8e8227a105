"""Signal window conformance cases: HannWindow, HammingWindow and BlackmanWindow,
periodic and symmetric, float and double outputs, the size as a constant and as a graph
input (planned by value)."""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, vi as _vi

I64 = TensorProto.INT64


def cases():
    for op in ("HannWindow", "HammingWindow", "BlackmanWindow"):
        for periodic, dtype, size in ((1, TensorProto.FLOAT, 10), (0, TensorProto.FLOAT, 7),
                                      (1, TensorProto.DOUBLE, 16)):
            node = helper.make_node(op, ["size"], ["y"], periodic=periodic, output_datatype=dtype)
            model = make_model([node], [], [_vi("y", dtype, [size])], 17,
                               [numpy_helper.from_array(np.array(size, np.int64), "size")], graph="signal")
            yield ("signal_%s_p%d_%s_%d" % (op.lower(), periodic, "f64" if dtype == TensorProto.DOUBLE else "f32",
                                            size), model, {})
        node = helper.make_node(op, ["size"], ["y"])
        model = make_model([node], [_vi("size", I64, [])], [_vi("y", TensorProto.FLOAT, ["n"])], 17, graph="signal")
        yield ("signal_%s_size_input" % op.lower(), model, {"size": np.array(12, np.int64)})

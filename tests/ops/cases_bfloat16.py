"""bfloat16 conformance: Cast float32 -> bfloat16 -> float32 (rounding to nearest, ties
to even, as ONNX Runtime) on random values, ties, huge and subnormal values; the output is float32
because .npy has no bfloat16."""

import numpy as np
from onnx import TensorProto, helper

from case_util import make_model, vi as _vi

F = TensorProto.FLOAT


def cases():
    rng = np.random.default_rng(1616)
    x = np.concatenate([rng.standard_normal(40) * 10,
                        [1.00390625, 1.01171875, -1.00390625, 0.0, -0.0, 1e30, -3e-39, 2.5e-3]]).astype(np.float32)
    nodes = [helper.make_node("Cast", ["x"], ["b"], to=TensorProto.BFLOAT16),
             helper.make_node("Cast", ["b"], ["y"], to=F)]
    yield ("bfloat16_cast_roundtrip", make_model(nodes, [_vi("x", F, [48])], [_vi("y", F, [48])], 13, graph="bf16"),
           {"x": x})

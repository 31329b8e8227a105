"""Einsum conformance cases: explicit and implicit outputs, contractions, diagonals,
traces, outer products, broadcast ellipses, three operands, upper-case labels, float32,
float64 and int64."""

import numpy as np
from onnx import TensorProto, helper

from case_util import make_model, out as _out, vi as _vi

F, D, I64 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64
_NP = {F: np.float32, D: np.float64, I64: np.int64}

def _model(nodes, inputs, outputs, opset):
    declared = all(o.type.tensor_type.HasField("shape") for o in outputs)
    return make_model(nodes, inputs, outputs, opset, graph="einsum", infer=None if declared else "outputs")


def cases():
    rng = np.random.default_rng(12)
    for name, eq, shapes, t in (("matmul", "ij,jk->ik", [[3, 4], [4, 5]], F),
                                ("batch_matmul", "bij,bjk->bik", [[2, 3, 4], [2, 4, 3]], F),
                                ("implicit", "ij,jk", [[2, 3], [3, 4]], F),
                                ("trace", "ii", [[4, 4]], D),
                                ("diagonal", "ii->i", [[5, 5]], F),
                                ("outer", "i,j->ij", [[3], [4]], F),
                                ("ellipsis_broadcast", "...ij,...jk->...ik", [[2, 1, 3, 4], [2, 5, 4, 2]], F),
                                ("three_operands", "ij,jk,kl->il", [[2, 3], [3, 4], [4, 2]], F),
                                ("column_sum_int64", "ij->j", [[3, 4]], I64),
                                ("upper_case", "Ab,bC->AC", [[2, 3], [3, 2]], F),
                                ("permute_sum", "abc->ca", [[2, 3, 4]], D)):
        names = ["x%d" % i for i in range(len(shapes))]
        node = helper.make_node("Einsum", names, ["y"], equation=eq)
        # ONNX shape inference does not broadcast ellipses: that output is declared.
        outs = [_vi("y", t, [2, 5, 3, 2]) if name == "ellipsis_broadcast" else _out("y", t)]
        model = _model([node], [_vi(n, t, s) for n, s in zip(names, shapes)], outs, 12)
        feeds = {}
        for n, s in zip(names, shapes):
            feeds[n] = (rng.integers(-5, 6, s) if t == I64 else rng.standard_normal(s)).astype(_NP[t])
        yield ("einsum_%s" % name, model, feeds)

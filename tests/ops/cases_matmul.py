"""MatMul (numpy batching, 1-D operands, broadcast batch dims) and Gemm (transA/transB,
alpha/beta, every C broadcast shape, no C) conformance cases."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, out as _out

F = TensorProto.FLOAT


_model = functools.partial(make_model, graph="matmul", ir_version=7, infer="outputs")


def cases():
    rng = np.random.default_rng(99)

    # ---- MatMul: numpy semantics ----
    shapes = [("2d", [5, 7], [7, 3]),
              ("batched_by_2d", [2, 4, 6], [6, 5]),
              ("batched", [3, 4, 6], [3, 6, 2]),
              ("broadcast_batch", [2, 1, 3, 4], [5, 4, 6]),
              ("2d_by_batched", [3, 4], [2, 4, 5]),
              ("vec_left", [6], [6, 4]),
              ("vec_right", [2, 3, 6], [6]),
              ("vec_vec", [8], [8]),
              ("vec_left_batched", [4], [3, 4, 2]),
              ("fc_like", [1, 512], [512, 100]),
              ("large", [64, 96], [96, 80])]
    for opset in (11, 13):
        for name, a, b in shapes:
            if opset == 11 and name not in ("2d", "broadcast_batch", "vec_vec"):
                continue
            node = helper.make_node("MatMul", ["a", "b"], ["y"])
            model = _model([node], [helper.make_tensor_value_info("a", F, a),
                                    helper.make_tensor_value_info("b", F, b)], [_out("y")], opset)
            yield ("matmul_%s_op%d" % (name, opset), model,
                   {"a": _nonzero(rng, a), "b": _nonzero(rng, b)})
    # Constant weights (the usual transformer/FC case).
    w = numpy_helper.from_array(_nonzero(rng, [16, 24]), "w")
    model = _model([helper.make_node("MatMul", ["a", "w"], ["y"])],
                   [helper.make_tensor_value_info("a", F, [2, 3, 16])], [_out("y")], 13, [w])
    yield ("matmul_const_weights", model, {"a": _nonzero(rng, [2, 3, 16])})

    # ---- Gemm ----
    m, n, k = 6, 9, 5
    c_shapes = {"c_full": [m, n], "c_row": [n], "c_col": [m, 1], "c_1xn": [1, n], "c_one": [1]}
    for ta in (0, 1):
        for tb in (0, 1):
            a_shape = [k, m] if ta else [m, k]
            b_shape = [n, k] if tb else [k, n]
            for cname, cs in c_shapes.items():
                if (ta, tb) != (0, 1) and cname not in ("c_full", "c_row"):
                    continue
                node = helper.make_node("Gemm", ["a", "b", "c"], ["y"], transA=ta, transB=tb,
                                        alpha=0.75, beta=1.5)
                ins = [helper.make_tensor_value_info("a", F, a_shape),
                       helper.make_tensor_value_info("b", F, b_shape),
                       helper.make_tensor_value_info("c", F, cs)]
                feeds = {"a": _nonzero(rng, a_shape), "b": _nonzero(rng, b_shape),
                         "c": _nonzero(rng, cs)}
                yield ("gemm_ta%d_tb%d_%s" % (ta, tb, cname), _model([node], ins, [_out("y")], 13),
                       feeds)
    # No C (optional since opset 11), both opsets.
    for opset in (11, 13):
        node = helper.make_node("Gemm", ["a", "b"], ["y"], transB=1, alpha=2.0)
        ins = [helper.make_tensor_value_info("a", F, [4, 8]),
               helper.make_tensor_value_info("b", F, [3, 8])]
        yield ("gemm_no_c_op%d" % opset, _model([node], ins, [_out("y")], opset),
               {"a": _nonzero(rng, [4, 8]), "b": _nonzero(rng, [3, 8])})
    # Classifier head: constant weights, transB=1, bias vector, batch 1 and 3.
    for batch in (1, 3):
        wt = numpy_helper.from_array(_nonzero(rng, [100, 256]) * 0.1, "w")
        bias = numpy_helper.from_array(_nonzero(rng, [100]), "bias")
        node = helper.make_node("Gemm", ["x", "w", "bias"], ["y"], transB=1)
        model = _model([node], [helper.make_tensor_value_info("x", F, [batch, 256])], [_out("y")],
                       11, [wt, bias])
        yield ("gemm_fc_batch%d" % batch, model, {"x": _nonzero(rng, [batch, 256])})

"""ONNX Runtime conformance cases for NegativeLogLikelihoodLoss and
SoftmaxCrossEntropyLoss: every reduction, class weights, ignore_index, extra dims, and
SCE's log_prob output."""

import functools

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, vi as _vi

F, I64 = TensorProto.FLOAT, TensorProto.INT64

_model = functools.partial(make_model, graph="loss_ops", infer="data_prop")


def cases():
    rng = np.random.default_rng(5150)
    for op in ("NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"):
        short = "nll" if op.startswith("Negative") else "sce"
        for red in ("none", "sum", "mean"):
            for name, shape, weighted, ignore in (("nc", [5, 4], False, None), ("ncd_weight", [3, 4, 2, 3], True, None),
                                                  ("ignore", [6, 3], True, 1)):
                tshape = [shape[0]] + shape[2:]
                attrs = {"reduction": red}
                if ignore is not None:
                    attrs["ignore_index"] = ignore
                ins = ["x", "t"] + (["w"] if weighted else [])
                outs = ["loss"] + (["log_prob"] if short == "sce" and name == "nc" else [])
                inits = [numpy_helper.from_array(rng.uniform(0.2, 2.0, shape[1]).astype(np.float32), "w")] if weighted else []
                m = _model([helper.make_node(op, ins, outs, **attrs)], [_vi("x", F, shape), _vi("t", I64, tshape)],
                           [_vi(o, F, None) for o in outs], 13, inits)
                x = _nonzero(rng, shape)
                if short == "nll":
                    x = -np.abs(x)  # log-probabilities are negative
                yield ("loss_%s_%s_%s" % (short, name, red), m, {"x": x, "t": rng.integers(0, shape[1], tshape)})

"""BatchNormalization (inference) and LayerNormalization (opset 17) conformance cases:
ranks 2-5, parameters as initializers and as graph inputs, axis/epsilon, optional bias and
the Mean/InvStdDev outputs."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, nonzero as _nonzero, out as _out

F = TensorProto.FLOAT

_model = functools.partial(make_model, graph="norm", ir_version=7, infer="outputs")

def cases():
    rng = np.random.default_rng(777)

    # ---- BatchNormalization (inference) ----
    for opset, shape in ((11, [2, 4, 6, 5]), (14, [1, 8, 7, 7]), (15, [3, 5]), (15, [2, 3, 9]),
                         (13, [1, 2, 3, 4, 5])):
        c = shape[1]
        params = [_nonzero(rng, [c]), _nonzero(rng, [c]), _nonzero(rng, [c]),
                  np.abs(_nonzero(rng, [c])) + 0.1]
        inits = [numpy_helper.from_array(v, n) for v, n in zip(params, ["s", "b", "m", "v"])]
        node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"],
                                epsilon=1e-3)
        model = _model([node], [helper.make_tensor_value_info("x", F, shape)], [_out("y")], opset,
                       inits)
        yield ("batchnorm_%dd_op%d" % (len(shape), opset), model, {"x": _nonzero(rng, shape)})
    # Parameters as graph inputs (not constants).
    shape = [2, 3, 4, 4]
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])
    ins = [helper.make_tensor_value_info(n, F, shape if n == "x" else [3]) for n in "xsbmv"]
    feeds = {"x": _nonzero(rng, shape), "s": _nonzero(rng, [3]), "b": _nonzero(rng, [3]),
             "m": _nonzero(rng, [3]), "v": np.abs(_nonzero(rng, [3])) + 0.1}
    yield ("batchnorm_params_as_inputs", _model([node], ins, [_out("y")], 15), feeds)

    # ---- LayerNormalization (opset 17) ----
    for name, shape, axis, bias, stats in (("last_axis", [2, 5, 16], -1, True, False),
                                           ("axis1", [2, 3, 4, 5], 1, True, False),
                                           ("no_bias", [4, 32], -1, False, False),
                                           ("axis_neg2_stats", [2, 6, 8], -2, True, True),
                                           ("axis0", [3, 10], 0, True, False)):
        norm_shape = shape[axis:] if axis >= 0 else shape[len(shape) + axis:]
        names = ["x", "s"] + (["b"] if bias else [])
        outs = ["y"] + (["mean", "inv_std"] if stats else [])
        node = helper.make_node("LayerNormalization", names, outs, axis=axis, epsilon=1e-4)
        inits = [numpy_helper.from_array(_nonzero(rng, norm_shape), "s")]
        if bias:
            inits.append(numpy_helper.from_array(_nonzero(rng, norm_shape), "b"))
        model = _model([node], [helper.make_tensor_value_info("x", F, shape)],
                       [_out(o) for o in outs], 17, inits)
        yield ("layernorm_" + name, model, {"x": _nonzero(rng, shape) * 3 + 1})

    # ---- InstanceNormalization --------------------------------------------------------
    for name, shape, eps in (("2d", [2, 3, 4, 5], 1e-5), ("1d_eps", [1, 4, 7], 1e-2), ("3d", [1, 2, 3, 2, 4], 1e-5)):
        c = shape[1]
        m = _model([helper.make_node("InstanceNormalization", ["x", "s", "b"], ["y"], epsilon=eps)],
                   [helper.make_tensor_value_info("x", F, shape)], [_out("y")], 13,
                   [numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "s"),
                    numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "b")])
        yield ("norm_instance_%s" % name, m, {"x": (rng.standard_normal(shape) * 3 + 1).astype(np.float32)})

    # ---- LRN --------------------------------------------------------------------------
    # ONNX Runtime 1.30's LRN takes only odd sizes and 4-D inputs.
    for name, shape, size, attrs in (("default", [2, 5, 3, 3], 3, {}), ("attrs", [1, 6, 4, 2], 5,
                                     {"alpha": 2e-3, "beta": 0.5, "bias": 2.0}), ("wide", [1, 3, 5, 1], 7, {})):
        m = _model([helper.make_node("LRN", ["x"], ["y"], size=size, **attrs)],
                   [helper.make_tensor_value_info("x", F, shape)], [_out("y")], 13)
        yield ("norm_lrn_%s" % name, m, {"x": (rng.standard_normal(shape) * 4).astype(np.float32)})

    # ---- BatchNormalization training_mode (opset 15): batch statistics, running outputs --
    for name, shape, outs in (("training_4d", [3, 4, 5, 2], ["y", "rm", "rv"]), ("training_2d", [6, 3], ["y", "rm", "rv"])):
        c = shape[1]
        inits = [numpy_helper.from_array(v, n) for v, n in zip(
            [_nonzero(rng, [c]), _nonzero(rng, [c]), _nonzero(rng, [c]), np.abs(_nonzero(rng, [c])) + 0.1],
            ["s", "b", "m", "v"])]
        node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], outs, training_mode=1,
                                momentum=0.8, epsilon=1e-3)
        model = _model([node], [helper.make_tensor_value_info("x", F, shape)], [_out(o) for o in outs], 15, inits)
        yield ("batchnorm_%s" % name, model, {"x": _nonzero(rng, shape) * 2 + 0.5})

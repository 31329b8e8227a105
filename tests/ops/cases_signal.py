"""Signal conformance cases: HannWindow, HammingWindow and BlackmanWindow (periodic and
symmetric, float and double, the size as a constant and as a graph input), DFT (real and
complex, axes, onesided, inverse, padded and truncated dft_length), STFT (window, complex
two-sided) and MelWeightMatrix."""

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
    yield from _spectral_cases(np.random.default_rng(17))


def _spectral_cases(rng):
    F = TensorProto.FLOAT
    for name, shape, attrs, length in (("real_axis1", [2, 12, 3, 1], {"axis": 1}, None),
                                       ("complex_axis2", [1, 4, 10, 2], {"axis": 2}, None),
                                       ("onesided", [2, 16, 1], {"axis": 1, "onesided": 1}, None),
                                       ("inverse", [1, 8, 2], {"axis": 1, "inverse": 1}, None),
                                       ("padded_length", [1, 6, 1], {"axis": 1}, 10),
                                       ("truncated_length", [1, 9, 2], {"axis": 1}, 5)):
        names = ["x"] + (["n"] if length is not None else [])
        inits = [numpy_helper.from_array(np.array(length, np.int64), "n")] if length is not None else []
        node = helper.make_node("DFT", names, ["y"], **attrs)
        model = make_model([node], [_vi("x", F, shape)], [_vi("y", F, None)], 17, inits, graph="signal",
                           infer="outputs")
        yield ("signal_dft_%s" % name, model, {"x": rng.standard_normal(shape).astype(np.float32)})
    for name, shape, window, onesided in (("window", [2, 64, 1], True, 1), ("complex_twosided", [1, 40, 2], False, 0)):
        names = ["s", "step", "w" if window else "", "" if window else "len"]
        inits = [numpy_helper.from_array(np.array(6, np.int64), "step")]
        if window:
            inits.append(numpy_helper.from_array((0.5 - 0.5 * np.cos(2 * np.pi * np.arange(16) / 16)).astype(np.float32),
                                                 "w"))
        else:
            inits.append(numpy_helper.from_array(np.array(12, np.int64), "len"))
        node = helper.make_node("STFT", [n for n in names if n] if window else names, ["y"], onesided=onesided)
        model = make_model([node], [_vi("s", F, shape)], [_vi("y", F, None)], 17, inits, graph="signal",
                           infer="outputs")
        yield ("signal_stft_%s" % name, model, {"s": rng.standard_normal(shape).astype(np.float32)})
    inits = [numpy_helper.from_array(np.array(v, t), n) for n, v, t in
             (("mels", 10, np.int64), ("dft", 64, np.int64), ("rate", 16000, np.int64), ("lo", 20.0, np.float32),
              ("hi", 7600.0, np.float32))]
    node = helper.make_node("MelWeightMatrix", ["mels", "dft", "rate", "lo", "hi"], ["y"])
    model = make_model([node], [], [_vi("y", F, [33, 10])], 17, inits, graph="signal")
    yield ("signal_melweightmatrix", model, {})

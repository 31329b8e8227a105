"""ONNX Runtime conformance cases for Trilu, EyeLike (matrix masks), CumSum, OneHot and TopK: random
inputs, both triangles, positive, negative and out-of-range k, batched matrices, k and
axis as constants and as graph inputs, every CumSum mode and dtype."""

import functools

import numpy as np
from onnx import TensorProto, helper

from case_util import const as _const, make_model, nonzero as _nonzero, vi as _vi

F, D, I64, I32 = TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64, TensorProto.INT32

_model = functools.partial(make_model, graph="mask_scan_ops", infer="data_prop")


def cases():
    rng = np.random.default_rng(1407)

    # ---- Trilu --------------------------------------------------------------------
    for upper in (0, 1):
        for k in (0, 2, -1, -7, 9):
            shape = [2, 4, 5]
            m = _model([helper.make_node("Trilu", ["x", "k"], ["y"], upper=upper)], [_vi("x", F, shape)],
                       [_vi("y", F, shape)], 14, [_const("k", k)])
            yield ("mask_trilu_%s_k%s" % ("upper" if upper else "lower", str(k).replace("-", "m")), m,
                   {"x": _nonzero(rng, shape)})
    m = _model([helper.make_node("Trilu", ["x"], ["y"])], [_vi("x", I64, [3, 6, 2])], [_vi("y", I64, [3, 6, 2])], 14)
    yield ("mask_trilu_default_int64", m, {"x": rng.integers(-50, 50, [3, 6, 2]).astype(np.int64)})
    m = _model([helper.make_node("Trilu", ["x", "k"], ["y"], upper=0)], [_vi("x", F, [5, 3]), _vi("k", I64, [])],
               [_vi("y", F, [5, 3])], 14)
    yield ("mask_trilu_k_input", m, {"x": _nonzero(rng, [5, 3]), "k": np.array(-1, dtype=np.int64)})

    # ---- EyeLike ------------------------------------------------------------------
    for k, dtype in ((0, None), (2, TensorProto.INT32), (-3, TensorProto.DOUBLE), (7, None)):
        attrs = {"k": k}
        if dtype is not None:
            attrs["dtype"] = dtype
        m = _model([helper.make_node("EyeLike", ["x"], ["y"], **attrs)], [_vi("x", F, [4, 6])],
                   [_vi("y", dtype if dtype is not None else F, [4, 6])], 9)
        yield ("mask_eyelike_k%s" % str(k).replace("-", "m"), m, {"x": _nonzero(rng, [4, 6])})

    # ---- CumSum -------------------------------------------------------------------
    for exclusive in (0, 1):
        for reverse in (0, 1):
            for axis in (0, -1, 1):
                shape = [3, 4, 5]
                m = _model([helper.make_node("CumSum", ["x", "axis"], ["y"], exclusive=exclusive, reverse=reverse)],
                           [_vi("x", F, shape)], [_vi("y", F, shape)], 14, [_const("axis", axis)])
                yield ("scan_cumsum_excl%d_rev%d_axis%s" % (exclusive, reverse, str(axis).replace("-", "m")), m,
                       {"x": _nonzero(rng, shape)})
    for name, elem, dtype in (("int32", I32, np.int32), ("int64", I64, np.int64), ("double", D, np.float64)):
        m = _model([helper.make_node("CumSum", ["x", "axis"], ["y"])], [_vi("x", elem, [7, 3])],
                   [_vi("y", elem, [7, 3])], 14, [_const("axis", 0, np.int32)])
        x = rng.integers(-20, 20, [7, 3]).astype(dtype) if dtype != np.float64 else rng.standard_normal([7, 3])
        yield ("scan_cumsum_%s" % name, m, {"x": x})

    # ---- OneHot -------------------------------------------------------------------
    # (indices, depth) dtypes among those ONNX Runtime 1.30 has kernels for.
    for name, ishape, axis, depth, idx_dtype, depth_dtype in (("axis_last", [2, 3], -1, 5, np.int64, np.int64),
                                                              ("axis0_float", [4], 0, 3, np.float32, np.float32),
                                                              ("axis1_int32", [2, 2], 1, 4, np.int32, np.int32)):
        m = _model([helper.make_node("OneHot", ["i", "d", "v"], ["y"], axis=axis)],
                   [_vi("i", {np.int64: I64, np.float32: F, np.int32: I32}[idx_dtype], ishape)],
                   [_vi("y", F, None)], 11, [_const("d", depth, depth_dtype), helper.make_tensor("v", F, [2], [-1.0, 3.0])])
        idx = rng.integers(-depth - 1, depth + 1, ishape).astype(idx_dtype)  # some out of range
        yield ("encoding_one_hot_%s" % name, m, {"i": idx})

    # ---- TopK ---------------------------------------------------------------------
    for name, shape, axis, k, largest, opset in (("last_largest", [3, 7], -1, 3, 1, 11),
                                                 ("axis0_smallest", [6, 2, 3], 0, 4, 0, 11),
                                                 ("all", [2, 5], 1, 5, 1, 11), ("op10", [4, 6], 1, 2, 1, 10)):
        attrs = {"axis": axis} if opset < 11 else {"axis": axis, "largest": largest}
        m = _model([helper.make_node("TopK", ["x", "k"], ["v", "i"], **attrs)], [_vi("x", F, shape)],
                   [_vi("v", F, None), _vi("i", I64, None)], opset, [_const("k", [k])])
        yield ("select_topk_%s" % name, m, {"x": _nonzero(rng, shape)})
    x = np.array([[1, 3, 3, 2, 3, 0]], dtype=np.float32)  # ties: the lower index first
    m = _model([helper.make_node("TopK", ["x", "k"], ["v", "i"])], [_vi("x", F, [1, 6])],
               [_vi("v", F, None), _vi("i", I64, None)], 11, [_const("k", [3])])
    yield ("select_topk_ties", m, {"x": x})

"""ONNX Runtime conformance cases for the tensor family: Concat, Split, Slice, Gather,
GatherElements, Transpose, Pad, Tile, DepthToSpace, SpaceToDepth, GatherND, ScatterElements, ScatterND — random shapes and inputs, edge attributes
(negative axes and steps, INT64_MAX ends, negative indices, negative pads)."""

import functools

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from case_util import const as _const, ints as _ints, make_model, nonzero as _nonzero, vi as _vi

F, I64, I32, U8, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32, TensorProto.UINT8, TensorProto.BOOL
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min


_model = functools.partial(make_model, graph="tensor_ops", infer="data_prop")


def cases():
    rng = np.random.default_rng(3302)

    # ---- Concat -------------------------------------------------------------------
    for opset, axis in ((11, 1), (13, -1), (13, 0)):
        shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
        for s in shapes:
            s[axis] = int(rng.integers(1, 5))
        names = ["a", "b", "c"]
        m = _model([helper.make_node("Concat", names, ["y"], axis=axis)],
                   [_vi(n, F, s) for n, s in zip(names, shapes)], [_vi("y", F, None)], opset)
        yield ("tensor_concat_op%d_axis%s" % (opset, str(axis).replace("-", "m")), m,
               {n: _nonzero(rng, s) for n, s in zip(names, shapes)})
    m = _model([helper.make_node("Concat", ["a", "b"], ["y"], axis=0)],
               [_vi("a", I64, [2]), _vi("b", I64, [3])], [_vi("y", I64, [5])], 13)
    yield ("tensor_concat_int64", m, {"a": _ints(rng, [2]), "b": _ints(rng, [3])})

    # ---- Split --------------------------------------------------------------------
    m = _model([helper.make_node("Split", ["x"], ["p0", "p1", "p2"], axis=1)],
               [_vi("x", F, [2, 6, 3])], [_vi("p%d" % i, F, [2, 2, 3]) for i in range(3)], 11)
    yield ("tensor_split_equal_op11", m, {"x": _nonzero(rng, [2, 6, 3])})
    m = _model([helper.make_node("Split", ["x"], ["p0", "p1"], axis=-1, split=[1, 4])],
               [_vi("x", F, [3, 5])], [_vi("p0", F, [3, 1]), _vi("p1", F, [3, 4])], 11)
    yield ("tensor_split_attr_op11", m, {"x": _nonzero(rng, [3, 5])})
    m = _model([helper.make_node("Split", ["x", "s"], ["p0", "p1", "p2"], axis=0)],
               [_vi("x", I64, [7, 2])], [_vi("p%d" % i, I64, None) for i in range(3)], 13,
               [_const("s", [2, 4, 1])])
    yield ("tensor_split_input_op13_int64", m, {"x": _ints(rng, [7, 2])})

    # ---- Slice --------------------------------------------------------------------
    x = _nonzero(rng, [5, 6, 7])
    slice_specs = [
        ("basic", [1, 0], [4, 5], [0, 2], [1, 2]),
        ("negative_steps", [-1, 5], [INT64_MIN, 0], [1, 2], [-1, -2]),
        ("int64_max_end", [2], [INT64_MAX], [-1], [1]),
        ("neg_start_clamp", [-100, -2], [100, -100], [0, 1], [1, -1]),
        ("start_below_dim_neg_step", [-10], [-20], [2], [-1]),
        ("empty", [3], [1], [1], [1]),
        ("all_axes_default", [1, 1, 1], [-1, -1, -1], None, None),
    ]
    for name, starts, ends, axes, steps in slice_specs:
        ins = ["x", "st", "en"]
        inits = [_const("st", starts), _const("en", ends)]
        if axes is not None:
            ins.append("ax")
            inits.append(_const("ax", axes))
        if steps is not None:
            ins.append("sp")
            inits.append(_const("sp", steps))
        m = _model([helper.make_node("Slice", ins, ["y"])], [_vi("x", F, [5, 6, 7])],
                   [_vi("y", F, None)], 13, inits)
        yield ("tensor_slice_%s" % name, m, {"x": x})
    m = _model([helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
               [_vi("x", I64, [4, 6])], [_vi("y", I64, None)], 11,
               [_const("st", [5], np.int32), _const("en", [0], np.int32), _const("ax", [1], np.int32),
                _const("sp", [-2], np.int32)])
    yield ("tensor_slice_int32_params_op11", m, {"x": _ints(rng, [4, 6])})

    # ---- Gather / GatherElements -------------------------------------------------------
    data = _nonzero(rng, [4, 5, 6])
    for axis in (0, 1, -1):
        dim = data.shape[axis]
        idx = rng.integers(-dim, dim, [2, 3]).astype(np.int64)
        m = _model([helper.make_node("Gather", ["x", "i"], ["y"], axis=axis)],
                   [_vi("x", F, [4, 5, 6])], [_vi("y", F, None)], 13, [numpy_helper.from_array(idx, "i")])
        yield ("tensor_gather_axis%s" % str(axis).replace("-", "m"), m, {"x": data})
    m = _model([helper.make_node("Gather", ["x", "i"], ["y"], axis=1)],
               [_vi("x", F, [3, 8]), _vi("i", I32, [5])], [_vi("y", F, [3, 5])], 11)
    yield ("tensor_gather_int32_runtime_indices", m,
           {"x": _nonzero(rng, [3, 8]), "i": rng.integers(-8, 8, [5]).astype(np.int32)})
    m = _model([helper.make_node("Shape", ["x"], ["s"]),
                helper.make_node("Gather", ["s", "i"], ["y"], axis=0)],
               [_vi("x", F, [2, 3, 4])], [_vi("y", I64, [])], 13, [_const("i", -1)])
    yield ("tensor_gather_scalar_from_shape", m, {"x": _nonzero(rng, [2, 3, 4])})
    idx = rng.integers(-5, 5, [3, 7, 6]).astype(np.int64)
    m = _model([helper.make_node("GatherElements", ["x", "i"], ["y"], axis=1)],
               [_vi("x", F, [4, 5, 6]), _vi("i", I64, [3, 7, 6])], [_vi("y", F, [3, 7, 6])], 13)
    yield ("tensor_gatherelements_axis1", m, {"x": data, "i": idx})

    # ---- Transpose ----------------------------------------------------------------------
    transposes = [
        ("default", [2, 3, 4], None, F),
        ("nchw_to_nhwc", [2, 8, 9, 10], [0, 2, 3, 1], F),
        ("nhwc_to_nchw", [2, 9, 10, 8], [0, 3, 1, 2], F),
        ("channel_shuffle", [2, 3, 4, 5, 6], [0, 2, 1, 3, 4], F),
        ("2d", [37, 45], [1, 0], F),
        ("5d_random", [2, 3, 4, 3, 2], [3, 0, 4, 2, 1], F),
        ("uint8_nhwc", [1, 3, 16, 17], [0, 2, 3, 1], U8),
        ("int64", [3, 4], [1, 0], I64),
    ]
    for name, shape, perm, elem in transposes:
        kw = {} if perm is None else {"perm": perm}
        m = _model([helper.make_node("Transpose", ["x"], ["y"], **kw)], [_vi("x", elem, shape)],
                   [_vi("y", elem, None)], 13)
        if elem == F:
            xv = _nonzero(rng, shape)
        elif elem == U8:
            xv = rng.integers(0, 256, shape).astype(np.uint8)
        else:
            xv = _ints(rng, shape)
        yield ("tensor_transpose_%s" % name, m, {"x": xv})

    # ---- Pad ------------------------------------------------------------------------------
    pads_specs = [
        ("constant_value", "constant", [0, 1, 2, 1, 0, 2, 1, 0], 1.5, 11),
        ("constant_negative", "constant", [0, 0, -1, 2, 0, 0, 1, -2], None, 13),
        ("reflect", "reflect", [0, 0, 2, 3, 0, 0, 3, 1], None, 13),
        ("edge", "edge", [0, 1, 3, 0, 1, 0, 2, 4], None, 11),
    ]
    for name, mode, pads, value, opset in pads_specs:
        ins = ["x", "p"]
        inits = [_const("p", pads)]
        if value is not None:
            ins.append("v")
            inits.append(numpy_helper.from_array(np.array(value, np.float32), "v"))
        m = _model([helper.make_node("Pad", ins, ["y"], mode=mode)], [_vi("x", F, [2, 3, 5, 6])],
                   [_vi("y", F, None)], opset, inits)
        yield ("tensor_pad_%s" % name, m, {"x": _nonzero(rng, [2, 3, 5, 6])})
    m = _model([helper.make_node("Pad", ["x", "p"], ["y"], mode="constant")], [_vi("x", I64, [3, 4])],
               [_vi("y", I64, None)], 13, [_const("p", [1, 0, 0, 2])])
    yield ("tensor_pad_int64", m, {"x": _ints(rng, [3, 4])})

    # ---- Tile -----------------------------------------------------------------------------
    for name, shape, reps, elem in (("float", [2, 3, 4], [2, 1, 3], F), ("int64", [3], [4], I64),
                                    ("bool", [2, 2], [3, 2], B)):
        m = _model([helper.make_node("Tile", ["x", "r"], ["y"])], [_vi("x", elem, shape)],
                   [_vi("y", elem, None)], 13, [_const("r", reps)])
        if elem == F:
            xv = _nonzero(rng, shape)
        elif elem == B:
            xv = rng.integers(0, 2, shape).astype(np.bool_)
        else:
            xv = _ints(rng, shape)
        yield ("tensor_tile_%s" % name, m, {"x": xv})

    # ---- DepthToSpace, SpaceToDepth ------------------------------------------------------
    for mode, b, shape in (("DCR", 2, [2, 8, 3, 2]), ("CRD", 2, [1, 12, 2, 3]), ("DCR", 3, [1, 9, 2, 2])):
        m = _model([helper.make_node("DepthToSpace", ["x"], ["y"], blocksize=b, mode=mode)], [_vi("x", F, shape)],
                   [_vi("y", F, None)], 13)
        yield ("tensor_depth_to_space_%s_b%d" % (mode.lower(), b), m, {"x": _nonzero(rng, shape)})
    for b, shape, elem in ((2, [2, 3, 4, 6], F), (3, [1, 2, 6, 3], F)):  # ORT 1.30 has no int64 kernel
        m = _model([helper.make_node("SpaceToDepth", ["x"], ["y"], blocksize=b)], [_vi("x", elem, shape)],
                   [_vi("y", elem, None)], 13)
        yield ("tensor_space_to_depth_b%d" % b, m, {"x": _nonzero(rng, shape) if elem == F else _ints(rng, shape)})

    # ---- GatherND ------------------------------------------------------------------------
    for name, dshape, ishape, bd, opset in (("k1", [4, 3, 2], [5, 1], 0, 13), ("k2_slices", [4, 3, 2], [2, 3, 2], 0, 13),
                                            ("k3_scalars", [4, 3, 2], [6, 3], 0, 11),
                                            ("batch1", [3, 4, 5], [3, 2, 1], 1, 12)):
        m = _model([helper.make_node("GatherND", ["x", "i"], ["y"], **({"batch_dims": bd} if bd else {}))],
                   [_vi("x", F, dshape)], [_vi("y", F, None)], opset,
                   [_const("i", np.stack([rng.integers(-d, d, ishape[:-1])
                                          for d in dshape[bd:bd + ishape[-1]]], axis=-1))])
        yield ("tensor_gather_nd_%s" % name, m, {"x": _nonzero(rng, dshape)})

    # ---- ScatterElements, ScatterND ------------------------------------------------------------
    for red, opset in (("none", 13), ("add", 16), ("mul", 16), ("max", 18), ("min", 18)):
        attrs = {"axis": 1} if red == "none" else {"axis": 1, "reduction": red}
        idx = rng.integers(-4, 4, [2, 3])  # duplicates and negative indices
        if red == "none":  # no duplicates along the axis: the result would depend on the order
            idx = np.stack([rng.permutation(4)[:3] for _ in range(2)])
        m = _model([helper.make_node("ScatterElements", ["x", "i", "u"], ["y"], **attrs)],
                   [_vi("x", F, [2, 4]), _vi("u", F, [2, 3])], [_vi("y", F, [2, 4])], opset, [_const("i", idx)])
        yield ("tensor_scatter_elements_%s" % red, m, {"x": _nonzero(rng, [2, 4]), "u": _nonzero(rng, [2, 3])})
    for red, opset in (("none", 13), ("add", 16), ("mul", 16)):
        attrs = {} if red == "none" else {"reduction": red}
        idx = np.array([[0, 1], [2, 0]] if red == "none" else [[0, 1], [0, 1], [-3, 2]], dtype=np.int64)
        m = _model([helper.make_node("ScatterND", ["x", "i", "u"], ["y"], **attrs)],
                   [_vi("x", F, [3, 3, 4]), _vi("u", F, [len(idx), 4])], [_vi("y", F, [3, 3, 4])], opset,
                   [_const("i", idx)])
        yield ("tensor_scatter_nd_%s" % red, m, {"x": _nonzero(rng, [3, 3, 4]), "u": _nonzero(rng, [len(idx), 4])})

"""Conformance cases for operators whose output shape depends on values: NonZero (float,
int64, bool), Compress (condition as a weight with a run-time input, and as a graph
input; with and without axis) and Unique (sorted and not, flattened and along an axis,
all four outputs)."""

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from case_util import make_model, vi as _vi

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def _model(nodes, inputs, outputs, opset, inits=()):
    return make_model(nodes, inputs, outputs, opset, inits, graph="data_dependent")


def cases():
    rng = np.random.default_rng(99)
    x = rng.standard_normal([3, 4]).astype(np.float32)
    x[rng.random([3, 4]) < 0.4] = 0
    for name, t, np_t, value in (("f32", F, np.float32, x), ("i64", I64, np.int64, (x * 3).astype(np.int64)),
                                 ("bool", B, np.bool_, x != 0)):
        m = _model([helper.make_node("NonZero", ["x"], ["y"])], [_vi("x", t, [3, 4])], [_vi("y", I64, [2, "n"])], 13)
        yield ("datadep_nonzero_%s" % name, m, {"x": value.astype(np_t)})

    data = rng.standard_normal([4, 5, 3]).astype(np.float32)
    for name, axis, cond in (("axis1_weight", 1, [True, False, True, True, False]),
                             ("axis0_short", 0, [False, True]),
                             ("flat", None, [True, False] * 20)):
        attrs = {} if axis is None else {"axis": axis}
        node = helper.make_node("Compress", ["x", "c"], ["y"], **attrs)
        inits = [numpy_helper.from_array(np.array(cond), "c")]
        shape = ["n"] if axis is None else [4 if axis != 0 else "n", 5 if axis != 1 else "n", 3]
        m = _model([node], [_vi("x", F, [4, 5, 3])], [_vi("y", F, shape)], 11, inits)
        yield ("datadep_compress_%s" % name, m, {"x": data})
    node = helper.make_node("Compress", ["x", "c"], ["y"], axis=-1)
    m = _model([node], [_vi("x", F, [4, 5, 3]), _vi("c", B, [3])], [_vi("y", F, [4, 5, "n"])], 11)
    yield ("datadep_compress_condition_input", m, {"x": data, "c": np.array([True, False, True])})

    u = rng.integers(0, 4, [6]).astype(np.float32)
    rows = np.array([[1, 2, 3], [0, 1, 1], [1, 2, 3], [0, 1, 0], [0, 1, 1]], np.int64)
    for name, value, t, attrs in (("sorted_flat", u, F, {}), ("unsorted_flat", u, F, {"sorted": 0}),
                                  ("sorted_axis0", rows, I64, {"axis": 0}),
                                  ("unsorted_axis0", rows, I64, {"axis": 0, "sorted": 0}),
                                  ("sorted_axis_neg1", rows.T.copy(), I64, {"axis": -1})):
        node = helper.make_node("Unique", ["x"], ["y", "idx", "inv", "cnt"], **attrs)
        y_shape = ["n"] if "axis" not in attrs else (["n", 3] if attrs["axis"] == 0 else [3, "n"])
        m = _model([node], [_vi("x", t, list(value.shape))],
                   [_vi("y", t, y_shape), _vi("idx", I64, ["n"]), _vi("inv", I64, ["m"]), _vi("cnt", I64, ["n"])], 11)
        yield ("datadep_unique_%s" % name, m, {"x": value})

    # NonMaxSuppression: random overlapping boxes, two batches and three classes.
    def boxes(n, center):
        xy = rng.uniform(0, 10, [2, n, 2])
        wh = rng.uniform(1, 4, [2, n, 2])
        if center:
            return np.concatenate([xy, wh], axis=2).astype(np.float32)
        return np.concatenate([xy, xy + wh], axis=2)[:, :, [1, 0, 3, 2]].astype(np.float32)  # y1 x1 y2 x2
    for name, center, max_out, iou, score in (("corners", 0, 4, 0.3, 0.2), ("center", 1, 10, 0.5, None),
                                              ("no_limit_zero", 0, 0, 0.5, 0.0)):
        names = ["b", "s", "m", "iou"] + (["st"] if score is not None else [])
        inits = [numpy_helper.from_array(np.array(max_out, np.int64), "m"),
                 numpy_helper.from_array(np.array(iou, np.float32), "iou")]
        if score is not None:
            inits.append(numpy_helper.from_array(np.array(score, np.float32), "st"))
        node = helper.make_node("NonMaxSuppression", names, ["sel"], center_point_box=center)
        m = _model([node], [_vi("b", F, [2, 12, 4]), _vi("s", F, [2, 3, 12])], [_vi("sel", I64, ["n", 3])], 11, inits)
        yield ("datadep_nms_%s" % name, m,
               {"b": boxes(12, center), "s": rng.uniform(0, 1, [2, 3, 12]).astype(np.float32)})

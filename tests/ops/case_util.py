"""Helpers shared by the tests/ops/cases_*.py conformance case modules: building a
model around a few nodes, value infos, and reproducible inputs.

Not named cases_*.py, so gen_op_cases.py does not load it as a case module; it puts
the cases folder on sys.path, so the case modules `import case_util`."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F = TensorProto.FLOAT


def make_model(nodes, inputs, outputs, opset, initializers=(), *, graph, ir_version=None, infer=None):
    """One graph named `graph` at `opset` (default domain), producer top-tests.

    ir_version: None gives 7 up to opset 13 and 8 after, else the number given.
    infer: None keeps the declared outputs; "outputs" replaces them with the ones ONNX
    shape inference derives; "data_prop" runs shape inference with data propagation, so
    outputs declared without a shape get the inferred one (value_info is dropped)."""
    g = helper.make_graph(nodes, graph, inputs, outputs, initializer=list(initializers))
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="top-tests")
    model.ir_version = ir_version if ir_version is not None else (7 if opset <= 13 else 8)
    if infer == "outputs":
        return infer_outputs(model)
    if infer == "data_prop":
        model = onnx.shape_inference.infer_shapes(model, data_prop=True)
        del model.graph.value_info[:]
    return model


def infer_outputs(model):
    """Fills the declared outputs' dims from ONNX shape inference."""
    inferred = onnx.shape_inference.infer_shapes(model)
    model.graph.ClearField("output")
    model.graph.output.extend(inferred.graph.output)
    return model


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def out(name, elem=F):
    """An output value info without a shape (for inference to fill)."""
    return helper.make_tensor_value_info(name, elem, None)


def nonzero(rng, shape, dtype=np.float32, scale=1.0):
    """N(0, scale^2) samples with no element too close to 0 (|x| < 1e-3 becomes 0.5)."""
    x = np.asarray(rng.standard_normal(shape) * scale).astype(dtype)
    x[np.abs(x) < 1e-3] = 0.5
    return x


def ints(rng, shape, dtype=np.int64):
    return rng.integers(1, 100, shape).astype(dtype)


def const(name, values, dtype=np.int64):
    return numpy_helper.from_array(np.array(values, dtype=dtype), name)


def with_nans(rng, x, count):
    """A copy of float array `x` with `count` (>= 1) elements, at random distinct
    positions, set to NaN."""
    x = np.array(x, copy=True)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, size=max(1, count), replace=False)] = np.nan
    return x

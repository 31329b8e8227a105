"""Tests of the toprt Python module (python/toprt_module.cpp).

Run with ctest (`ctest -R python_module`), or by hand:
    PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests
The models are built here with onnx.helper; results are checked against numpy.
"""

import gc
import sys
import threading
import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import toprt

RNG = np.random.default_rng(1234)


def rand(*shape, dtype=np.float32):
    # Never zeros: values in [-1, 1) away from trivial cases.
    return (RNG.random(shape) * 2 - 1).astype(dtype)


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return str(path)


# ---- models ----------------------------------------------------------------------------

W1 = rand(16, 8)
B1 = rand(8)


def mlp_model():
    """y = Relu(x @ W1 + B1), x: [batch, 16] float32."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 8])
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["xw"], name="matmul"),
        helper.make_node("Add", ["xw", "B"], ["xwb"], name="add"),
        helper.make_node("Relu", ["xwb"], ["y"], name="relu"),
    ]
    g = helper.make_graph(nodes, "mlp", [x], [y],
                          initializer=[numpy_helper.from_array(W1, "W"), numpy_helper.from_array(B1, "B")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def mlp_ref(x):
    return np.maximum(x @ W1 + B1, 0)


CW = rand(4, 3, 3, 3)
CB = rand(4)


def conv_model():
    """y = Conv(x, CW, CB) with 3x3 kernels, pads 1: [1,3,8,8] -> [1,4,8,8]."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])
    node = helper.make_node("Conv", ["x", "W", "B"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv")
    g = helper.make_graph([node], "conv", [x], [y],
                          initializer=[numpy_helper.from_array(CW, "W"), numpy_helper.from_array(CB, "B")])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


def conv_ref(x):
    n, c, h, w = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, CW.shape[0], h, w), np.float64)
    for i in range(3):
        for j in range(3):
            patch = xp[:, :, i:i + h, j:j + w]  # n, c, h, w
            out += np.einsum("nchw,oc->nohw", patch, CW[:, :, i, j])
    return (out + CB[None, :, None, None]).astype(np.float32)


def two_io_model():
    """sum = a + b, prod = a * b; a, b: [2, 3] float32; and an int64 input c passed to 'cnt' = c + c."""
    a = helper.make_tensor_value_info("a", TensorProto.FLOAT, [2, 3])
    b = helper.make_tensor_value_info("b", TensorProto.FLOAT, [2, 3])
    c = helper.make_tensor_value_info("c", TensorProto.INT64, [4])
    outs = [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [2, 3]),
            helper.make_tensor_value_info("prod", TensorProto.FLOAT, [2, 3]),
            helper.make_tensor_value_info("cnt", TensorProto.INT64, [4])]
    nodes = [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["a", "b"], ["prod"]),
             helper.make_node("Add", ["c", "c"], ["cnt"])]
    g = helper.make_graph(nodes, "two_io", [a, b, c], outs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


@pytest.fixture(scope="module")
def paths(tmp_path_factory):
    d = tmp_path_factory.mktemp("models")
    return {
        "mlp": save(mlp_model(), d / "mlp.onnx"),
        "conv": save(conv_model(), d / "conv.onnx"),
        "two": save(two_io_model(), d / "two.onnx"),
    }


@pytest.fixture(scope="module")
def mlp(paths):
    return toprt.Model.load(paths["mlp"])


@pytest.fixture(scope="module")
def mlp_session(mlp):
    return toprt.Session(mlp, threads=2)


# ---- Model --------------------------------------------------------------------------------

def test_version():
    assert isinstance(toprt.__version__, str) and toprt.__version__.count(".") == 2


def test_model_info(mlp):
    assert mlp.name == "mlp"
    assert mlp.opset == 13
    assert mlp.num_nodes == 3
    (x,) = mlp.inputs
    assert x.name == "x"
    assert x.dtype == np.float32
    assert x.dtype_name == "float32"
    assert x.shape == (None, 16)
    assert x.dim_names == ["batch", ""]
    (y,) = mlp.outputs
    assert (y.name, y.shape) == ("y", (None, 8))
    assert "batch" in repr(x) and "mlp" in repr(mlp)


def test_load_from_bytes(paths):
    m = toprt.Model.load_from_bytes(mlp_model().SerializeToString())
    assert m.num_nodes == 3
    x = rand(2, 16)
    (y,) = toprt.Session(m, threads=1).run([x])
    np.testing.assert_allclose(y, mlp_ref(x), rtol=1e-5, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        toprt.Model.load(str(tmp_path / "nope.onnx"))
    assert "nope.onnx" in str(e.value)
    assert e.value.code == "NotFound"


def test_malformed_model(tmp_path):
    p = tmp_path / "bad.onnx"
    p.write_bytes(b"\x08\x07garbage that is not a model" * 3)
    with pytest.raises(ValueError):
        toprt.Model.load(str(p))
    with pytest.raises(ValueError):
        toprt.Model.load_from_bytes(b"\xff\xfe not protobuf")


# ---- Session --------------------------------------------------------------------------------

@pytest.mark.parametrize("batch", [1, 3, 7])
def test_session_mlp(mlp_session, batch):
    x = rand(batch, 16)
    x_before = x.copy()
    (y,) = mlp_session.run([x])
    assert y.shape == (batch, 8) and y.dtype == np.float32
    np.testing.assert_allclose(y, mlp_ref(x), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(x, x_before)  # inputs are read, never written


def test_session_conv(paths):
    s = toprt.Session(toprt.Model.load(paths["conv"]), threads=1)
    x = rand(1, 3, 8, 8)
    x_before = x.copy()
    (y,) = s.run((x,))
    np.testing.assert_allclose(y, conv_ref(x), rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(x, x_before)


def test_dict_and_list_inputs(paths):
    s = toprt.Session(toprt.Model.load(paths["two"]), threads=1)
    a, b = rand(2, 3), rand(2, 3)
    c = RNG.integers(-1000, 1000, size=4, dtype=np.int64)
    out = s.run({"b": b, "c": c, "a": a})
    assert isinstance(out, dict) and set(out) == {"sum", "prod", "cnt"}
    np.testing.assert_allclose(out["sum"], a + b, rtol=1e-6)
    np.testing.assert_allclose(out["prod"], a * b, rtol=1e-6)
    assert out["cnt"].dtype == np.int64
    np.testing.assert_array_equal(out["cnt"], c + c)
    lst = s.run([a, b, c])
    assert isinstance(lst, list) and len(lst) == 3
    np.testing.assert_array_equal(lst[0], out["sum"])
    with pytest.raises(ValueError, match="'c' is missing"):
        s.run({"a": a, "b": b})
    with pytest.raises(ValueError, match="no input named 'zz'"):
        s.run({"a": a, "b": b, "c": c, "zz": a})
    with pytest.raises(ValueError, match="expects 3 inputs"):
        s.run([a, b])


def test_zero_copy(mlp_session, mlp):
    x = rand(4, 16)
    refs_before = sys.getrefcount(x)
    (y,) = mlp_session.run([x])
    # The output is a view over the runtime's buffer (a capsule base), not a copy.
    assert y.base is not None and not y.flags.owndata
    assert y.flags.c_contiguous and y.flags.writeable
    # The wrapped input's reference was dropped after the run.
    gc.collect()
    assert sys.getrefcount(x) == refs_before
    # The view stays valid after the session and everything else is gone.
    s2 = toprt.Session(mlp, threads=1)
    (z,) = s2.run([x])
    del s2
    gc.collect()
    np.testing.assert_allclose(z, mlp_ref(x), rtol=1e-5, atol=1e-6)
    # Outputs of two runs do not share memory.
    (w,) = mlp_session.run([x])
    assert not np.shares_memory(w, y)


def test_noncontiguous_and_lists(mlp_session):
    big = rand(6, 32)
    x = big[::2, ::2]  # strided: copied to be made contiguous
    assert not x.flags.c_contiguous
    (y,) = mlp_session.run([x])
    np.testing.assert_allclose(y, mlp_ref(np.ascontiguousarray(x)), rtol=1e-5, atol=1e-6)
    xf = np.asfortranarray(rand(3, 16))
    (y,) = mlp_session.run([xf])
    np.testing.assert_allclose(y, mlp_ref(xf), rtol=1e-5, atol=1e-6)
    xb = rand(2, 16).astype(">f4")  # big-endian float32: converted to native
    (y,) = mlp_session.run([xb])
    np.testing.assert_allclose(y, mlp_ref(xb.astype(np.float32)), rtol=1e-5, atol=1e-6)
    xl = rand(2, 16)
    (y,) = mlp_session.run([xl.tolist()])  # a nested list takes the model's dtype
    np.testing.assert_allclose(y, mlp_ref(xl), rtol=1e-5, atol=1e-6)


def test_dtype_and_shape_errors(mlp_session):
    with pytest.raises(ValueError) as e:
        mlp_session.run([rand(2, 16, dtype=np.float64)])
    assert "'x'" in str(e.value) and "float32" in str(e.value) and "float64" in str(e.value)
    with pytest.raises(ValueError) as e:
        mlp_session.run([rand(2, 15)])
    assert e.value.code == "InvalidArgument" and "'x'" in str(e.value)
    with pytest.raises(ValueError):
        mlp_session.run([np.array(["a", "b"])])
    with pytest.raises(TypeError):
        mlp_session.run(rand(2, 16))  # a bare array, not a list


def test_session_threads(mlp_session):
    xs = [rand(i % 5 + 1, 16) for i in range(40)]
    results = [None] * len(xs)

    def work(lo):
        for i in range(lo, len(xs), 4):
            results[i] = mlp_session.run([xs[i]])[0]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for x, y in zip(xs, results):
        np.testing.assert_allclose(y, mlp_ref(x), rtol=1e-5, atol=1e-6)


# ---- Runtime --------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", [None, "fixed:k=2,instances=2", "dynbatch:batch=4,delay=2,instances=2"])
def test_runtime_many_threads(mlp, mlp_session, policy):
    n_threads, per_thread = 4, 25
    inputs = [[rand(1 + (t + i) % 3, 16) for i in range(per_thread)] for t in range(n_threads)]
    futures = [[None] * per_thread for _ in range(n_threads)]
    refs_before = [sys.getrefcount(x) for row in inputs for x in row]
    with toprt.Runtime(streams=2, policy=policy) as rt:
        rt.load_model("mlp", mlp)
        assert rt.models() == ["mlp"]

        def client(t):
            for i, x in enumerate(inputs[t]):
                futures[t][i] = rt.submit("mlp", [x] if i % 2 else {"x": x})

        threads = [threading.Thread(target=client, args=(t,)) for t in range(n_threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for t in range(n_threads):
            for i, f in enumerate(futures[t]):
                out = f.result(timeout=30)
                y = out[0] if i % 2 else out["y"]
                np.testing.assert_allclose(y, mlp_session.run([inputs[t][i]])[0], rtol=1e-5, atol=1e-6)
                assert f.done() and f.status == "OK"
                assert f.latency_ms >= f.queue_ms >= 0
                assert f.result() is out  # the same objects again
        stats = rt.stats()
        (m,) = stats["models"]
        assert m["model"] == "mlp"
        assert m["submitted"] == n_threads * per_thread
        assert m["completed"] == n_threads * per_thread
        assert m["failed"] == 0
        assert "mlp" in rt.metrics()
    # Inputs were released by the runtime's threads: their references come back.
    toprt._drain_pending_releases()
    gc.collect()
    assert [sys.getrefcount(x) for row in inputs for x in row] == refs_before


def test_runtime_conv_and_unload(paths):
    conv = toprt.Model.load(paths["conv"])
    rt = toprt.Runtime(streams=2, policy="fixed:k=2,instances=2")
    try:
        rt.load_model("conv", conv, slo_ms=50)
        xs = [rand(1, 3, 8, 8) for _ in range(8)]
        futs = [rt.submit("conv", [x]) for x in xs]
        for x, f in zip(xs, futs):
            np.testing.assert_allclose(f.result(timeout=30)[0], conv_ref(x), rtol=1e-4, atol=1e-5)
        with pytest.raises(ValueError):
            rt.load_model("conv", conv)  # name taken
        rt.unload_model("conv")
        assert rt.models() == []
        with pytest.raises(KeyError) as e:
            rt.submit("conv", [xs[0]])
        assert isinstance(e.value, toprt.NotFoundError) and "conv" in str(e.value)
        with pytest.raises(LookupError):
            rt.unload_model("conv")
    finally:
        rt.shutdown()


def test_future_timeout_and_pending_info(mlp):
    # A dynamic batch that waits 1.5 s for 64 tasks keeps a lone task queued.
    with toprt.Runtime(streams=1, policy="dynbatch:batch=64,delay=1500,instances=1") as rt:
        rt.load_model("mlp", mlp)
        x = rand(2, 16)
        f = rt.submit("mlp", [x])
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            f.result(timeout=0.05)
        assert time.monotonic() - t0 < 1.0
        assert not f.done() and f.latency_ms is None and f.status is None
        assert not f.wait(0.01)
        (y,) = f.result(timeout=30)
        np.testing.assert_allclose(y, mlp_ref(x), rtol=1e-5, atol=1e-6)
        # The task waited in the queue for its batch.
        assert f.latency_ms >= 1000 and f.queue_ms >= 900


def test_queue_full_and_cancel(mlp):
    rt = toprt.Runtime(streams=1, queue_capacity=2, policy="dynbatch:batch=64,delay=5000,instances=1")
    rt.load_model("mlp", mlp)
    futs = [rt.submit("mlp", [rand(1, 16)]) for _ in range(2)]
    with pytest.raises(toprt.QueueFullError) as e:
        rt.submit("mlp", [rand(1, 16)])
    assert isinstance(e.value, RuntimeError) and e.value.code == "ResourceExhausted"
    rt.shutdown(drain=False)
    for f in futs:
        with pytest.raises(toprt.CancelledError):
            f.result(timeout=10)
        assert f.status == "Cancelled"
    assert rt.stats()["models"][0]["rejected"] == 1


def test_shutdown_then_submit(mlp):
    rt = toprt.Runtime(streams=1)
    rt.load_model("mlp", mlp)
    assert rt.submit("mlp", [rand(1, 16)]).result(timeout=30)[0].shape == (1, 8)
    rt.shutdown()
    rt.shutdown()  # idempotent
    with pytest.raises(RuntimeError) as e:
        rt.submit("mlp", [rand(1, 16)])
    assert isinstance(e.value, toprt.UnavailableError)


def test_deadline(mlp):
    with toprt.Runtime(streams=1, policy="dynbatch:batch=64,delay=300,instances=1") as rt:
        rt.load_model("mlp", mlp)
        f = rt.submit("mlp", [rand(1, 16)], deadline_ms=1)
        with pytest.raises(TimeoutError) as e:
            f.result(timeout=30)
        assert e.value.code == "DeadlineExceeded"


def test_runtime_errors(mlp):
    with pytest.raises(ValueError):
        toprt.Runtime(policy="nonsense:k=1")
    with pytest.raises(ValueError):
        toprt.Runtime(policy="fixed:k=100000")
    with toprt.Runtime(streams=1) as rt:
        rt.load_model("mlp", mlp)
        with pytest.raises(ValueError, match="float64"):
            rt.submit("mlp", [rand(1, 16, dtype=np.float64)])
        with pytest.raises(ValueError):
            rt.submit("mlp", [rand(1, 17)])
        with pytest.raises(KeyError):
            rt.submit("other", [rand(1, 16)])

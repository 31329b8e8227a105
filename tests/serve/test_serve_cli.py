"""`toprt serve` as a user runs it: a repository on disk, the real binary, HTTP clients
from Python's standard library; outputs compared with `toprt run` on the same input.

Run by ctest (serve_cli): TOPRT=build/toprt /usr/bin/python3 -m pytest tests/serve/test_serve_cli.py
"""
import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

TOPRT = os.environ.get("TOPRT", "build/toprt")


def conv_model(path, seed=3):
    """x[N,3,8,8] -> Conv(4,3x3,pad 1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(4->5)."""
    rng = np.random.default_rng(seed)
    w = numpy_helper.from_array(rng.normal(0, 0.5, (4, 3, 3, 3)).astype(np.float32), "w")
    b = numpy_helper.from_array(rng.normal(0, 0.5, (4,)).astype(np.float32), "b")
    g = numpy_helper.from_array(rng.normal(0, 0.5, (5, 4)).astype(np.float32), "g")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("GlobalAveragePool", ["r"], ["p"]),
        helper.make_node("Flatten", ["p"], ["f"]),
        helper.make_node("Gemm", ["f", "g"], ["y"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])], [w, b, g])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, path)


@pytest.fixture
def server(tmp_path):
    conv_model(str(tmp_path / "model.onnx"))
    (tmp_path / "repo" / "conv" / "1").mkdir(parents=True)
    os.link(tmp_path / "model.onnx", tmp_path / "repo" / "conv" / "1" / "model.onnx")
    proc = subprocess.Popen([TOPRT, "serve", "--model-repository", str(tmp_path / "repo"), "--http-address",
                             "127.0.0.1", "--http-port", "0", "--grpc-port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # the start line; logs go to stderr
    m = re.search(r"HTTP on [0-9.]+:(\d+)", line)
    if not m:
        proc.kill()
        pytest.fail(f"no start line: {line!r} {proc.communicate()[1]}")
    yield proc, f"http://127.0.0.1:{m.group(1)}", tmp_path
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=body, headers=headers or {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def toprt_run(tmp_path, x):
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "out"
    subprocess.run([TOPRT, "run", str(tmp_path / "model.onnx"), "--input", f"x={tmp_path / 'x.npy'}", "--output-dir",
                    str(out)], check=True, capture_output=True)
    return np.load(out / "y.npy")


def test_rest_json_and_binary_match_toprt_run(server):
    proc, base, tmp_path = server
    x = np.random.default_rng(7).normal(size=(2, 3, 8, 8)).astype(np.float32)
    want = toprt_run(tmp_path, x)

    body = json.dumps({"inputs": [{"name": "x", "shape": list(x.shape), "datatype": "FP32",
                                   "data": x.flatten().tolist()}]}).encode()
    status, _, data = post(f"{base}/v2/models/conv/infer", body)
    assert status == 200, data
    out = json.loads(data)["outputs"][0]
    assert out["shape"] == [2, 5] and out["datatype"] == "FP32"
    np.testing.assert_allclose(np.array(out["data"], np.float32).reshape(2, 5), want, rtol=1e-5, atol=1e-6)

    header = json.dumps({"inputs": [{"name": "x", "shape": list(x.shape), "datatype": "FP32",
                                     "parameters": {"binary_data_size": x.nbytes}}],
                         "outputs": [{"name": "y", "parameters": {"binary_data": True}}]}).encode()
    status, headers, data = post(f"{base}/v2/models/conv/versions/1/infer", header + x.tobytes(),
                                 {"Inference-Header-Content-Length": str(len(header)),
                                  "Content-Type": "application/octet-stream"})
    assert status == 200, data
    n = int(headers["Inference-Header-Content-Length"])
    got = np.frombuffer(data[n:], np.float32).reshape(2, 5)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_bad_requests_are_400_and_sigterm_drains(server):
    proc, base, _ = server
    status, _, data = post(f"{base}/v2/models/conv/infer", b'{"inputs":[{"name":"x","shape":[1,3,8,8],"datatype":"FP32","data":[1]}]}')
    assert status == 400 and b"192 elements" in data
    status, _, data = post(f"{base}/v2/models/none/infer", b"{}")
    assert status == 404
    with urllib.request.urlopen(f"{base}/metrics") as r:
        assert b'top_inference_requests_total{model="conv",version="1",protocol="rest",code="400"} 1' in r.read()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "stopped" in out

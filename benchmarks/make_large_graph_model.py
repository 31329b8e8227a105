#!/usr/bin/python3
"""Writes an ONNX model of about N cheap operators on [1,8] tensors, for timing how
planning scales with graph size (docs/BENCHMARKS.md, "Planning time vs graph size").

The graph is a long chain of 4-node blocks with side branches and long skips, so
liveness is not trivial: each block computes
    r = Relu(x); s = Sigmoid(x); m = Mul(r, s); y = Add(m, skip)
where `skip` is the output of the block `--skip` blocks earlier (kept alive that long),
and every `--fan`-th block also feeds a Tanh side branch that joins `--fan` blocks later.

    /usr/bin/python3 benchmarks/make_large_graph_model.py --nodes 100000 --out /tmp/chain100k.onnx
"""
import argparse

import onnx
from onnx import TensorProto, helper


def build(nodes: int, skip: int, fan: int) -> onnx.ModelProto:
    shape = [1, 8]
    x = "x"
    made = []
    history = [x]  # block outputs, for the skips
    pending = {}  # block index -> side-branch value that joins there
    b = 0
    while len(made) < nodes:
        r, s, m, y = (f"b{b}_{k}" for k in ("relu", "sig", "mul", "out"))
        made.append(helper.make_node("Relu", [x], [r], name=f"b{b}_relu"))
        made.append(helper.make_node("Sigmoid", [x], [s], name=f"b{b}_sig"))
        made.append(helper.make_node("Mul", [r, s], [m], name=f"b{b}_mul"))
        skip_from = history[max(0, len(history) - skip)]
        join = pending.pop(b, None)
        if join is not None:
            a = f"b{b}_join"
            made.append(helper.make_node("Add", [m, join], [a], name=f"b{b}_join"))
            m = a
        made.append(helper.make_node("Add", [m, skip_from], [y], name=f"b{b}_add"))
        if fan > 0 and b % fan == 0:
            t = f"b{b}_tanh"
            made.append(helper.make_node("Tanh", [y], [t], name=f"b{b}_tanh"))
            pending[b + fan] = t
        history.append(y)
        x = y
        b += 1
    # Branches that never joined end as extra outputs, so nothing is dead code.
    outputs = [helper.make_tensor_value_info(x, TensorProto.FLOAT, shape)]
    outputs += [helper.make_tensor_value_info(v, TensorProto.FLOAT, shape) for v in pending.values()]
    graph = helper.make_graph(made, f"large_graph_{nodes}",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)], outputs)
    model = helper.make_model(graph, producer_name="make_large_graph_model",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nodes", type=int, required=True, help="approximate operator count")
    ap.add_argument("--skip", type=int, default=8, help="blocks a residual skip spans")
    ap.add_argument("--fan", type=int, default=16, help="a side branch every this many blocks")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    model = build(args.nodes, args.skip, args.fan)
    onnx.save(model, args.out)
    print(f"{args.out}: {len(model.graph.node)} nodes")


if __name__ == "__main__":
    main()

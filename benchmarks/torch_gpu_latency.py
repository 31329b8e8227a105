#!/usr/bin/env python3
"""PyTorch peer of benchmarks/gpu_latency: single-task GPU latency of the zoo models.

    python3 benchmarks/torch_gpu_latency.py [--models a,b] [--batches 1,8]
                                            [--repeat 30] [--warmup 5] [--json F] [--md F]

The models are built by models/export_zoo.py's own constructors and randomize() with
its seed, so they are the networks our runtime runs from the exported ONNX files.
Modes, per model and batch:
  eager       model(x) then torch.cuda.synchronize()
  cuda_graph  the forward captured once with torch.cuda.graph and replayed
Each figure is the median (p10/p90) of `repeat` timed runs after `warmup` untimed ones,
steady-clock wall time including the wait, as in gpu_latency.
Settings, to match our backend: float32, TF32 off for matmul and cuDNN
(torch.backends.cuda.matmul.allow_tf32 = False, torch.backends.cudnn.allow_tf32 =
False, float32 matmul precision "highest"), cudnn.benchmark = True (our backend also
picks its convolution algorithms by measuring), torch.no_grad(), eval mode.
Exit status: 0 when every configuration ran, 1 when some failed, 2 without CUDA.
"""

import argparse
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS_DIR = os.path.join(os.path.dirname(HERE), "models")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", default="", help="comma-separated zoo names (default: every full-size model)")
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--repeat", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--json", default="", help="write the results here")
    ap.add_argument("--md", default="", help="write the markdown table here")
    return ap.parse_args()


def percentile(sorted_ms, q):
    return sorted_ms[int(round(q * (len(sorted_ms) - 1)))]


def time_it(fn, warmup, repeat):
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ms = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        ms.append((time.perf_counter() - t0) * 1e3)
    ms.sort()
    return {"median_ms": statistics.median(ms), "p10_ms": percentile(ms, 0.1), "p90_ms": percentile(ms, 0.9)}


def bench_model(zoo, spec, batch, args):
    import torch
    torch.manual_seed(zoo.SEED)
    model = zoo.randomize(spec["build"](), spec).cuda().eval()
    x = torch.randn([batch] + spec["shape"], device="cuda")
    row = {"model": spec["name"], "batch": batch}
    with torch.no_grad():
        row["eager"] = time_it(lambda: model(x), args.warmup, args.repeat)
        # Graph capture: warm up on a side stream first (cuDNN autotuning, lazy init),
        # as the torch.cuda.graphs documentation asks.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(3):
                model(x)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            model(x)
        row["cuda_graph"] = time_it(graph.replay, args.warmup, args.repeat)
    del graph, model, x
    torch.cuda.empty_cache()
    return row


def markdown(doc):
    lines = ["GPU: %s, torch %s  " % (doc["device"], doc["torch"]),
             "median ms of %d runs after %d warm-up runs; %s" % (doc["repeat"], doc["warmup"], doc["settings"]),
             "", "| model | batch | torch eager | torch CUDA graph |", "|---|---|---|---|"]
    for r in doc["results"]:
        if "error" in r:
            lines.append("| %s | %d | error: %s | |" % (r["model"], r["batch"], r["error"]))
        else:
            lines.append("| %s | %d | %.3f | %.3f |" % (r["model"], r["batch"], r["eager"]["median_ms"],
                                                        r["cuda_graph"]["median_ms"]))
    return "\n".join(lines) + "\n"


def write_outputs(doc, args):
    if args.json:
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=2)
    if args.md:
        with open(args.md, "w") as f:
            f.write(markdown(doc))


def main():
    args = parse_args()
    import torch
    if not torch.cuda.is_available():
        print("torch_gpu_latency: no CUDA device visible to torch %s, nothing measured" % torch.__version__,
              file=sys.stderr)
        return 2
    sys.path.insert(0, MODELS_DIR)
    import export_zoo as zoo  # the zoo's own model constructors and weight randomization

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True
    names = [n for n in args.models.split(",") if n] or [s["name"] for s in zoo.SPECS if not s["small"]]
    batches = [int(b) for b in args.batches.split(",") if b]
    doc = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "repeat": args.repeat,
           "warmup": args.warmup, "results": [],
           "settings": "fp32, TF32 off (matmul and cuDNN), cudnn.benchmark on, no_grad, eval"}
    failed = False
    for name in names:
        spec = zoo.SPEC_BY_NAME.get(name)
        for batch in batches:
            try:
                if spec is None:
                    raise KeyError("not a zoo model (models/export_zoo.py --list)")
                row = bench_model(zoo, spec, batch, args)
            except Exception as e:  # report and go on with the other models
                failed = True
                row = {"model": name, "batch": batch, "error": "%s: %s" % (type(e).__name__, e)}
            print("torch_gpu_latency: %s batch %d done" % (name, batch), file=sys.stderr)
            doc["results"].append(row)
            write_outputs(doc, args)  # after every row: a run stopped by a time limit keeps what it measured
    sys.stdout.write(markdown(doc))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Single-task CPU latency: toprt (CPU backend) against ONNX Runtime CPU, same threads.

    /usr/bin/python3 benchmarks/cpu_latency.py [--models a,b] [--batches 1,8] [--threads 2]
                                               [--rounds 3] [--write docs/BENCHMARKS.md]

For every model and batch size the two runtimes are run alternately, `--rounds` times
each, in separate processes (warm-up runs first, then timed runs); a runtime's figure
is the lowest of its per-round medians, so a burst of noise from a neighbour on this
shared machine costs a round, not the result. The ratio is ours / ORT (below 1 = we are
faster). With --write, the table replaces the block between the markers
<!-- cpu-latency:begin --> and <!-- cpu-latency:end --> in the given file.
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_MODELS = "inception_v3,resnet50,googlenet,squeezenet1_1,densenet121,mobilenet_v3_small,transformer,randwire,nasnet"


def ours(toprt, model, batch, threads, warmup, iters):
    out = subprocess.run([toprt, "run", model, "--batch", str(batch), "--threads", str(threads),
                          "--warmup", str(warmup), "--repeat", str(iters)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip() or out.stdout.strip())
    m = re.search(r"latency\s+median ([0-9.]+) ms", out.stdout)
    return float(m.group(1))


def ort(model, batch, threads, warmup, iters):
    out = subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_bench.js"), "--model", model,
                          "--batch", str(batch), "--threads", str(threads), "--warmup", str(warmup),
                          "--iters", str(iters), "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return float(json.loads(out.stdout)["median_ms"])


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=DEFAULT_MODELS)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "build", "models"))
    ap.add_argument("--toprt", default=os.path.join(ROOT, "build", "toprt"))
    ap.add_argument("--write", default="")
    args = ap.parse_args()

    rows = []
    for name in args.models.split(","):
        path = os.path.join(args.models_dir, name + ".onnx")
        if not os.path.exists(path):
            print(f"skip {name}: {path} missing (scripts/zoo --only {name})", file=sys.stderr)
            continue
        for batch in [int(b) for b in args.batches.split(",")]:
            iters = 10 if batch == 1 else 4
            a, b = [], []
            try:
                for _ in range(args.rounds):
                    a.append(ours(args.toprt, path, batch, args.threads, 2, iters))
                    b.append(ort(path, batch, args.threads, 2, iters))
            except RuntimeError as e:
                print(f"{name} batch {batch}: {e}", file=sys.stderr)
                rows.append((name, batch, None, None))
                continue
            rows.append((name, batch, min(a), min(b)))
            print(f"{name:20s} b{batch}: toprt {min(a):9.2f} ms   ort {min(b):9.2f} ms   ratio {min(a)/min(b):5.2f}",
                  flush=True)

    stamp = datetime.date.today().isoformat()
    lines = [f"Machine: {cpu_name()}, {os.cpu_count()} cores (shared). Date: {stamp}. "
             f"Threads: {args.threads} for both runtimes (ORT: intra-op {args.threads}, inter-op 1, "
             f"graph optimisation 'all').",
             "",
             f"Command: `/usr/bin/python3 benchmarks/cpu_latency.py --threads {args.threads} --rounds {args.rounds}"
             f" --batches {args.batches}`",
             "",
             "| model | batch | toprt CPU (ms) | ONNX Runtime (ms) | ratio toprt/ORT |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, batch, a, b in rows:
        if a is None:
            lines.append(f"| {name} | {batch} | failed | | |")
        else:
            lines.append(f"| {name} | {batch} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        text = open(args.write).read() if os.path.exists(args.write) else ""
        begin, end = "<!-- cpu-latency:begin -->", "<!-- cpu-latency:end -->"
        block = f"{begin}\n{table}\n{end}"
        if begin in text and end in text:
            text = text[:text.index(begin)] + block + text[text.index(end) + len(end):]
        else:
            text += "\n" + block + "\n"
        with open(args.write, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()

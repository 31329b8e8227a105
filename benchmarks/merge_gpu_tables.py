#!/usr/bin/env python3
"""Merge gpu_latency's and torch_gpu_latency.py's JSON into one markdown table.

    python3 benchmarks/merge_gpu_tables.py OURS.json TORCH.json [--out FILE]

One row per model and batch: our sequential, best greedy multi-stream (and its stream
count), best captured, then PyTorch eager and CUDA graph, and the ratios. Below the
table, the targets of the GPU issue, each PASS / FAIL / n/a:
  inception_v3 batch 1: best multi-stream >= 1.3x faster than our sequential
  inception_v3 batch 1: best multi-stream faster than PyTorch eager
Either file may be missing or broken (its columns are then empty).
"""

import argparse
import json
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        print("merge_gpu_tables: cannot read %s: %s" % (path, e), file=sys.stderr)
        return {"results": []}


def median(entry, key):
    return entry.get(key, {}).get("median_ms") if isinstance(entry, dict) else None


def ours_row(r):
    """(sequential ms, best greedy ms, its name, best captured ms) of one result row."""
    sc = r.get("schedules", {})
    seq = median(sc.get("sequential", {}), "plain")
    greedy = [(median(v, "plain"), k) for k, v in sc.items() if k.startswith("greedy") and median(v, "plain")]
    best, best_name = min(greedy) if greedy else (None, "")
    captured = [median(v, "graph") for v in sc.values() if median(v, "graph")]
    return seq, best, best_name, min(captured) if captured else None


def fmt(v, pattern="%.3f"):
    return pattern % v if v else "-"


def ratio(a, b):
    return "%.2fx" % (a / b) if a and b else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("ours")
    ap.add_argument("torch")
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    ours, torch = load(args.ours), load(args.torch)
    torch_rows = {(r["model"], r["batch"]): r for r in torch.get("results", [])}
    lines = ["# GPU latency: TOP runtime vs PyTorch", "",
             "GPU: %s; torch %s" % (ours.get("device", torch.get("device", "?")), torch.get("torch", "?")),
             "Median ms per single task; fp32, TF32 off on both sides. Ours: %s runs after %s warm-up; "
             "torch: %s." % (ours.get("repeat", "?"), ours.get("warmup", "?"), torch.get("settings", "not run")),
             "",
             "| model | batch | ours seq | ours best multi-stream | ours best +graph | torch eager | torch graph "
             "| multi vs seq | multi vs eager | best+graph vs torch graph |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    checks = {}
    keys = [(r["model"], r["batch"]) for r in ours.get("results", [])]
    keys += [k for k in torch_rows if k not in keys]
    ours_rows = {(r["model"], r["batch"]): r for r in ours.get("results", [])}
    for key in keys:
        r = ours_rows.get(key, {})
        seq, best, best_name, captured = ours_row(r)
        t = torch_rows.get(key, {})
        eager, tgraph = median(t, "eager"), median(t, "cuda_graph")
        note = " (%s)" % best_name if best_name else ""
        if "error" in r:
            note += " error: " + r["error"][:80]
        if "error" in t:
            note += " torch error: " + t["error"][:80]
        lines.append("| %s | %d | %s | %s%s | %s | %s | %s | %s | %s | %s |" % (
            key[0], key[1], fmt(seq), fmt(best), note, fmt(captured), fmt(eager), fmt(tgraph),
            ratio(seq, best), ratio(eager, best), ratio(tgraph, captured)))
        if key == ("inception_v3", 1):
            checks["multi-stream >= 1.3x faster than our sequential"] = (
                None if not (seq and best) else seq / best >= 1.3, ratio(seq, best))
            checks["multi-stream faster than PyTorch eager"] = (
                None if not (eager and best) else best < eager, ratio(eager, best))
    lines += ["", "Targets (inception_v3, batch 1):", ""]
    for name in ("multi-stream >= 1.3x faster than our sequential", "multi-stream faster than PyTorch eager"):
        ok, value = checks.get(name, (None, "-"))
        lines.append("- %s: %s (%s)" % (name, "n/a" if ok is None else ("PASS" if ok else "FAIL"), value))
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Self-acceleration (issue #11): one model's saturated throughput against the number of
tasks k run together (merge: k task graphs side by side, operator parallelism; batch: one
graph of batch k), next to what whole policies reach on the same burst: the learned
policy (which picks k and the graph itself) and the best single static setting.
Runs `toprt bench --sweep-k` in the simulator (the CPU profile and the H100 description)
and writes a plot and a markdown table.
  /usr/bin/python3 benchmarks/self_acceleration.py [--out docs/figures/self-acceleration]
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KS = [1, 2, 4, 8, 16]
POLICIES = ["top:guard=off", "fixed:interval=0,k=2,instances=1,graph=merge-greedy"]
DEVICES = [("cpu", ["--profile", os.path.join(ROOT, "profiles/cpu-amd-epyc-2c.json")]),
           ("h100-sxm", ["--device", "h100-sxm"])]


def sweep(toprt, model, device_args):
    cmd = [toprt, "bench", "--backend", "sim", *device_args, "--model", model, "--threads", "2",
           "--slo-factor", "5", "--sweep-k", *map(str, KS), "--policies", ";".join(POLICIES)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows, policies = {}, {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+)\s+([0-9.]+)\s+([0-9.]+)\s*$", line)
        if m:
            rows[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
        m = re.match(r"^policy\s+(\S+)\s+([0-9.]+)$", line)
        if m:
            policies[m.group(1)] = float(m.group(2))
    if len(rows) != len(KS) or len(policies) != len(POLICIES):
        sys.exit("unexpected toprt output:\n" + out)
    return rows, policies


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--models", default="googlenet_small,resnet50_small,densenet121_small")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/figures/self-acceleration"))
    args = ap.parse_args()
    toprt = os.path.join(args.build, "toprt")
    models = args.models.split(",")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(DEVICES), len(models), figsize=(4 * len(models), 3.4 * len(DEVICES)), squeeze=False)
    table = ["| device | model | " + " | ".join(f"merge k={k}" for k in KS) + " | " +
             " | ".join(f"batch {k}" for k in KS) + " | " + " | ".join(f"`{p}`" for p in POLICIES) + " |",
             "|---|---|" + "---|" * (2 * len(KS) + len(POLICIES))]
    for r, (device, dargs) in enumerate(DEVICES):
        for c, model in enumerate(models):
            rows, policies = sweep(toprt, os.path.join(args.build, "models", model + ".onnx"), dargs)
            ax = axes[r][c]
            ax.plot(KS, [rows[k][0] for k in KS], "o-", label="merge (k graphs side by side)")
            ax.plot(KS, [rows[k][1] for k in KS], "s-", label="batch (one graph of batch k)")
            for p, style in zip(POLICIES, ["--", ":"]):
                ax.axhline(policies[p], linestyle=style, color="k" if p.startswith("top") else "gray",
                           label="learned (top, unguarded)" if p.startswith("top") else "(a) fixed k=2 merge")
            ax.set_xscale("log", base=2)
            ax.set_xticks(KS)
            ax.set_xticklabels([str(k) for k in KS])
            ax.set_title(f"{model.replace('_small', '')} on {device}", fontsize=9)
            ax.set_xlabel("k (tasks per dequeue)")
            ax.set_ylabel("tasks/s (saturated)")
            ax.grid(alpha=0.3)
            table.append(f"| {device} | {model} | " + " | ".join(f"{rows[k][0]:.0f}" for k in KS) + " | " +
                         " | ".join(f"{rows[k][1]:.0f}" for k in KS) + " | " +
                         " | ".join(f"{policies[p]:.0f}" for p in POLICIES) + " |")
            print(table[-1], flush=True)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out + ".png", dpi=110)
    with open(args.out + ".md", "w") as f:
        f.write("\n".join(table) + "\n")
    print("wrote", args.out + ".png", args.out + ".md")


if __name__ == "__main__":
    main()

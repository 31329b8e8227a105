#!/usr/bin/python3
"""Write whole-model correctness cases for the small zoo models.

    /usr/bin/python3 tests/ops/gen_zoo_cases.py --out DIR [--zoo-dir models/out]
                                               [--batches 1,2] [--only NAME,...] [--all]

For every small model in models/zoo.json (every model with --all) and every batch
size it writes

    DIR/zoo_<model>_b<batch>/model_path.txt   absolute path of the exported .onnx
    DIR/zoo_<model>_b<batch>/inputs/input.npy random float32 N(0,1) data, fixed seed

and removes a stale expected/ (scripts/ort_reference.js writes it). Models missing
from --zoo-dir are exported first with models/export_zoo.py (idempotent).
DIR/zoo_cases.txt lists the case directories, one per line.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import zlib

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--zoo-dir", default=os.path.join(REPO, "models", "out"),
                    help="directory with the exported models (default models/out)")
    ap.add_argument("--manifest", default=os.path.join(REPO, "models", "zoo.json"))
    ap.add_argument("--batches", default="1,2", help="comma-separated batch sizes")
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--all", action="store_true", help="full-size models too")
    ap.add_argument("--no-export", action="store_true",
                    help="fail instead of exporting missing models")
    args = ap.parse_args()

    with open(args.manifest) as f:
        models = json.load(f)["models"]
    if args.only:
        names = [n for n in args.only.split(",") if n]
        known = {m["name"] for m in models}
        unknown = [n for n in names if n not in known]
        if unknown:
            ap.error("unknown model(s): " + ", ".join(unknown))
        models = [m for m in models if m["name"] in names]
    elif not args.all:
        models = [m for m in models if m["small"]]
    batches = [int(b) for b in args.batches.split(",") if b]

    missing = [m["name"] for m in models
               if not os.path.exists(os.path.join(args.zoo_dir, m["file"]))]
    if missing:
        if args.no_export:
            print("missing models in %s: %s" % (args.zoo_dir, ", ".join(missing)), file=sys.stderr)
            return 1
        cmd = [sys.executable, os.path.join(REPO, "models", "export_zoo.py"),
               "--out", args.zoo_dir, "--only", ",".join(missing), "--quiet"]
        print("exporting: " + ", ".join(missing))
        if subprocess.call(cmd) != 0:
            print("export_zoo.py failed", file=sys.stderr)
            return 1

    os.makedirs(args.out, exist_ok=True)
    written = []
    for m in models:
        model_file = os.path.abspath(os.path.join(args.zoo_dir, m["file"]))
        for batch in batches:
            shape = [batch if d == "batch" else int(d) for d in m["input_shape"]]
            # Seed from the name (stable across Python runs, unlike hash()) and batch.
            seed = zlib.crc32(m["name"].encode()) * 16 + batch
            x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
            case_dir = os.path.join(args.out, "zoo_%s_b%d" % (m["name"], batch))
            for sub in ("inputs", "expected"):
                shutil.rmtree(os.path.join(case_dir, sub), ignore_errors=True)
            if os.path.exists(os.path.join(case_dir, "model.onnx")):
                os.remove(os.path.join(case_dir, "model.onnx"))
            os.makedirs(os.path.join(case_dir, "inputs"))
            with open(os.path.join(case_dir, "model_path.txt"), "w") as f:
                f.write(model_file + "\n")
            # Input names are sanitized the same way as in gen_op_cases.py.
            np.save(os.path.join(case_dir, "inputs", m["input"] + ".npy"), x)
            written.append(os.path.abspath(case_dir))

    with open(os.path.join(args.out, "zoo_cases.txt"), "w") as f:
        for d in written:
            f.write(d + "\n")
    print("gen_zoo_cases: %d cases written to %s" % (len(written), args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())

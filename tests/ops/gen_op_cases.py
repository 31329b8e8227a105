#!/usr/bin/python3
"""Write the ONNX Runtime conformance cases to disk.

    /usr/bin/python3 tests/ops/gen_op_cases.py --out DIR [--only SUBSTR,...] [--cases-dir D]

Imports every cases_*.py next to this script (or in --cases-dir). Each defines
cases() yielding (case_name, onnx.ModelProto, {input_name: np.ndarray}). Every model
is checked with onnx.checker and strict shape inference, its inputs must cover the
graph inputs exactly. For each valid case it writes

    DIR/<case_name>/model.onnx
    DIR/<case_name>/inputs/<name>.npy    (name: characters outside [A-Za-z0-9_.-] -> '_')

and removes a stale DIR/<case_name>/expected/ (scripts/ort_reference.js writes it).
DIR/op_cases.txt lists the case directories written, one per line, for
`node scripts/ort_reference.js --from DIR/op_cases.txt`.

Invalid cases and modules that fail to import are reported on stderr and skipped;
the exit status is then 1 (after all other cases are written).
"""

import argparse
import glob
import importlib.util
import os
import re
import shutil
import sys
import traceback

import numpy as np
import onnx

SUPPORTED_DTYPES = {np.dtype(t) for t in (np.float32, np.float64, np.float16, np.int64, np.int32,
                                           np.int16, np.int8, np.uint8, np.uint16, np.uint32,
                                           np.uint64, np.bool_)}


def safe_name(name):
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def load_module(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def validate(model, inputs):
    """Returns a list of problems (empty when the case is fine)."""
    if not isinstance(model, onnx.ModelProto):
        return ["model is a %s, not onnx.ModelProto" % type(model).__name__]
    onnx.checker.check_model(model)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    problems = []
    init_names = {t.name for t in model.graph.initializer}
    graph_inputs = [vi.name for vi in model.graph.input if vi.name not in init_names]
    if not isinstance(inputs, dict):
        return ["inputs is a %s, not a dict" % type(inputs).__name__]
    for name in graph_inputs:
        if name not in inputs:
            problems.append("no array for graph input '%s'" % name)
    for name, arr in inputs.items():
        if name not in graph_inputs:
            problems.append("array '%s' is not a graph input (inputs: %s)" % (name, graph_inputs))
        elif not isinstance(arr, np.ndarray):
            problems.append("input '%s' is a %s, not np.ndarray" % (name, type(arr).__name__))
        elif arr.dtype not in SUPPORTED_DTYPES:
            problems.append("input '%s' has unsupported dtype %s" % (name, arr.dtype))
    safe = {}
    for name in graph_inputs:
        s = safe_name(name)
        if s in safe:
            problems.append("inputs '%s' and '%s' both map to %s.npy" % (safe[s], name, s))
        safe[s] = name
    return problems


def write_case(case_dir, model, inputs):
    os.makedirs(case_dir, exist_ok=True)
    for sub in ("inputs", "expected"):
        shutil.rmtree(os.path.join(case_dir, sub), ignore_errors=True)
    for stale in ("model_path.txt",):
        if os.path.exists(os.path.join(case_dir, stale)):
            os.remove(os.path.join(case_dir, stale))
    os.makedirs(os.path.join(case_dir, "inputs"))
    onnx.save(model, os.path.join(case_dir, "model.onnx"))
    for name, arr in inputs.items():
        np.save(os.path.join(case_dir, "inputs", safe_name(name) + ".npy"),
                np.ascontiguousarray(arr).reshape(np.shape(arr)))  # ascontiguousarray makes 0-d arrays 1-d


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--cases-dir", default=here, help="directory with cases_*.py")
    ap.add_argument("--only", default="",
                    help="comma-separated substrings; keep cases whose name contains one")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()

    filters = [f for f in args.only.split(",") if f]
    sys.path.insert(0, args.cases_dir)
    os.makedirs(args.out, exist_ok=True)
    errors = 0
    written = []
    seen = {}
    for path in sorted(glob.glob(os.path.join(args.cases_dir, "cases_*.py"))):
        mod_name = os.path.basename(path)
        count = 0
        try:
            module = load_module(path)
            for item in module.cases():
                case_name, model, inputs = item
                if filters and not any(f in case_name for f in filters):
                    continue
                if not isinstance(case_name, str) or safe_name(case_name) != case_name:
                    print("INVALID %r (%s): case names must match [A-Za-z0-9_.-]+"
                          % (case_name, mod_name), file=sys.stderr)
                    errors += 1
                    continue
                if case_name in seen:
                    print("INVALID %s (%s): duplicate case name, already defined in %s"
                          % (case_name, mod_name, seen[case_name]), file=sys.stderr)
                    errors += 1
                    continue
                seen[case_name] = mod_name
                try:
                    problems = validate(model, inputs)
                except Exception as e:  # checker / shape inference errors
                    msg = " ".join(str(e).split())
                    problems = ["%s: %s" % (type(e).__name__, msg[:600])]
                if problems:
                    print("INVALID %s (%s): %s" % (case_name, mod_name, "; ".join(problems)),
                          file=sys.stderr)
                    errors += 1
                    continue
                case_dir = os.path.join(args.out, case_name)
                write_case(case_dir, model, inputs)
                written.append(case_dir)
                count += 1
        except Exception:
            print("ERROR in %s:\n%s" % (mod_name, traceback.format_exc()), file=sys.stderr)
            errors += 1
        if not args.quiet:
            print("%-28s %4d cases" % (mod_name, count))

    with open(os.path.join(args.out, "op_cases.txt"), "w") as f:
        for d in written:
            f.write(os.path.abspath(d) + "\n")
    print("gen_op_cases: %d cases written to %s, %d problems" % (len(written), args.out, errors))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

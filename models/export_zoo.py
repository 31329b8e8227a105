#!/usr/bin/python3
"""Export the TOP model zoo to ONNX.

    /usr/bin/python3 models/export_zoo.py [--out DIR] [--only NAME,...] [--small-only]
                                          [--opset N] [--force] [--list]
    /usr/bin/python3 models/export_zoo.py --write-manifest models/zoo.json

Uses Debian's python3-torch / torchvision (no downloads): every model gets random
weights from a fixed seed. BatchNorm layers get random affine parameters and running
statistics measured on one random batch (so BN folding and standalone BN are really
exercised and activations stay well scaled), then the model is put in eval mode and
exported with torch.onnx.export (do_constant_folding=True, input 'input', output
'output', symbolic batch dimension 'batch').

Idempotent: a model is skipped when DIR/<name>.onnx exists and its stamp file
DIR/<name>.onnx.stamp matches the current export settings. Files are written to a
temporary name first and renamed, so an interrupted run leaves no broken model.
Each exported model is checked with onnx.checker and strict shape inference, and
its op types are printed. DIR/zoo.json lists the models present in DIR.

models/zoo.json (committed) is the manifest the C++ side and scripts read: name,
file (relative to the output directory), input name, input shape ('batch' is the
symbolic dimension), output name, small, opset, description.
"""

import argparse
import collections
import hashlib
import json
import inspect
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

GENERATOR_VERSION = 2  # bump to force re-export of every model
DEFAULT_OPSET = 13
DEFAULT_OUT = os.path.join(HERE, "out")
SEED = 1234


# --------------------------------------------------------------------------- models

def _tv(name, **kwargs):
    def build():
        from torchvision import models
        return getattr(models, name)(weights=None, **kwargs)
    return build


def _transformer(d_model, heads, layers, ff):
    def build():
        import torch.nn as nn
        layer = nn.TransformerEncoderLayer(d_model, heads, ff, dropout=0.0,
                                           activation="relu", batch_first=True)
        return nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    return build


def _randwire(small):
    def build():
        import randwire
        return randwire.randwire(small=small)
    return build


def _nasnet(small):
    def build():
        import nasnet
        return nasnet.nasnet(small=small)
    return build


def _spec(name, build, shape, small, description, opset=None):
    # opset=None: the --opset of the run (default 13)
    return {"name": name, "build": build, "shape": shape, "small": small,
            "description": description, "opset": opset}


def spec_opset(spec, default):
    return spec["opset"] or default


SPECS = [
    _spec("inception_v3", _tv("inception_v3", aux_logits=False, init_weights=False),
          [3, 299, 299], False, "torchvision Inception v3, 299x299, no aux head"),
    _spec("googlenet", _tv("googlenet", aux_logits=False, init_weights=False),
          [3, 224, 224], False, "torchvision GoogLeNet (Inception v1), 224x224, no aux heads"),
    _spec("squeezenet1_1", _tv("squeezenet1_1"), [3, 224, 224], False,
          "torchvision SqueezeNet 1.1, 224x224"),
    _spec("resnet50", _tv("resnet50"), [3, 224, 224], False, "torchvision ResNet-50, 224x224"),
    _spec("densenet121", _tv("densenet121"), [3, 224, 224], False,
          "torchvision DenseNet-121, 224x224 (standalone BN before convs)"),
    _spec("mobilenet_v3_small", _tv("mobilenet_v3_small"), [3, 224, 224], False,
          "torchvision MobileNetV3-Small, 224x224 (hardswish, squeeze-excite)"),
    _spec("transformer", _transformer(128, 4, 2, 512), [32, 128], False,
          "nn.TransformerEncoder: d_model 128, 4 heads, 2 layers, ffn 512, seq 32"),
    _spec("randwire", _randwire(False), [3, 224, 224], False,
          "RandWire WS(32,4,0.75), 3 random stages, C=78, 224x224"),
    _spec("nasnet", _nasnet(False), [3, 224, 224], False,
          "NASNet-A-style cells (2 stem reductions, 3x2 normal + 2 reduction), C=44, 224x224"),
    # Small variants: same architectures at reduced resolution / width, for tests.
    _spec("inception_v3_small", _tv("inception_v3", aux_logits=False, init_weights=False),
          [3, 75, 75], True, "Inception v3 at its minimum input size 75x75"),
    _spec("googlenet_small", _tv("googlenet", aux_logits=False, init_weights=False),
          [3, 64, 64], True, "GoogLeNet at 64x64"),
    _spec("squeezenet1_1_small", _tv("squeezenet1_1"), [3, 64, 64], True,
          "SqueezeNet 1.1 at 64x64"),
    _spec("resnet50_small", _tv("resnet50"), [3, 64, 64], True, "ResNet-50 at 64x64"),
    _spec("densenet121_small", _tv("densenet121"), [3, 64, 64], True,
          "DenseNet-121 at 64x64"),
    _spec("mobilenet_v3_small_small", _tv("mobilenet_v3_small"), [3, 64, 64], True,
          "MobileNetV3-Small at 64x64"),
    _spec("transformer_small", _transformer(64, 2, 2, 128), [16, 64], True,
          "nn.TransformerEncoder: d_model 64, 2 heads, 2 layers, ffn 128, seq 16"),
    _spec("transformer_small_op17", _transformer(64, 2, 2, 128), [16, 64], True,
          "transformer_small exported at opset 17 (LayerNormalization)", opset=17),
    _spec("randwire_small", _randwire(True), [3, 64, 64], True,
          "RandWire WS(16,4,0.75), C=16, 100 classes, 64x64"),
    _spec("nasnet_small", _nasnet(True), [3, 32, 32], True,
          "NASNet-A-style cells, C=8, 1 normal cell per stage, 10 classes, 32x32"),
]
SPEC_BY_NAME = {s["name"]: s for s in SPECS}


def manifest_entry(spec, opset):
    return collections.OrderedDict([
        ("name", spec["name"]),
        ("file", spec["name"] + ".onnx"),
        ("input", "input"),
        ("input_shape", ["batch"] + spec["shape"]),
        ("input_dtype", "float32"),
        ("output", "output"),
        ("small", spec["small"]),
        ("opset", spec_opset(spec, opset)),
        ("description", spec["description"]),
    ])


def manifest(specs, opset):
    return {"generator": "models/export_zoo.py", "version": GENERATOR_VERSION,
            "models": [manifest_entry(s, opset) for s in specs]}


# --------------------------------------------------------------------------- export

def randomize(model, spec):
    """Random biases, BN affine params and running stats from one random batch;
    random transformer params so every layer differs (no shared initializers)."""
    import torch
    import torch.nn as nn
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    with torch.no_grad():
        if isinstance(model, nn.TransformerEncoder):
            for pname, p in model.named_parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)
                elif "norm" in pname and pname.endswith("weight"):
                    p.uniform_(0.5, 1.5)
                else:
                    p.normal_(0.0, 0.1)
        for m in model.modules():
            # Zero-initialized biases would be deduplicated by the exporter into one
            # initializer plus Identity nodes; random ones keep the graph plain.
            if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
                m.bias.uniform_(-0.1, 0.1)
        for bn in bns:
            bn.weight.uniform_(0.5, 1.5)
            bn.bias.normal_(0.0, 0.1)
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average: one batch gives its exact stats
        for m in model.modules():
            # Small gammas on the last BN of each ResNet bottleneck, as in trained
            # ResNets (cf. zero_init_residual): without them the random 50-layer net
            # is so sensitive that its fp32 output differs from fp64 by ~5e-5
            # (relative to max|out|); with them by ~2e-6.
            if type(m).__name__ == "Bottleneck" and isinstance(getattr(m, "bn3", None),
                                                               nn.BatchNorm2d):
                m.bn3.weight.uniform_(0.1, 0.3)
        if bns:
            model.train()
            model(torch.randn([4] + spec["shape"]))
    model.eval()
    return model


def stamp_key(spec, opset):
    key = json.dumps({"v": GENERATOR_VERSION, "seed": SEED, "opset": opset,
                      "shape": spec["shape"], "name": spec["name"],
                      "torch": __import__("torch").__version__}, sort_keys=True)
    return hashlib.sha1(key.encode()).hexdigest()


def op_inventory(model_proto):
    opset = {o.domain or "ai.onnx": o.version for o in model_proto.opset_import}
    ops = collections.Counter()
    for node in model_proto.graph.node:
        ops[(node.domain or "ai.onnx", node.op_type)] += 1
    return opset, ops


def check(path):
    import onnx
    onnx.checker.check_model(path)
    model = onnx.load(path)
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return model


def export_one(spec, out_dir, opset, force):
    import torch
    path = os.path.join(out_dir, spec["name"] + ".onnx")
    stamp_path = path + ".stamp"
    opset = spec_opset(spec, opset)
    key = stamp_key(spec, opset)
    if not force and os.path.exists(path) and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read().strip() == key:
                return path, False
    torch.manual_seed(SEED)
    model = randomize(spec["build"](), spec)
    x = torch.randn([2] + spec["shape"])
    tmp = path + ".tmp"
    # Not under no_grad: nn.TransformerEncoder would take its fused fast path
    # (aten::_transformer_encoder_layer_fwd), which has no ONNX export.
    # torch >= 2.9 exports with the dynamo exporter by default, which needs opset >= 18
    # and ignores dynamic_axes: ask for the TorchScript exporter the zoo is written for.
    extra = {}
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        extra["dynamo"] = False
    torch.onnx.export(
        model, x, tmp, opset_version=opset, do_constant_folding=True,
        input_names=["input"], output_names=["output"],
        dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, **extra)
    check(tmp)
    os.replace(tmp, path)
    with open(stamp_path, "w") as f:
        f.write(key + "\n")
    return path, True


def print_inventory(specs, out_dir):
    import onnx
    users = collections.defaultdict(list)
    for spec in specs:
        path = os.path.join(out_dir, spec["name"] + ".onnx")
        if not os.path.exists(path):
            print("missing: " + path, file=sys.stderr)
            continue
        opset, ops = op_inventory(onnx.load(path, load_external_data=False))
        for (dom, op), n in ops.items():
            users[(dom, opset.get(dom), op)].append(spec["name"])
    for (dom, ver, op), names in sorted(users.items()):
        print("%-10s %3s %-20s %s" % (dom, ver, op, ", ".join(names)))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="output directory (default models/out)")
    ap.add_argument("--only", default="", help="comma-separated model names")
    ap.add_argument("--small-only", action="store_true", help="only the *_small test models")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    ap.add_argument("--force", action="store_true", help="re-export even if up to date")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    ap.add_argument("--quiet", action="store_true", help="do not print op types")
    ap.add_argument("--inventory", action="store_true",
                    help="print the op types used by the selected models present in --out")
    ap.add_argument("--write-manifest", metavar="PATH",
                    help="write the manifest of all models to PATH and exit")
    args = ap.parse_args()

    specs = SPECS
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in SPEC_BY_NAME]
        if unknown:
            ap.error("unknown model(s): %s (known: %s)" %
                     (", ".join(unknown), ", ".join(SPEC_BY_NAME)))
        specs = [SPEC_BY_NAME[n] for n in names]
    if args.small_only:
        specs = [s for s in specs if s["small"]]

    if args.list:
        for s in specs:
            print("%-26s %-5s %-18s %s" % (s["name"], "small" if s["small"] else "full",
                                           "x".join(map(str, s["shape"])), s["description"]))
        return 0
    if args.write_manifest:
        with open(args.write_manifest, "w") as f:
            json.dump(manifest(SPECS, args.opset), f, indent=2)
            f.write("\n")
        print("wrote", args.write_manifest)
        return 0

    if args.inventory:
        return print_inventory(specs, args.out)

    import warnings
    warnings.filterwarnings("ignore")
    import torch
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)

    failures = []
    total = collections.Counter()
    t_all = time.time()
    for spec in specs:
        t0 = time.time()
        try:
            path, exported = export_one(spec, args.out, args.opset, args.force)
        except Exception as e:  # report and go on with the other models
            failures.append(spec["name"])
            print("FAILED %s: %s: %s" % (spec["name"], type(e).__name__, e), file=sys.stderr)
            continue
        dt = time.time() - t0
        status = "exported" if exported else "up to date"
        size = os.path.getsize(path) / 1e6
        print("%-26s %-10s %6.1fs %7.1f MB  %s" % (spec["name"], status, dt, size, path))
        if exported and not args.quiet:
            import onnx
            opset, ops = op_inventory(onnx.load(path, load_external_data=False))
            total.update(ops)
            print("    opset %s; ops: %s" % (opset, ", ".join(
                "%s x%d" % (op if dom == "ai.onnx" else dom + "::" + op, n)
                for (dom, op), n in sorted(ops.items()))))

    # DIR/zoo.json: the models present in the output directory.
    present = [s for s in SPECS if os.path.exists(os.path.join(args.out, s["name"] + ".onnx"))]
    with open(os.path.join(args.out, "zoo.json"), "w") as f:
        json.dump(manifest(present, args.opset), f, indent=2)
        f.write("\n")
    committed = os.path.join(HERE, "zoo.json")
    if os.path.exists(committed):
        with open(committed) as f:
            if json.load(f) != json.loads(json.dumps(manifest(SPECS, args.opset))):
                print("warning: models/zoo.json is out of date; run with "
                      "--write-manifest models/zoo.json", file=sys.stderr)
    print("done in %.1fs" % (time.time() - t_all))
    if failures:
        print("FAILED: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks deploy/ without a cluster or a Docker daemon (ctest deploy_manifests):
every YAML document parses and names apiVersion, kind and metadata.name; the toprt
containers' arguments are options that `toprt serve --help` lists; probes hit the
protocol's health endpoints on a port the server listens on; the Dockerfile's
ENTRYPOINT/CMD use real options and its apt packages exist in Debian's index.

  TOPRT=build/toprt /usr/bin/python3 deploy/check_manifests.py
"""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent
TOPRT = os.environ.get("TOPRT", "build/toprt")
HEALTH = {"/v2/health/ready", "/v2/health/live"}
errors = []


def serve_options():
    text = subprocess.run([TOPRT, "serve", "--help"], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"(--[a-z][a-z0-9-]*)", text))


def check_args(where, args, options):
    flags = {a.split("=", 1)[0] for a in args if a.startswith("--")}
    for f in sorted(flags - options):
        errors.append(f"{where}: '{f}' is not an option of toprt serve")
    ports = {}
    for a in args:
        m = re.match(r"--(http|grpc)-port[= ](\d+)", a)
        if m:
            ports[m.group(1)] = int(m.group(2))
    return ports


def containers_of(doc):
    spec = doc.get("spec", {})
    if doc["kind"] == "Deployment":
        return spec["template"]["spec"]["containers"]
    if doc["kind"] == "ServingRuntime":
        return spec["containers"]
    return []


def check_yaml(options):
    files = sorted(ROOT.rglob("*.yaml"))
    if not files:
        errors.append("no YAML files under deploy/")
    for path in files:
        for i, doc in enumerate(yaml.safe_load_all(path.read_text())):
            where = f"{path.relative_to(ROOT)}[{i}]"
            if not isinstance(doc, dict) or not all(k in doc for k in ("apiVersion", "kind", "metadata")):
                errors.append(f"{where}: needs apiVersion, kind and metadata")
                continue
            if not doc["metadata"].get("name"):
                errors.append(f"{where}: metadata.name is missing")
            for c in containers_of(doc):
                if not c.get("image", "").startswith("toprt:"):
                    continue
                ports = check_args(f"{where} container {c['name']}", c.get("args", []), options)
                named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
                for probe in ("readinessProbe", "livenessProbe"):
                    get = c.get(probe, {}).get("httpGet")
                    if not get:
                        errors.append(f"{where}: {probe} with httpGet is missing")
                        continue
                    if get["path"] not in HEALTH:
                        errors.append(f"{where}: {probe} path {get['path']} is not a health endpoint")
                    port = named.get(get["port"], get["port"])
                    if port != ports.get("http"):
                        errors.append(f"{where}: {probe} port {get['port']} is not the --http-port {ports.get('http')}")


def check_dockerfile(options):
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    for key in ("ENTRYPOINT", "CMD"):
        for line in re.findall(rf"^{key} (\[.*\])$", text, re.M):
            args = json.loads(line)
            check_args(f"Dockerfile {key}", [a for a in args if a.startswith("--")], options)
    packages = set()
    for cmd in re.findall(r"apt-get install ([^&]*)", text):
        packages |= {w for w in cmd.split() if not w.startswith("-")}
    if not shutil.which("apt-cache"):
        print("apt-cache not found: Dockerfile packages not checked")
        return
    # Without package lists (no `apt-get update` on this machine yet) nothing can be looked up.
    probe = subprocess.run(["apt-cache", "show", "--no-all-versions", "bash"], capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip():
        print("apt-cache has no package lists (run apt-get update): Dockerfile packages not checked")
        return
    for p in sorted(packages):
        r = subprocess.run(["apt-cache", "show", "--no-all-versions", p], capture_output=True, text=True)
        if r.returncode != 0 or not r.stdout.strip():
            errors.append(f"Dockerfile: apt package '{p}' is not in Debian's index")


options = serve_options()
check_yaml(options)
check_dockerfile(options)
for e in errors:
    print("error:", e)
sys.exit(1 if errors else 0)

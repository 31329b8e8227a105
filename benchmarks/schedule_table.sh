#!/usr/bin/env bash
# Issue #5's benchmark: per zoo model and k in {1, 2, 4}, the sequential, greedy,
# ios-dp and gpg schedules ($GENERATORS overrides the list): time to generate, predicted (cost model, profile of the model
# measured first on this machine) and measured CPU latency of one instance of k merged
# task graphs on 2 one-thread streams, and the H100 description's predicted latency of
# the schedules generated for it. Appends to build/bench-out/schedules.md.
#   benchmarks/schedule_table.sh [MODEL ...]      (default: the zoo's CNNs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TOP_BUILD_DIR:-$root/build}
out=$build/bench-out
mkdir -p "$out"
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(squeezenet1_1 googlenet inception_v3 resnet50 randwire nasnet)
"$root/scripts/zoo" --only "$(IFS=,; echo "${models[*]}")" >/dev/null
: >"$out/schedules.md"
for m in "${models[@]}"; do
  echo "== $m" >&2
  "$build/toprt" schedules "$build/models/$m.onnx" --ks 1,2,4 --streams 2 --repeat 5 --device h100-sxm \
    --generators "${GENERATORS:-sequential,greedy,ios-dp,gpg}" \
    --markdown-out "$out/schedules.md" >/dev/null
done
cat "$out/schedules.md"

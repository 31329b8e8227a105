#!/usr/bin/env bash
# Throughput of the asynchronous runtime's policies on zoo models under Poisson
# arrivals near saturation, against FIFO one-at-a-time and against ONNX Runtime driven
# by the same arrivals (one session per model), plus the runtime's per-task overhead.
#   benchmarks/policy_throughput.sh [LOAD] [DURATION_S] [THREADS]
# Results go to build/bench-out/; copy the tables into docs/BENCHMARKS.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TOP_BUILD_DIR:-$root/build}
load=${1:-1.3}
duration=${2:-20}
threads=${3:-2}
out=$build/bench-out
mkdir -p "$out"
models=(squeezenet1_1 googlenet mobilenet_v3_small)
"$root/scripts/zoo" --only "$(IFS=,; echo "${models[*]}")" >/dev/null
export TOP_NPM_DIR=${TOP_NPM_DIR:-$("$root/scripts/npm-peer")}
args=() ort_args=()
for m in "${models[@]}"; do
  args+=(--model "$build/models/$m.onnx")
  ort_args+=(--model "$m=$build/models/$m.onnx")
done
echo "== toprt bench (load $load x FIFO capacity, Poisson, ${duration}s, $threads threads)"
"$build/toprt" bench "${args[@]}" --threads "$threads" --duration "$duration" --arrival auto-poisson --load "$load" \
  --policies "fifo;fixed:k=1,instances=2;fixed:k=2,instances=2;dynbatch:batch=4,delay=2,instances=2" \
  --write-arrivals "$out/arrivals.txt" --metrics-out "$out/metrics" | tee "$out/toprt_bench.txt"
echo "== ONNX Runtime, same arrivals, one session per model ($threads intra-op threads)"
node "$root/scripts/ort_serve_bench.js" --arrivals "$out/arrivals.txt" "${ort_args[@]}" --threads "$threads" | tee "$out/ort_serve.txt"
echo "== ONNX Runtime, same arrivals, $threads workers x 1 thread (a session per model per worker)"
node "$root/scripts/ort_serve_bench.js" --arrivals "$out/arrivals.txt" "${ort_args[@]}" --threads 1 --workers "$threads" | tee "$out/ort_serve_workers.txt"
echo "== runtime overhead"
"$build/benchmarks/bench_runtime_overhead" | tee "$out/overhead.txt"

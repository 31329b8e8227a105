#!/usr/bin/env bash
# Does what the simulator predicts for the learned policy hold live? (issue #11)
# Three held-out patterns of bench_static_baselines' CPU set (the same models, 6:1 mixes,
# shapes and loads; toprt bench draws its own arrivals from --seed), each run twice with
# the same arrivals and the same SLOs: in the simulator on the measured CPU profile, then
# live on the CPU backend (2 streams x 1 thread). Policies: (a) the best single static
# setting of the held-out CPU grid, the learned policy unguarded, and guarded by (a).
# Prints good/s per policy and run, and each learned policy's gain over (a), simulated
# against measured.
#   benchmarks/live_vs_sim.sh [DURATION_S]        (default 40: about 8 minutes in all)
# Raw outputs go to build/bench-out/live-vs-sim/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${TOP_BUILD_DIR:-$root/build}
duration=${1:-40}
out=$build/bench-out/live-vs-sim
mkdir -p "$out"
m=$build/models
"$root/scripts/zoo" --small-only >/dev/null
a='fixed:interval=0,k=2,instances=1,graph=merge-greedy'
policies="$a;top:guard=off;top:fallback=fixed/interval=0/k=2/instances=1/graph=merge-greedy"
# name | models | mix | arrivals (rates: the episode's load x its capacity from bench_static_baselines)
cases=(
  "poisson|densenet121_small resnet50_small|densenet121_small:6,resnet50_small:1|poisson:rate=111.6"
  "bursty|resnet50_small squeezenet1_1_small densenet121_small|resnet50_small:6,squeezenet1_1_small:1,densenet121_small:1|bursty:on_rate=360,off_rate=43.2,on_s=1.2,off_s=6.8"
  "flash|densenet121_small nasnet_small randwire_small|densenet121_small:6,nasnet_small:1,randwire_small:1|flash:base=108,peak=675,at_s=$(awk "BEGIN{print $duration / 2}"),width_s=$(awk "BEGIN{print $duration * 0.15}")"
)
good() {  # good/s of each policy, in order, from a toprt bench table
  grep -E 'good/s [0-9.]+' "$1" | grep -v '^ ' | sed -E 's/.*good\/s ([0-9.]+).*/\1/'
}
printf '| pattern | policy | sim good/s | live good/s | sim / (a) | live / (a) |\n|---|---|---|---|---|---|\n' > "$out/table.md"
for c in "${cases[@]}"; do
  IFS='|' read -r name models mix arrival <<<"$c"
  args=()
  for x in $models; do args+=(--model "$m/$x.onnx"); done
  common=("${args[@]}" --mix "$mix" --arrival "$arrival" --duration "$duration" --threads 2 --policies "$policies")
  echo "== $name: simulated"
  "$build/toprt" bench "${common[@]}" --backend sim --profile "$root/profiles/cpu-amd-epyc-2c.json" --slo-factor 5 \
    | tee "$out/$name.sim.txt"
  slos=()
  while read -r model ms; do slos+=(--slo "$model=$ms"); done < <(
    sed -nE 's/^model +([^ ]+) .*SLO ([0-9.]+) ms.*/\1 \2/p' "$out/$name.sim.txt")
  echo "== $name: live, the same arrivals and SLOs (${slos[*]})"
  "$build/toprt" bench "${common[@]}" --backend cpu "${slos[@]}" | tee "$out/$name.live.txt"
  mapfile -t sim < <(good "$out/$name.sim.txt")
  mapfile -t live < <(good "$out/$name.live.txt")
  IFS=';' read -r -a labels <<<"$policies"
  for i in "${!labels[@]}"; do
    printf '| %s | `%s` | %s | %s | %.3f | %.3f |\n' "$name" "${labels[$i]}" "${sim[$i]}" "${live[$i]}" \
      "$(awk "BEGIN{print ${sim[$i]} / ${sim[0]}}")" "$(awk "BEGIN{print ${live[$i]} / ${live[0]}}")" >> "$out/table.md"
  done
done
echo
cat "$out/table.md"

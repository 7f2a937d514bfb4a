#!/usr/bin/env bash
# fronts.sh — the greedy per-layer result and the accuracy/energy fronts per
# format family of a model, as numbers, from bitscape-cli sweep/results/pareto.
#
#   benchmarks/fronts.sh MODEL.onnx [IMAGES]
#
# IMAGES: test images used (default: all 10 000 of Fashion-MNIST).  Writes a
# markdown report to benchmarks/results/fronts-<model>.md (FRONTS_OUT to
# change it) and prints it.  Progress goes to stderr.
#
# What it runs, all on the asic-45nm target:
#   (a) fp32 (grid of one format): the reference for the accuracy drops;
#   (b) the seed's greedy per-layer search with the bitscape-cli defaults
#       (ladder fixed16, fixed15, …, fixed1; top-1 at most 1 percentage point
#       below fp32; later layers fp32 while a layer is searched): the width
#       chosen per layer for inputs and weights, top-1 and energy;
#   (c) one grid sweep per format family (every layer the same format,
#       weights and inputs alike) and the Pareto front of each family
#       (maximum top-1, minimum energy), plus the front over all families;
#   (d) on asic-28nm-logfloat, log8 beside int8, each with its exact
#       accumulator (ELMA, Johnson 2018; int32) — the exact path is slow, so
#       only these by default (FRONTS_LOGFLOAT adds others, e.g. log16,fp16).
#
# Environment:
#   BITSCAPE_CLI    the program (default: build/app/cli/bitscape-cli, else
#                   build-release/…)
#   FRONTS_DB       keep the sweeps in this database (a rerun of the same
#                   command resumes it); default: a temporary one, removed
#   FRONTS_OUT      the report file (default benchmarks/results/fronts-<model>.md)
#   FRONTS_THREADS  evaluator threads (default: all cores)
#   FRONTS_ACC      accumulator of the family grids (default fp32, the CLI's;
#                   "exact" gives each format its own, much slower)
#   FRONTS_DATASET  dataset (default fashion-mnist)
#   FRONTS_LOGFLOAT formats of (d) (default log8,int8)
set -euo pipefail

usage() { echo "usage: benchmarks/fronts.sh MODEL.onnx [IMAGES]" >&2; exit 2; }
[ $# -ge 1 ] && [ $# -le 2 ] || usage
model=$1
images=${2:-0}
[ -f "$model" ] || { echo "fronts.sh: $model: no such file" >&2; exit 2; }
[[ $images =~ ^[0-9]+$ ]] || { echo "fronts.sh: IMAGES '$images': expected a whole number" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
cli=${BITSCAPE_CLI:-}
if [ -z "$cli" ]; then
  for c in "$root/build/app/cli/bitscape-cli" "$root/build-release/app/cli/bitscape-cli"; do
    [ -x "$c" ] && { cli=$c; break; }
  done
fi
[ -n "$cli" ] && [ -x "$cli" ] || { echo "fronts.sh: bitscape-cli not found (build it, or set BITSCAPE_CLI)" >&2; exit 2; }

name=$(basename "$model" .onnx)
out=${FRONTS_OUT:-$root/benchmarks/results/fronts-$name.md}
threads=${FRONTS_THREADS:-0}
acc=${FRONTS_ACC:-fp32}
dataset=${FRONTS_DATASET:-fashion-mnist}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db=${FRONTS_DB:-$tmp/fronts.bitscape}

# The families and their members (every layer the same format).
families=(
  "IEEE-style floats|fp16,bf16,fp8_e4m3,fp8_e5m2,fp6_e3m2,fp6_e2m3,fp4_e2m1"
  "fixed point|fixed16,fixed14,fixed12,fixed10,fixed9,fixed8,fixed7,fixed6,fixed5,fixed4,fixed3,fixed2"
  "integers|int16,int12,int10,int9,int8,int7,int6,int5,int4,int3,int2"
  "posits|posit16_1,posit16_2,posit12_1,posit10_1,posit8_0,posit8_1,posit8_2,posit7_1,posit6_1,posit6_2,posit5_1,posit4_0,posit4_1"
  "log|log16,log12_1,log10_1,log8,log7_1,log6_1,log5_1,log4_1"
  "block (MX, NVFP4, NF4)|mxfp8_e4m3,mxfp8_e5m2,mxint8,mxfp6_e3m2,mxfp6_e2m3,mxfp4,nvfp4,nf4"
)
logfloat_formats=${FRONTS_LOGFLOAT:-log8,int8}

common=(--model "$model" --dataset "$dataset" --threads "$threads" --db "$db" -q --json)
[ "$images" -gt 0 ] && common+=(--limit "$images")

load() { cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?"; }
load_start=$(load)
date_start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
t_start=$(date +%s)

# sweep ARGS... → the JSON summary line; notes a sweep resumed from FRONTS_DB
: >"$tmp/resumed"
sweep() {
  local j
  echo "fronts.sh: sweep $*" >&2
  j=$("$cli" sweep "${common[@]}" "$@")
  grep -q '"resumed":true' <<<"$j" && echo x >>"$tmp/resumed"
  echo "$j"
}
json_num() { grep -o "\"$1\":[-0-9.e+]*" | head -1 | cut -d: -f2; }
json_str() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d: -f2- | tr -d '"'; }

# results of a sweep as TSV: format, top1, energy_pj, feasible, on_front
# (the sweep's stored front), result id
results_tsv() {
  "$cli" results --db "$db" --sweep "$1" --csv | awk -F, 'NR > 1 {
      f = ""; if (match($0, /L0:w=[^,]*/)) f = substr($0, RSTART + 5, RLENGTH - 5)
      printf "%s\t%s\t%s\t%s\t%s\t%s\n", f, $3, $5, $19, $20, $1 }'
}

# (a) the fp32 reference
ref=$(sweep --target asic-45nm --strategy grid --formats fp32)
ref_id=$(json_num sweep_id <<<"$ref")
read -r _ fp32_top1 fp32_pj _ < <(results_tsv "$ref_id" | head -1)
n_images=$("$cli" results --db "$db" --sweep "$ref_id" --csv | awk -F, 'NR == 2 {print $17}')

# (b) greedy
greedy=$(sweep --target asic-45nm --strategy greedy --formats fixed16 --target-drop 1)
greedy_id=$(json_num sweep_id <<<"$greedy")
greedy_cfg=$(json_str config <<<"$greedy")
greedy_top1=$(json_num top1 <<<"$greedy")
greedy_pj=$(json_num energy_pj <<<"$greedy")
greedy_calls=$(json_num configurations <<<"$greedy")
greedy_s=$(json_num seconds <<<"$greedy")

# (c) families
declare -a fam_ids=()
for f in "${families[@]}"; do
  s=$(sweep --target asic-45nm --strategy grid --formats "${f#*|}" --acc "$acc")
  fam_ids+=("$(json_num sweep_id <<<"$s")")
done

# (d) log formats on the logfloat target, exact accumulators
logfloat=$(sweep --target asic-28nm-logfloat --strategy grid --formats "$logfloat_formats" --acc exact)
logfloat_id=$(json_num sweep_id <<<"$logfloat")
logfloat_ref=$(sweep --target asic-28nm-logfloat --strategy grid --formats fp32)
read -r _ _ fp32_pj_28 _ < <(results_tsv "$(json_num sweep_id <<<"$logfloat_ref")" | head -1)

elapsed=$(( $(date +%s) - t_start ))
load_end=$(load)

# Report ---------------------------------------------------------------------
{
  echo "# Greedy result and fronts per format family: $name"
  echo
  echo "Generated by \`benchmarks/fronts.sh $*\` on $date_start."
  echo
  echo "- model: \`$model\` ($(sha256sum "$model" | cut -c1-12)…), dataset: $dataset, $n_images test images"
  case $cli in
    "$root"/*)
      echo "- program: \`${cli#"$root"/}\`$(git -C "$root" rev-parse --short HEAD 2>/dev/null | sed 's/^/, tree at commit /')$( [ -n "$(git -C "$root" status --porcelain 2>/dev/null | grep -v '^??' | head -1)" ] && echo ' with local changes')" ;;
    *)
      echo "- program: \`$cli\` (built outside this tree)" ;;
  esac
  echo "- machine: $(uname -m), $(nproc) cores, load average $load_start at the start, $load_end at the end; $elapsed s in all"
  if [ -s "$tmp/resumed" ]; then
    echo "- $(wc -l <"$tmp/resumed") of the sweeps resumed from \`$db\` (FRONTS_DB): results stored by an earlier run were"
    echo "  not evaluated again, so the times here are of this run only"
  fi
  echo "- fp32 reference: top-1 $(printf '%.2f' "$fp32_top1") %, $(awk -v e="$fp32_pj" 'BEGIN {printf "%.2f", e / 1e6}') µJ per inference on asic-45nm"
  echo
  echo "## Greedy per-layer search (the seed's, fixed point)"
  echo
  echo "\`bitscape-cli sweep --strategy greedy --formats fixed16 --target-drop 1 --target asic-45nm\`:"
  echo "from the first layer, the inputs' width is lowered one bit at a time (fixed16, fixed15, …)"
  echo "while top-1 stays at or above fp32 − 1 point, the last passing width kept, then the"
  echo "weights', then the next layer; layers not yet searched stay fp32; per-layer power-of-two"
  echo "scaling (the seed's dynamic fixed point), fp32 accumulation."
  echo
  echo "| layer | type | MACs / image | inputs | weights |"
  echo "|---|---|---|---|---|"
  "$cli" layers --model "$model" | awk -v cfg="$greedy_cfg" '
    BEGIN { n = split(cfg, part, ";")
            for (i = 2; i <= n; i++) {
              split(part[i], kv, ","); w = kv[1]; a = kv[2]
              sub(/^L[0-9]+:w=/, "", w); sub(/^a=/, "", a); W[i - 2] = w; A[i - 2] = a } }
    $2 == "Conv" || $2 == "Gemm" || $2 == "MatMul" {
      printf "| %s | %s | %s | %s | %s |\n", $1, $2, $NF, A[k + 0], W[k + 0]; k++ }'
  echo
  awk -v t="$greedy_top1" -v r="$fp32_top1" -v e="$greedy_pj" -v fe="$fp32_pj" -v c="$greedy_calls" -v s="$greedy_s" 'BEGIN {
    printf "Top-1 %.2f %% (%.2f points below fp32), %.2f µJ per inference (%.2f× fp32); %d configurations, %.0f s.\n",
           t, r - t, e / 1e6, e / fe, c, s }'
  echo
  # the trend the seed reports: lower layers need fewer bits
  awk -v cfg="$greedy_cfg" 'function bits(f) { if (f == "fp32") return 32; gsub(/[^0-9]/, "", f); return f + 0 }
    BEGIN { n = split(cfg, part, ";")
      for (i = 2; i <= n; i++) { split(part[i], kv, ","); w = kv[1]; a = kv[2]
        sub(/^L[0-9]+:w=/, "", w); sub(/^a=/, "", a); W[i - 2] = bits(w); A[i - 2] = bits(a) }
      L = n - 1; up_a = up_w = 1; sa = sw = ""
      for (l = 0; l < L; l++) { sa = sa (l ? ", " : "") A[l]; sw = sw (l ? ", " : "") W[l]
        if (l && A[l] < A[l - 1]) up_a = 0; if (l && W[l] < W[l - 1]) up_w = 0 }
      printf "Bits by layer, first to last: inputs %s; weights %s.\n", sa, sw
      printf "Never fewer bits in a later layer than in an earlier one (the seed'"'"'s trend, strictly read): inputs %s, weights %s.\n",
             up_a ? "yes" : "no", up_w ? "yes" : "no"
      printf "First layer with fewer bits than the last: inputs %s, weights %s.\n",
             A[0] < A[L - 1] ? "yes" : "no", W[0] < W[L - 1] ? "yes" : "no" }'
  echo
  echo "## Fronts per format family (asic-45nm)"
  echo
  echo "Every layer the same format for weights and inputs; scaling \`auto\` (per-layer power of two"
  echo "for fixed point, integers and floats; none for posits and log; block formats scale"
  echo "themselves); accumulator \`$acc\`. Energy per inference from the asic-45nm target with the"
  echo "sparsity measured on the images. \"front\": on the family's accuracy/energy Pareto front;"
  echo "\"all\": on the front of all families together."
  echo
  # every family's rows, for the overall front
  : >"$tmp/all.tsv"
  for i in "${!families[@]}"; do
    results_tsv "${fam_ids[$i]}" | awk -v fam="$i" '{print fam "\t" $0}' >>"$tmp/all.tsv"
  done
  # overall front: feasible, no other point at least as accurate and at most
  # as costly with one of the two strictly better
  awk -F'\t' '{ f[NR] = $2; t[NR] = $3; e[NR] = $4; ok[NR] = $5 } END {
      for (i = 1; i <= NR; i++) { on = ok[i] == 1
        for (j = 1; j <= NR && on; j++)
          if (j != i && ok[j] == 1 && t[j] >= t[i] && e[j] <= e[i] && (t[j] > t[i] || e[j] < e[i])) on = 0
        if (on) print f[i] } }' "$tmp/all.tsv" >"$tmp/all-front"
  for i in "${!families[@]}"; do
    fam=${families[$i]%%|*}
    echo "### $fam"
    echo
    echo "| format | top-1 % | drop vs fp32 (points) | energy µJ | front | all |"
    echo "|---|---|---|---|---|---|"
    front_ids=$("$cli" pareto --db "$db" --sweep "${fam_ids[$i]}" --csv | awk -F, 'NR > 1 {print $1}' | tr '\n' ' ')
    awk -F'\t' -v fam="$i" -v r="$fp32_top1" -v ids=" $front_ids" -v allf="$(tr '\n' ' ' <"$tmp/all-front")" '
      $1 == fam {
        if ($5 != 1) { printf "| `%s` | infeasible | | | no | no |\n", $2; next }
        on = index(ids, " " $7 " ") ? "yes" : "no"
        all = index(" " allf, " " $2 " ") ? "yes" : "no"
        printf "| `%s` | %.2f | %.2f | %.3f | %s | %s |\n", $2, $3, r - $3, $4 / 1e6, on, all }' "$tmp/all.tsv"
    echo
  done
  echo "## Log formats on asic-28nm-logfloat (exact accumulators)"
  echo
  echo "Every layer the same format; \`--acc exact\`: each format's own exact accumulator (ELMA for"
  echo "log8 and log16 as in Johnson 2018, int32 for integers and fixed point, the quire for posits,"
  echo "Kulisch otherwise). fp32 on this target: $(awk -v e="$fp32_pj_28" 'BEGIN {printf "%.2f", e / 1e6}') µJ."
  echo
  echo "| format | top-1 % | drop vs fp32 (points) | energy µJ | front |"
  echo "|---|---|---|---|---|"
  front_ids=$("$cli" pareto --db "$db" --sweep "$logfloat_id" --csv | awk -F, 'NR > 1 {print $1}' | tr '\n' ' ')
  results_tsv "$logfloat_id" | awk -F'\t' -v r="$fp32_top1" -v ids=" $front_ids" '{
      if ($4 != 1) { printf "| `%s` | infeasible | | | no |\n", $1; next }
      printf "| `%s` | %.2f | %.2f | %.3f | %s |\n", $1, $2, r - $2, $3 / 1e6, index(ids, " " $6 " ") ? "yes" : "no" }'
  echo
  echo "Sweeps in the database:"
  echo
  echo '```'
  "$cli" results --db "$db" --sweeps
  echo '```'
} >"$tmp/report.md"

mkdir -p "$(dirname "$out")"
cp "$tmp/report.md" "$out"
cat "$out"
echo "fronts.sh: wrote $out" >&2

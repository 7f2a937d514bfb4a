#!/usr/bin/env bash
# The README's table of quantized accuracy for one bundled model: fp32, then
# every format of the list applied to the weights and inputs of every layer
# (no retraining), on all 10 000 Fashion-MNIST test images, as a markdown
# table with the drop against fp32 in percentage points.
#
#   benchmarks/accuracy.sh [BUILD_DIR] MODEL.onnx
#
# Rows: log8 with ELMA (exact path, Johnson 2018), fp8_e4m3, int8, fixed8,
# posit8_1, fixed6, mxfp4, nf4, fixed4 (fake-quant, fp32 accumulation;
# scaling auto: per-layer power of two for fixed point, integers and floats).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ge 2 ]; then build=$1; shift; else build=build; fi
model=$1
cli=$build/app/cli/bitscape-cli
[ -x "$cli" ] || { echo "accuracy: build $build first" >&2; exit 1; }

top1() { "$cli" eval --model "$model" --dataset fashion-mnist --json "$@" | grep -o '"top1":[0-9.e+-]*' | cut -d: -f2; }
row() {   # row LABEL ACC PATH EVAL-OPTIONS...
  local label=$1 acc=$2 path=$3 t0 t1 t
  shift 3
  t0=$(date +%s.%N)
  t=$(top1 "$@")
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$acc" -v p="$path" -v t="$t" -v f="$fp32" -v s="$(echo "$t1 - $t0" | bc)" \
    'BEGIN { printf "| %s | %s | %s | %.2f %% | %s | %.0f s |\n", l, a, p, t, (f == "" ? "—" : sprintf("%.2f pp", f - t)), s }'
}

echo "$(basename "$model" .onnx), all 10 000 test images, $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| weights and activations | accumulation | path | top-1 | drop | time |"
echo "|---|---|---|---|---|---|"
fp32=""
row fp32 fp32 fake-quant
fp32=$(top1)
row '`log8`' "ELMA" exact --weights log8 --activations log8 --acc elma
for f in fp8_e4m3 int8 fixed8 posit8_1 fixed6 mxfp4 nf4 fixed4; do
  row "\`$f\`" fp32 fake-quant --weights $f --activations $f
done

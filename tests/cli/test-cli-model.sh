#!/usr/bin/env bash
# The model and dataset side of the bitscape-cli contract: layers, infer,
# eval's input normalisation, and one clear line with exit status 2 for
# corrupt or unsupported ONNX files and broken datasets.  TAP output.
#   test-cli-model.sh CLI SOURCE_ROOT
set -u
CLI=$1
root=$2
bad=$root/tests/data/bad-models
cnn=$root/data/models/fmnist-cnn.onnx
fm=/usr/share/datasets/fashion-mnist
node=/usr/share/libonnx-testdata/data/node
. "$(dirname "$0")/tap.sh"

# fails NAME PATTERN ARGS...: exit status 2, nothing on stdout, exactly one
# line on stderr, and that line matches PATTERN (it names the file and problem)
fails() {
  n=$((n + 1))
  local name=$1 pattern=$2; shift 2
  "$CLI" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  local st=$? lines
  lines=$(wc -l <"$tmp/err")
  if [ $st -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ] && grep -Eq -- "$pattern" "$tmp/err"; then
    echo "ok $n - $name"
  else
    echo "not ok $n - $name (status $st, $lines stderr lines)"; sed 's/^/# /' "$tmp/err" | head -3
    fails=$((fails + 1))
  fi
}

skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# corrupt and unsupported models, for every command that reads one
head -c 5000 "$cnn" > "$tmp/truncated.onnx"
printf 'this is not a model\n' > "$tmp/text.onnx"
: > "$tmp/empty.onnx"
for cmd in layers eval infer; do
  extra=()
  [ $cmd = eval ] && extra=(--dataset "$fm" --limit 10)
  [ $cmd = infer ] && extra=(--input "$tmp/none.pb" --output "$tmp/out.pb")
  fails "$cmd: truncated ONNX file" "truncated.onnx: .*(not an ONNX model|truncated)" $cmd --model "$tmp/truncated.onnx" "${extra[@]}"
done
fails "layers: a text file as the model" "text.onnx: " layers --model "$tmp/text.onnx"
fails "layers: an empty file as the model" "empty.onnx: " layers --model "$tmp/empty.onnx"
fails "layers: no such model" "absent.onnx: No such file" layers --model "$tmp/absent.onnx"
fails "layers: unknown op named" "unknown-op.onnx: .*unsupported op 'Erf'" layers --model "$bad/unknown-op.onnx"
fails "layers: conv weight channels do not match" "conv-channels.onnx: .*Conv.*channels" layers --model "$bad/conv-channels.onnx"
fails "layers: gemm inner dimensions do not match" "gemm-shapes.onnx: .*Gemm" layers --model "$bad/gemm-shapes.onnx"
fails "layers: a node input nothing produces" "dangling-input.onnx: .*'nowhere'" layers --model "$bad/dangling-input.onnx"
fails "layers: reshape to the wrong element count" "reshape-count.onnx: .*Reshape" layers --model "$bad/reshape-count.onnx"
fails "eval: unknown op in the model" "unknown-op.onnx: " eval --model "$bad/unknown-op.onnx" --dataset "$fm" --limit 10

# layers: the bundled CNN's table (its model card: 4 241 152 MACs)
ok "layers lists conv1 conv2 fc1 fc_out with 4241152 MACs in all" bash -c "
  out=\$('$CLI' layers --model '$cnn') &&
  for l in conv1 conv2 fc1 fc_out; do grep -q \"^\$l\" <<<\"\$out\" || exit 1; done &&
  tr -d ' ' <<<\"\$out\" | grep -q '4241152'"

# infer: ONNX TensorProto in and out, against the ONNX backend test data
if [ -d "$node/test_relu" ]; then
  ok "infer: Relu backend test gives its expected output" bash -c "
    '$CLI' infer --model '$node/test_relu/model.onnx' --input '$node/test_relu/test_data_set_0/input_0.pb' --output '$tmp/relu.pb' &&
    cmp -s '$tmp/relu.pb' '$node/test_relu/test_data_set_0/output_0.pb'"
  fails "infer: input is not a TensorProto" "text.onnx: not a TensorProto" infer --model "$node/test_relu/model.onnx" --input "$tmp/text.onnx" --output "$tmp/o.pb"
  fails "infer: input of the wrong rank" "input 'x': rank" infer --model "$node/test_relu/model.onnx" \
    --input "$node/test_gemm_default_zero_bias/test_data_set_0/input_0.pb" --output "$tmp/o.pb"
else
  skip "infer: Relu backend test" "libonnx-testdata is not installed"
  skip "infer: input is not a TensorProto" "libonnx-testdata is not installed"
  skip "infer: input of the wrong rank" "libonnx-testdata is not installed"
fi

# datasets: missing, truncated
if [ -d "$fm" ]; then
  fails "eval: a directory without the dataset" "nowhere" eval --model "$cnn" --dataset "$tmp/nowhere"
  mkdir -p "$tmp/fm-trunc"
  cp "$fm"/*-ubyte* "$tmp/fm-trunc/"
  images=$(ls "$tmp/fm-trunc" | grep '^t10k-images')
  case $images in
    *.gz) zcat "$fm/$images" | head -c 100000 | gzip > "$tmp/fm-trunc/$images" ;;
    *) head -c 100000 "$fm/$images" > "$tmp/fm-trunc/$images" ;;
  esac
  fails "eval: truncated idx images named with the byte count" "$images: truncated" eval --model "$cnn" --dataset "$tmp/fm-trunc"

  # normalisation: the bundled model records its own (0.2860,0.3530); giving
  # the same with --normalize changes nothing, giving [0,1] pixels unchanged
  # (0,1) costs accuracy, and a malformed value is refused
  top1() { "$CLI" eval --model "$cnn" --dataset "$fm" --limit 500 --json "$@" 2>/dev/null | grep -o '"top1":[0-9.e+-]*' | cut -d: -f2; }
  recorded=$(top1) same=$(top1 --normalize 0.2860,0.3530) unit=$(top1 --normalize 0,1)
  ok "eval: --normalize with the recorded values gives the recorded result ($recorded)" \
    test -n "$recorded" -a "$recorded" = "$same"
  ok "eval: --normalize 0,1 overrides the record (top-1 $recorded -> $unit)" \
    awk -v a="$recorded" -v b="$unit" 'BEGIN { exit !(a != "" && b != "" && a - b > 0.2) }'
  fails "eval: --normalize with one number" "--normalize '0.5'" eval --model "$cnn" --dataset "$fm" --normalize 0.5
  fails "eval: --normalize with STD 0" "--normalize '0.5,0'" eval --model "$cnn" --dataset "$fm" --normalize 0.5,0

  # fp32 is lossless in every layer: output SQNR infinite (null in JSON) for
  # all four, the last Gemm included (its fp32 reference is computed in the
  # same chunks as the run)
  "$CLI" eval --model "$cnn" --dataset "$fm" --limit 300 --json > "$tmp/fp32.json" 2>/dev/null
  ok "eval: fp32 has infinite output SQNR in every layer" \
    test "$(grep -o '"sqnr_db":null' "$tmp/fp32.json" | wc -l)" -eq 4 -a \
         "$(grep -o '"sqnr_db":' "$tmp/fp32.json" | wc -l)" -eq 4
else
  for t in "missing dataset" "truncated idx" "--normalize recorded" "--normalize override" "--normalize one number" "--normalize STD 0" "fp32 lossless"; do
    skip "eval: $t" "Fashion-MNIST is not installed"
  done
fi
fails "eval: unknown weight format" "unknown format 'fp9'" eval --model "$cnn" --dataset "$fm" --weights fp9
fails "eval: negative --limit" "--limit" eval --model "$cnn" --dataset "$fm" --limit -5

echo "1..$n"
[ $fails -eq 0 ]

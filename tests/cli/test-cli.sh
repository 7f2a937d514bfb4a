#!/usr/bin/env bash
# The bitscape-cli command contract, exercised as scripts use it.  TAP output.
set -u
CLI=$1
n=0 fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {   # ok NAME COMMAND...: the command must succeed
  n=$((n + 1))
  if ( "${@:2}" ) >"$tmp/out" 2>"$tmp/err"; then echo "ok $n - $1"
  else echo "not ok $n - $1"; sed 's/^/# /' "$tmp/err" | head -5; fails=$((fails + 1)); fi
}

# usage_error NAME STDIN ARGS...: exit status 2 and exactly one line on stderr
usage_error() {
  n=$((n + 1))
  local name=$1 input=$2; shift 2
  printf '%b' "$input" | "$CLI" "$@" >"$tmp/out" 2>"$tmp/err"
  local st=$? lines
  lines=$(wc -l <"$tmp/err")
  if [ $st -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$tmp/out" ]; then echo "ok $n - $name"
  else echo "not ok $n - $name (status $st, $lines stderr lines)"; sed 's/^/# /' "$tmp/err" | head -3; fails=$((fails + 1)); fi
}

q() { printf '%b' "$2" | "$CLI" quantize --format "$1" "${@:3}"; }

# formats: every canonical name of DESIGN.md is listed, with bits and a description
for name in fp32 fp16 bf16 fp8_e4m3 fp8_e5m2 fp6_e3m2 fp6_e2m3 fp4_e2m1 fixed8 int8 binary \
            ternary posit16_1 log8 log16 nf4 mxfp8_e4m3 mxfp8_e5m2 mxfp6_e3m2 mxfp6_e2m3 mxfp4 \
            mxint8 nvfp4 kmeans16; do
  ok "formats lists $name" bash -c "'$CLI' formats | awk -F'\t' '\$1 == \"$name\" && \$2 ~ /^[0-9]+\$/ && length(\$3) > 10 {f=1} END {exit !f}'"
done
ok "formats bits: fp8_e4m3 8, fp16 16, nf4 4, int8 8" bash -c "'$CLI' formats | awk -F'\t' '
  \$1==\"fp8_e4m3\"&&\$2==8{a++} \$1==\"fp16\"&&\$2==16{a++} \$1==\"nf4\"&&\$2==4{a++} \$1==\"int8\"&&\$2==8{a++} END{exit a!=4}'"

# --table: every code, 0x<hex><TAB><value>
ok "table fp8_e4m3 has 256 codes" bash -c "[ \$('$CLI' formats --table fp8_e4m3 | wc -l) -eq 256 ]"
ok "table fp8_e4m3: 0x7e is 448, 0x7f nan, 0x01 2^-9" bash -c "'$CLI' formats --table fp8_e4m3 | grep -qx \$'0x7e\t448' && '$CLI' formats --table fp8_e4m3 | grep -qx \$'0x7f\tnan' && '$CLI' formats --table fp8_e4m3 | grep -qx \$'0x01\t0.001953125'"
ok "table fp8_e5m2: 0x7c inf, 0xfc -inf, 0x7b 57344" bash -c "t=\$('$CLI' formats --table fp8_e5m2); grep -qx \$'0x7c\tinf' <<<\"\$t\" && grep -qx \$'0xfc\t-inf' <<<\"\$t\" && grep -qx \$'0x7b\t57344' <<<\"\$t\""
ok "table fp16 has 65536 codes, 0x3c00 is 1" bash -c "t=\$('$CLI' formats --table fp16); [ \$(wc -l <<<\"\$t\") -eq 65536 ] && grep -qx \$'0x3c00\t1' <<<\"\$t\""
ok "table nf4: 16 values, code 0 -1, code 7 0, code 15 1" bash -c "t=\$('$CLI' formats --table nf4); [ \$(wc -l <<<\"\$t\") -eq 16 ] && grep -qx \$'0x0\t-1' <<<\"\$t\" && grep -qx \$'0x7\t0' <<<\"\$t\" && grep -qx \$'0xf\t1' <<<\"\$t\""
ok "table posit8_0 has 256 codes" bash -c "[ \$('$CLI' formats --table posit8_0 | wc -l) -eq 256 ]"
ok "table log8 has 256 codes" bash -c "[ \$('$CLI' formats --table log8 | wc -l) -eq 256 ]"
usage_error "table of a 32-bit format is refused" "" formats --table fp32
usage_error "table of kmeans is refused" "" formats --table kmeans16
usage_error "table of an unknown format" "" formats --table fp9

# quantize: one value per line, %.17g
ok "quantize fp8_e4m3 saturates and rounds to even" bash -c "[ \"\$(printf '1000\n-1e9\n1.0625\n1.1875\nnan\n' | '$CLI' quantize --format fp8_e4m3 | tr '\n' ' ')\" = '448 -448 1 1.25 nan ' ]"
ok "quantize fp16 keeps inf, saturates finite" bash -c "[ \"\$(printf 'inf\n70000\n' | '$CLI' quantize --format fp16 | tr '\n' ' ')\" = 'inf 65504 ' ]"
ok "quantize fixed4: seed formula (Q=4: step 1/8, clip [-1, 0.875])" bash -c "[ \"\$(printf '0.3\n2\n-5\n0.0625\n0.1875\n' | '$CLI' quantize --format fixed4 | tr '\n' ' ')\" = '0.25 0.875 -1 0 0.25 ' ]"
ok "quantize int8 with --scale 0.5" bash -c "[ \"\$(printf '1.3\n1000\n-1000\n' | '$CLI' quantize --format int8 --scale 0.5 | tr '\n' ' ')\" = '1.5 63.5 -64 ' ]"
ok "quantize nf4 block of 4 (absmax scaling)" bash -c "[ \"\$(printf '2\n-2\n0\n1\n' | '$CLI' quantize --format nf4 --block 4 | head -3 | tr '\n' ' ')\" = '2 -2 0 ' ]"
ok "quantize kmeans2 of two clusters" bash -c "printf '1\n1.2\n5\n5.2\n' | '$CLI' quantize --format kmeans2 | awk 'NR<=2 && (\$1-1.1)^2 < 1e-24 {a++} NR>2 && (\$1-5.1)^2 < 1e-24 {a++} END {exit a!=4}'"
usage_error "quantize: unknown format" "1\n" quantize --format fp99
usage_error "quantize: malformed number" "1\nabc\n" quantize --format fp16
usage_error "quantize: two numbers on a line" "1 2\n" quantize --format fp16
usage_error "quantize: negative scale" "1\n" quantize --format fp16 --scale -1
usage_error "quantize: scale not a number" "1\n" quantize --format fp16 --scale x
usage_error "quantize: missing --format" "1\n" quantize
usage_error "quantize: unknown option" "1\n" quantize --format fp16 --frobnicate
usage_error "unknown command" "" frobnicate

# dot
ok "dot int8 int32" bash -c "[ \"\$(printf '1 2\n3 4\n-5 6\n' | '$CLI' dot --format int8 --acc int32)\" = '-16' ]"
ok "dot fp16 exact (kulisch) keeps what fp16 accumulation loses" bash -c "
  a=\$(printf '2048 1\n1 1\n1 1\n' | '$CLI' dot --format fp16 --acc exact)
  b=\$(printf '2048 1\n1 1\n1 1\n' | '$CLI' dot --format fp16 --acc fp16)
  [ \"\$a\" = 2050 ] && [ \"\$b\" = 2048 ]"
ok "dot posit16_1 quire" bash -c "[ \"\$(printf '1 1\n0.5 0.5\n' | '$CLI' dot --format posit16_1 --acc exact)\" = '1.25' ]"
ok "dot log8 elma runs" bash -c "printf '1 1\n2 2\n' | '$CLI' dot --format log8 --acc elma >/dev/null"
usage_error "dot: unknown accumulator" "1 2\n" dot --format fp16 --acc fp64
usage_error "dot: quire for a float" "1 2\n" dot --format fp16 --acc quire
usage_error "dot: int32 for a float" "1 2\n" dot --format fp16 --acc int32
usage_error "dot: odd line" "1\n" dot --format fp16 --acc fp32

echo "1..$n"
exit $((fails > 0))

#!/usr/bin/env bash
# Take the screenshots of data/screenshots/ (English and Simplified Chinese)
# from a build directory, in a virtual X server.
#
#   ui/screenshots.sh [BUILD_DIR]        (default: build)
#
# Needs xvfb-run, xdotool and ImageMagick's import; zh_CN screenshots need the
# zh_CN.UTF-8 locale (localedef -i zh_CN -f UTF-8 zh_CN.UTF-8) and a CJK font.
# The project shown is made up (ui/demo/bs-demo-project.c): its accuracy and
# energy figures come from a toy formula, not from evaluating a network.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
out=$(realpath data/screenshots)
for tool in xvfb-run xdotool import; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing" >&2; exit 1; }
done
[ -x "$build/ui/bitscape" ] || { echo "screenshots: build $build first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/ui/bitscape-demo-project" "$work/demo.bitscape" 3000
# a tensor for the format comparison: log-normal magnitudes, random signs
awk 'BEGIN { srand(7); for (i = 0; i < 20000; i++) {
  u = rand(); v = rand(); z = sqrt(-2 * log(u + 1e-12)) * cos(6.2831853 * v);
  s = rand() < 0.5 ? -1 : 1; printf "%.7g\n", s * exp(1.3 * z - 2.5) } }' > "$work/activations.txt"
mkdir -p "$out"

# shoot NAME LANG SCENARIO [SCHEME]: run the app on the demo project, act,
# capture; SCHEME prefer-dark shows the dark style
shoot() {
  local name=$1 lang=$2 scenario=$3 scheme=${4:-default}
  ADW_DEBUG_COLOR_SCHEME="$scheme" GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory \
  BITSCAPE_LOCALEDIR="$build/po" NO_AT_BRIDGE=1 GTK_A11Y=none GDK_BACKEND=x11 \
  LANGUAGE="${lang%%.*}" LANG="$lang" LC_ALL="$lang" \
  BS_BIN="$build/ui/bitscape" BS_DB="$work/demo.bitscape" BS_TENSOR="$work/activations.txt" \
  BS_OUT="$out/$name.png" BS_SCENARIO="$scenario" \
    xvfb-run -a -s '-screen 0 1280x800x24' bash -c '
      "$BS_BIN" "$BS_DB" 2>/dev/null &
      app=$!
      win=$(xdotool search --sync --onlyvisible --class bitscape | head -1)
      sleep 3
      case "$BS_SCENARIO" in
        details)   # select a point on the front, hover another
          xdotool mousemove 542 364 click 1; sleep 1.5
          xdotool mousemove 640 175; sleep 0.5; xdotool mousemove 647 170; sleep 0.8; xdotool mousemove 648 170; sleep 2 ;;
        formats)   # the format comparison, with a tensor loaded
          xdotool key alt+2; sleep 1.5
          xdotool key ctrl+l 2>/dev/null || true
          xdotool mousemove 1110 80 click 1; sleep 1.5
          xdotool key ctrl+l; sleep 0.5
          xdotool type --delay 20 "$BS_TENSOR"; sleep 0.5
          xdotool key Return; sleep 3 ;;
      esac
      import -window "$win" "$BS_OUT"
      kill $app'
  echo "screenshots: $out/$name.png ($(stat -c %s "$out/$name.png") bytes)"
}

shoot pareto C.UTF-8 plain
shoot details C.UTF-8 details
shoot formats C.UTF-8 formats
shoot pareto-zh_CN zh_CN.UTF-8 plain
shoot formats-zh_CN zh_CN.UTF-8 formats
shoot pareto-dark C.UTF-8 details prefer-dark

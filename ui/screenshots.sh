#!/usr/bin/env bash
# Take the screenshots of data/screenshots/ (English and Simplified Chinese,
# 100 % and 200 % scale) from a build directory, in a virtual X server, on
# real data: the bundled fmnist-cnn and sweeps run on it with bitscape-cli.
#
#   ui/screenshots.sh [BUILD_DIR]        (default: build)
#
# The sweeps are stored in BUILD_DIR/screenshots.bitscape and resume from it,
# so only the first run pays for them (a quarter of an hour on two cores).
# Needs xvfb-run, xdotool and ImageMagick's import and convert; zh_CN
# screenshots need the zh_CN.UTF-8 locale (localedef -i zh_CN -f UTF-8
# zh_CN.UTF-8) and a CJK font.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
out=$(realpath data/screenshots)
model=$(realpath data/models/fmnist-cnn.onnx)
cli=$build/app/cli/bitscape-cli
db=$build/screenshots.bitscape
for tool in xvfb-run xdotool import convert; do
  command -v "$tool" >/dev/null || { echo "screenshots: $tool is missing" >&2; exit 1; }
done
[ -x "$build/ui/bitscape" ] || { echo "screenshots: build $build first" >&2; exit 1; }
[ -f "$model" ] || { echo "screenshots: $model is missing" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# Real sweeps: the grid the app runs first (all 10 000 test images), an
# NSGA-II search over per-layer weight and input formats and the greedy
# bit-width search (both on the first 2000 images).
sweep() { "$cli" sweep -q -m "$model" -T asic-45nm --db "$db" "$@"; }
sweep -s grid -f fp16,bf16,fp8_e4m3,int8,fixed8,fixed6,fixed4,posit8_1,log8
sweep -s nsga2 --tensors separate --budget 96 --population 16 -n 2000 \
  -f fp16,bf16,fp8_e4m3,fp8_e5m2,int8,fixed8,fixed6,fixed4,int4,posit8_1,log8
sweep -s greedy -f fixed16 -n 2000

# The configuration shown in the layer table: the cheapest point of the
# NSGA-II front within one point of the best top-1.
"$cli" pareto --db "$db" --csv > "$work/front.csv"
pick=$(awk -F, 'NR > 1 && $2 == 2 { n++; id[n] = $1; t[n] = $3; e[n] = $5; if ($3 > best) best = $3 }
  END { for (i = 1; i <= n; i++) if (t[i] >= best - 1 && (!bid || e[i] < be)) { bid = id[i]; be = e[i] }
        print bid }' "$work/front.csv")
"$cli" export --db "$db" --result "$pick" -o "$work/selected.xml"

# shoot NAME LANG SCENARIO [SCHEME [SCALE]]: run the app on the project,
# act, capture the window; SCHEME prefer-dark shows the dark style, SCALE 2
# the 200 % scale.
shoot() {
  local name=$1 lang=$2 scenario=$3 scheme=${4:-default} scale=${5:-1}
  local screen=$((1280 * scale))x$((800 * scale))x24
  ADW_DEBUG_COLOR_SCHEME="$scheme" GDK_SCALE="$scale" GSK_RENDERER=cairo \
  GSETTINGS_SCHEMA_DIR="$build/data" GSETTINGS_BACKEND=memory \
  BITSCAPE_LOCALEDIR="$build/po" NO_AT_BRIDGE=1 GTK_A11Y=none GDK_BACKEND=x11 \
  LANGUAGE="${lang%%.*}" LANG="$lang" LC_ALL="$lang" \
  BS_BIN="$build/ui/bitscape" BS_DB="$db" BS_MODEL="$model" BS_CONFIG="$work/selected.xml" \
  BS_OUT="$work/$name.png" BS_SCENARIO="$scenario" \
    xvfb-run -a -s "-screen 0 $screen" bash -c '
      "$BS_BIN" --model "$BS_MODEL" --config "$BS_CONFIG" --no-sweep "$BS_DB" 2>/dev/null &
      app=$!
      win=$(xdotool search --sync --onlyvisible --class bitscape | head -1)
      sleep 40   # the model opens, fp32 and the selected configuration are evaluated
      case "$BS_SCENARIO" in
        layers)  xdotool key ctrl+1; sleep 1 ;;
        energy)  xdotool key ctrl+2; sleep 1.5 ;;
        # the formats on real activations: fc1 inputs (the sixth entry of
        # the tensor menu, after the weights of the four layers and the conv1 and conv2 inputs)
        formats) xdotool key alt+2; sleep 2; xdotool key ctrl+t; sleep 1
                 xdotool key Down Down Down Down Down Down Return; sleep 10 ;;
        sweep)   xdotool key ctrl+n; sleep 2 ;;
      esac
      if [ "$BS_SCENARIO" = sweep ]; then
        # no window manager: centre the dialog over the window by hand and
        # take the screen where the window is
        eval "$(xdotool getwindowgeometry --shell "$win")"
        ww=$WIDTH wh=$HEIGHT
        dlg=$(xdotool search --onlyvisible --class bitscape | grep -vx "$win" | tail -1)
        eval "$(xdotool getwindowgeometry --shell "$dlg")"
        xdotool windowmove "$dlg" $(((ww - WIDTH) / 2)) $(((wh - HEIGHT) / 2))
        sleep 1
        import -window root -crop "${ww}x${wh}+0+0" +repage "$BS_OUT"
      else
        import -window "$win" "$BS_OUT"
      fi
      kill $app'
  # small files: 256 colours are plenty for flat UI
  convert "$work/$name.png" -strip -colors 256 -define png:compression-level=9 "$out/$name.png"
  echo "screenshots: $out/$name.png ($(stat -c %s "$out/$name.png") bytes)"
}

rm -f "$out"/*.png
shoot pareto C.UTF-8 layers
shoot energy C.UTF-8 energy
shoot formats C.UTF-8 formats
shoot sweep C.UTF-8 sweep
shoot pareto-zh_CN zh_CN.UTF-8 layers
shoot energy-zh_CN zh_CN.UTF-8 energy
shoot formats-zh_CN zh_CN.UTF-8 formats
shoot sweep-zh_CN zh_CN.UTF-8 sweep
shoot pareto-dark C.UTF-8 energy prefer-dark
shoot pareto-scale2 C.UTF-8 layers default 2

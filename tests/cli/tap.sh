# Shared by the CLI test scripts (sourced): a temporary directory, the TAP
# counters, and ok NAME COMMAND... (the command must succeed; its stderr is
# shown as a TAP comment when it does not).
n=0 fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() {
  n=$((n + 1))
  if ( "${@:2}" ) >"$tmp/out" 2>"$tmp/err"; then echo "ok $n - $1"
  else echo "not ok $n - $1"; sed 's/^/# /' "$tmp/err" | head -5; fails=$((fails + 1)); fi
}

#!/bin/sh
# Every translatable string of the sources listed in po/POTFILES.in has a
# translation in each catalogue of po/LINGUAS: the strings are extracted
# afresh with xgettext (glib keywords, as meson's i18n preset does), merged
# into the catalogue, and any untranslated or fuzzy message fails the test.
# Usage: po-complete.sh SOURCE_ROOT
set -eu
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
grep -v '^#' "$root/po/POTFILES.in" | sed '/^$/d' > "$tmp/files"
xgettext --directory="$root" --files-from="$tmp/files" --from-code=UTF-8 \
  --keyword=_ --keyword=N_ --keyword=C_:1c,2 --keyword=NC_:1c,2 \
  --keyword=g_dngettext:2,3 --keyword=ngettext:1,2 --keyword=g_dpgettext2:2c,3 \
  --output="$tmp/bitscape.pot" 2> "$tmp/xgettext.err" || { cat "$tmp/xgettext.err"; exit 1; }
total=$(grep -c '^msgid "' "$tmp/bitscape.pot" || true)

n=0
fail=0
for lang in $(sed 's/#.*//' "$root/po/LINGUAS"); do
  n=$((n + 1))
  msgmerge --quiet --no-fuzzy-matching "$root/po/$lang.po" "$tmp/bitscape.pot" -o "$tmp/$lang.po"
  missing=$(msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep -c '^msgid "' || true)
  fuzzy=$(msgattrib --only-fuzzy --no-obsolete "$tmp/$lang.po" | grep -c '^msgid "' || true)
  # the header entry (msgid "") counts as untranslated only when it is alone
  [ "$missing" -gt 0 ] && missing=$((missing - 1))
  [ "$fuzzy" -gt 0 ] && fuzzy=$((fuzzy - 1))
  if [ "$missing" -eq 0 ] && [ "$fuzzy" -eq 0 ] && [ "$total" -gt 100 ]; then
    echo "ok $n - $lang: all $((total - 1)) strings translated"
  else
    fail=1
    echo "not ok $n - $lang: $missing untranslated, $fuzzy fuzzy of $((total - 1)) strings"
    msgattrib --untranslated --no-obsolete "$tmp/$lang.po" | grep '^msgid' | sed 's/^/# /' | head -20
  fi
done
# every source with translatable strings is listed in POTFILES.in
n=$((n + 1))
unlisted=$(cd "$root" && for f in ui/*.c ui/*.ui ui/gtk/*.ui; do
  if grep -q '_("\|N_("\|translatable="yes"' "$f" && ! grep -qx "$f" "$tmp/files"; then echo "$f"; fi
done)
if [ -z "$unlisted" ]; then
  echo "ok $n - every ui source with translatable strings is in po/POTFILES.in"
else
  fail=1
  echo "not ok $n - not in po/POTFILES.in: $(echo $unlisted)"
fi
echo "1..$n"
exit $fail

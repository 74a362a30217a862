#!/usr/bin/env bash
# `ksave conform` itself: it finds a plugin's fault and names the class and the check (exit 1),
# writes files for later releases and reads them back (exit 0), and fails when a class of the
# earlier release is gone or its file gives other outputs.
# usage: conform_command.sh KSAVE GOOD_PLUGIN.so FAULTY_PLUGIN.so WORK_DIR
set -euo pipefail
ksave=$1 good=$2 faulty=$3 work=$4
rm -rf "$work"
mkdir -p "$work"
fail() { echo "conform_command: $*" >&2; exit 1; }

status=0
"$ksave" conform "$faulty" > "$work/faulty.txt" || status=$?
[ "$status" = 1 ] || fail "a faulty plugin gave exit status $status, expected 1: $(cat "$work/faulty.txt")"
grep -q "^FAIL layer Faulty>Scale: config round trip" "$work/faulty.txt" ||
  fail "the report does not name the class and the check: $(cat "$work/faulty.txt")"

"$ksave" conform "$good" --write "$work/release" > "$work/write.txt" || fail "--write failed: $(cat "$work/write.txt")"
[ -f "$work/release/manifest.json" ] || fail "--write left no manifest.json"
"$ksave" conform "$good" --against "$work/release" --json > "$work/against.json" ||
  fail "--against the files just written failed: $(cat "$work/against.json")"
grep -q '"check": "reads ' "$work/against.json" || fail "--against read no file: $(cat "$work/against.json")"

# An earlier release that registered a class this one lacks, and a file whose outputs changed.
sed -e 's/"class_name": "Dense"/"class_name": "GoneDense"/' "$work/release/manifest.json" > "$work/gone.json"
cp "$work/gone.json" "$work/release/manifest.json"
status=0
"$ksave" conform "$good" --against "$work/release" > "$work/gone.txt" || status=$?
[ "$status" = 1 ] || fail "a class gone since the earlier release gave exit status $status: $(cat "$work/gone.txt")"
grep -q "GoneDense: reads .*this plugin does not" "$work/gone.txt" || fail "the class gone is not named: $(cat "$work/gone.txt")"
echo "conform_command: faults found and named, release files written and read"

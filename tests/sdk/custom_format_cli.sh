#!/usr/bin/env bash
# examples/custom_format from the command line, as a user with the plugin on KSAVE_PLUGIN_PATH:
# `ksave demo` saves and reloads through it, `ksave convert` picks it by the ending .kcbor and
# reads it back by content, `ksave inspect` describes its file.
# usage: custom_format_cli.sh KSAVE PLUGIN_DIR WORK_DIR
set -euo pipefail
ksave=$1
export KSAVE_PLUGIN_PATH=$2
work=$3
rm -rf "$work"
mkdir -p "$work"
fail() { echo "custom_format_cli: $*" >&2; exit 1; }

"$ksave" demo --dir "$work/demo" --epochs 1 > "$work/demo.txt" || fail "ksave demo failed: $(cat "$work/demo.txt")"
grep -q kcbor "$work/demo.txt" || fail "ksave demo did not save through kcbor: $(cat "$work/demo.txt")"
[ -f "$work/demo/demo_model.kcbor" ] || fail "ksave demo wrote no demo_model.kcbor"

"$ksave" convert "$work/demo/demo_model.h5" "$work/model.kcbor"
"$ksave" inspect "$work/model.kcbor" --json > "$work/inspect.json"
grep -q '"format": "kcbor"' "$work/inspect.json" || fail "inspect does not say kcbor: $(cat "$work/inspect.json")"
"$ksave" convert "$work/model.kcbor" "$work/back.h5"
"$ksave" inspect "$work/back.h5" > /dev/null
echo "custom_format_cli: demo, convert by ending, inspect and convert back all went through kcbor"

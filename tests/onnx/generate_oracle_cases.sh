#!/bin/sh
# Generates the TensorFlow.js oracle's cases (every architecture of ../shared/oracle) into the build
# folder, with a salt of this suite's own, so the ONNX export meets weights and inputs that no
# other suite uses. Runs once per build folder; exits 77 (skipped) with the reason when node or
# npm is missing or npm cannot install the oracle's pinned packages (offline), and the suite
# then reads the oracle's cases-sample in place.
#   generate_oracle_cases.sh SOURCE_DIR WORK_DIR     → WORK_DIR/cases
# The oracle is $KSAVE_ORACLE when the test runs, else ../shared/oracle beside the source tree.
set -eu
oracle=${KSAVE_ORACLE:-$1/../shared/oracle}
work=$2
if [ -f "$work/cases/index.json" ]; then exit 0; fi
if [ ! -f "$oracle/gen.mjs" ]; then echo "SKIPPED: no oracle at $oracle"; exit 77; fi
if ! command -v node > /dev/null || ! command -v npm > /dev/null; then echo "SKIPPED: node and npm are needed"; exit 77; fi
mkdir -p "$work/oracle"
# The oracle's scripts are copied out of the shared folder, which stays read-only.
cp "$oracle"/*.mjs "$oracle/package.json" "$oracle/package-lock.json" "$work/oracle/"
if ! (cd "$work/oracle" && npm ci --prefer-offline --no-audit --no-fund) > "$work/npm.log" 2>&1; then
  echo "SKIPPED: npm ci failed (offline without an npm cache?), see $work/npm.log"
  exit 77
fi
rm -rf "$work/cases.partial"
node "$work/oracle/gen.mjs" "$work/cases.partial" --h5 --salt onnx-export
mv "$work/cases.partial" "$work/cases"
echo "generated $(ls "$work/cases" | wc -l) entries in $work/cases"

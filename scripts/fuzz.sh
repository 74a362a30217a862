#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang, AddressSanitizer and UBSan in a build folder
# of their own (BUILD_DIR, default build-fuzz) and runs each for $KSAVE_FUZZ_SECONDS seconds
# (default 60) from seeds made of the real fixtures (CTest label `fuzz`). Extra arguments go to
# CTest, e.g. `-R fuzz_npy` or `-j2`. The long campaigns: KSAVE_FUZZ_SECONDS=1800 nice -n 19 scripts/fuzz.sh -j2
# KSAVE_FUZZ_BUILD_SECONDS: a time budget for the build (CI's: a cold compiler cache builds the tree
# with clang for about an hour on 2 cores, past CI's time limit). A build that outlives it is
# stopped, says so, and the harnesses are not run (exit 0: a budget, not a finding); a build that
# fails fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz
build_dir=${BUILD_DIR:-build-fuzz}
# -O1 with line tables only, as libFuzzer's documentation builds: the sanitizers make optimized,
# fully debug-annotated compiles much slower, and the fuzz build looks for bugs, not speed.
flags="-O1 -gline-tables-only -DNDEBUG"
build=(env CC=clang CXX=clang++ BUILD_DIR="$build_dir" BUILD_TYPE=RelWithDebInfo
       scripts/build.sh -DKSAVE_FUZZ=ON -DKSAVE_BUILD_TESTS=OFF
       "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags")
if [ -n "${KSAVE_FUZZ_BUILD_SECONDS:-}" ]; then
  status=0
  timeout "$KSAVE_FUZZ_BUILD_SECONDS" "${build[@]}" || status=$?
  if [ "$status" = 124 ]; then
    echo "fuzz: NOT RUN: the clang build of $build_dir did not finish within its budget of" \
         "$KSAVE_FUZZ_BUILD_SECONDS s (cold compiler cache); rerun scripts/fuzz.sh to finish it" >&2
    exit 0
  fi
  [ "$status" = 0 ] || exit "$status"
else
  "${build[@]}"
fi
ctest --test-dir "$build_dir" -L fuzz --output-on-failure "$@"

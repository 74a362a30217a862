#!/usr/bin/env bash
# Builds the libFuzzer harnesses (fuzz/) with clang, AddressSanitizer and UBSan in a build folder
# of their own (BUILD_DIR, default build-fuzz) and runs each for $KSAVE_FUZZ_SECONDS seconds
# (default 60) from seeds made of the real fixtures (CTest label `fuzz`). Extra arguments go to
# CTest, e.g. `-R fuzz_npy`. The long campaigns: KSAVE_FUZZ_SECONDS=1800 nice -n 19 scripts/fuzz.sh -j1
# `.ci/run` runs it after the test suite when KSAVE_CI_FUZZ=1 (a second build of the whole tree:
# opt-in, to keep CI within its time budget).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --fuzz
build_dir=${BUILD_DIR:-build-fuzz}
# -O1 with line tables only, as libFuzzer's documentation builds: the sanitizers make optimized,
# fully debug-annotated compiles much slower, and the fuzz build looks for bugs, not speed.
flags="-O1 -gline-tables-only -DNDEBUG"
CC=clang CXX=clang++ BUILD_DIR=$build_dir BUILD_TYPE=RelWithDebInfo \
  scripts/build.sh -DKSAVE_FUZZ=ON -DKSAVE_BUILD_TESTS=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=$flags" "-DCMAKE_C_FLAGS_RELWITHDEBINFO=$flags"
ctest --test-dir "$build_dir" -L fuzz --output-on-failure "$@"

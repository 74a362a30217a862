#!/usr/bin/env bash
# Runs one libFuzzer harness for $KSAVE_FUZZ_SECONDS seconds (default 60, the CI budget; the
# long campaigns give more), from seeds made of the real fixtures ($KSAVE_FIXTURES, default
# ../shared/fixtures beside the checkout; read in place: make_seeds.py links or combines them in
# the build folder), keeping what it finds in the build folder too.
#   run_fuzzer.sh HARNESS WORK_DIR
# KSAVE_FUZZ_TIMEOUT: seconds after which one input counts as a hang (default 30; libFuzzer measures
# wall time, so a campaign sharing a busy machine gives more, and replays what it reports alone).
# KSAVE_FUZZ_SEED: libFuzzer's random seed (default 0: a new one each run; CI gives a fixed one, so
# that its short runs walk the same mutations on every commit and a finding replays).
# Exit status: libFuzzer's (0 when nothing was found).
set -euo pipefail
harness=$1 work=$2
name=$(basename "$harness")
name=${name#fuzz_}
source_dir=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${KSAVE_FIXTURES:-$source_dir/../shared/fixtures}
mkdir -p "$work/corpus/$name" "$work/artifacts"
# The seeds of every harness are made once; harnesses run in parallel (ctest -j2) wait for the
# one that makes them.
(
  flock 9
  if [ -d "$fixtures/real" ] && [ ! -d "$work/seeds/$name" ]; then
    python3 "$source_dir/fuzz/make_seeds.py" "$fixtures/real" "$work/seeds"
  fi
) 9>"$work/seeds.lock"
mkdir -p "$work/seeds/$name"
# SavedModel and graph inputs made from the TF2 half_plus_two fixture find its variables.
export KSAVE_FUZZ_VARIABLES=$fixtures/real/tfserving_tf2_savedmodel_half_plus_two/saved_model_half_plus_two_tf2_cpu/00000123/variables
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$source_dir/tests/lsan.supp}
# A malloc too large to serve returns null, as glibc's does in a release build, instead of
# aborting: libhdf5 asks for sizes read from a damaged file (52 TB once) and handles the null with
# an error. ksave's own code then gets std::bad_alloc, which the harnesses report as a finding.
# Asks above 8 GiB fail (null) outright: ASan writes the shadow of a huge block when it is freed
# (a 16 GiB ask from a damaged superblock, never touched, took 2.1 GB of shadow and ended a CI run
# at the RSS limit, where a release process failed the open at 11 MB), and a machine without that
# much memory would refuse it too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-allocator_may_return_null=1:max_allocation_size_mb=8192}
# -malloc_limit_mb above the RSS limit: libhdf5 asks for sizes it read from a damaged file (4 GB
# for a local heap) and never touches them, which is no fault of the reader (a release process
# stays at 34 MB); memory really used is still held to 2 GB by -rss_limit_mb.
exec "$harness" -max_total_time="${KSAVE_FUZZ_SECONDS:-60}" -seed="${KSAVE_FUZZ_SEED:-0}" -rss_limit_mb=2048 -malloc_limit_mb=16384 -timeout="${KSAVE_FUZZ_TIMEOUT:-30}" -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/$name-" "$work/corpus/$name" "$work/seeds/$name"

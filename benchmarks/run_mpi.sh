#!/bin/sh
# Runs bench_mpi with 1 and then 2 ranks, with the load average before each run (the machine is
# shared): benchmarks/run_mpi.sh [BUILD_DIR]   (default build-bench, configured with
# -DKSAVE_BUILD_BENCHMARKS=ON)
build=${1:-build-bench}
here=$(dirname "$0")
for ranks in 1 2; do
  echo "== $ranks rank(s); $(uptime)"
  "$here/../tests/mpi/mpirun.sh" "$ranks" "$build/bin/bench_mpi" "$build/bench-mpi-tmp"
done

#!/bin/sh
# Runs a program under Open MPI's mpirun with N processes on this machine, whatever its core
# count (--oversubscribe) and user (--allow-run-as-root when root, as CI runs):
#   mpirun.sh N PROGRAM [ARGS...]
# Single-copy shared memory (CMA) is off: containers usually forbid the ptrace it needs. Waiting
# ranks yield the core instead of spinning (mpi_yield_when_idle): on a machine with no core to
# spare, a spinning rank slows the one it waits for (2 ranks on 2 busy cores: a training step
# took 5x longer than with yielding).
np=$1
shift
root_flag=""
[ "$(id -u)" -eq 0 ] && root_flag="--allow-run-as-root"
exec mpirun -np "$np" --oversubscribe $root_flag --bind-to none \
  --mca btl_vader_single_copy_mechanism none --mca mpi_yield_when_idle 1 "$@"

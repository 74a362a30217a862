#!/bin/sh
# Runs a program under Open MPI's mpirun with N processes on this machine, whatever its core
# count (--oversubscribe) and user (--allow-run-as-root when root, as CI runs):
#   mpirun.sh N PROGRAM [ARGS...]
# Single-copy shared memory (CMA) is off: containers usually forbid the ptrace it needs.
np=$1
shift
root_flag=""
[ "$(id -u)" -eq 0 ] && root_flag="--allow-run-as-root"
exec mpirun -np "$np" --oversubscribe $root_flag --bind-to none \
  --mca btl_vader_single_copy_mechanism none "$@"

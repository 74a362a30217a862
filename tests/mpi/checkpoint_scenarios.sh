#!/bin/sh
# The mpi suite's multi-run checkpoint scenarios (see mpi_checkpoint_tool.cpp):
#   checkpoint_scenarios.sh SCENARIO TOOL MPIRUN DIR
#   other_ranks   4 ranks write, 2 read and 1 reads; 1 rank writes, 3 read
#   killed_save   rank 1 dies inside a CheckpointManager save: the previous checkpoint restores whole
#   resume        a run killed inside its 3rd save, restarted from the manager's latest checkpoint
#                 with the same ranks, ends bit-identical to a run never stopped
set -eu
scenario=$1 tool=$2 mpirun=$3 dir=$4
rm -rf "$dir"
mkdir -p "$dir"
expect_killed() {
  if "$@" >"$dir/killed.log" 2>&1; then
    echo "FAILED: '$*' should have been killed"; cat "$dir/killed.log"; exit 1
  fi
  echo "killed as planned: $*"
}
case $scenario in
  other_ranks)
    "$mpirun" 4 "$tool" write "$dir/four"
    "$mpirun" 2 "$tool" read "$dir/four"
    "$tool" read "$dir/four"
    "$mpirun" 1 "$tool" write "$dir/one"
    "$mpirun" 3 "$tool" read "$dir/one" ;;
  killed_save)
    expect_killed "$mpirun" 2 "$tool" save-killed "$dir/run"
    "$tool" check-previous "$dir/run" ;;
  resume)
    "$mpirun" 2 "$tool" train "$dir/full" 5
    expect_killed "$mpirun" 2 "$tool" train "$dir/cut" 5 3
    "$mpirun" 2 "$tool" train "$dir/cut" 5
    "$tool" same "$dir/full/final.h5" "$dir/cut/final.h5" ;;
  *) echo "unknown scenario $scenario"; exit 2 ;;
esac
echo "$scenario: passed"

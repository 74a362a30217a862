#!/bin/sh
# CTest's entry for tests written in Python: runs the script with the environment that
# scripts/python-env.sh made. Without it the test is skipped (exit 77, CTest's SKIP_RETURN_CODE)
# with the reason, except under CI=true, where a missing environment fails the test.
#   run_in_env.sh ENV_DIR SCRIPT [ARGS...]
env_dir=$1
shift
if [ ! -f "$env_dir/.requirements.sha256" ]; then
  reason="not created (run scripts/python-env.sh)"
  [ -f "$env_dir.unavailable" ] && reason=$(cat "$env_dir.unavailable")
  if [ "${CI:-}" = true ]; then
    echo "FAILED: the Python environment with real TensorFlow/Keras is missing under CI=true: $reason"
    exit 1
  fi
  echo "SKIPPED: real TensorFlow/Keras (Python environment $env_dir): $reason"
  exit 77
fi
exec "$env_dir/bin/python" "$@"
